"""The offline renderer's kernels keep analysis results in the page cache's results store, and a page
executed without the page cache runs without one."""

from __future__ import annotations

from evalcorr.render.execute import execute_page
from evalcorr.render.pagecache import CACHE_DIRNAME, RESULTS_DIRNAME

PAGE = '''---
title: Store
---

```{python}
import os
```

The store is `{python} os.environ.get("EVALCORR_RESULT_STORE", "none")`.
'''


def _store_seen(tmp_path, cache) -> str:
    (tmp_path / "page.qmd").write_text(PAGE, encoding="utf-8")
    page = execute_page("page.qmd", project_root=tmp_path, figures_dir=tmp_path / "figs", cache=cache,
                        log=lambda _: None)
    return page.markdown.replace("\\", "")     # the inline text comes Markdown-escaped


def test_kernels_of_a_cached_render_use_the_results_store(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALCORR_RESULT_STORE", raising=False)
    expected = tmp_path.resolve() / CACHE_DIRNAME / RESULTS_DIRNAME
    assert f"The store is {expected}." in _store_seen(tmp_path, cache=True)


def test_a_page_executed_without_the_cache_has_no_store(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALCORR_RESULT_STORE", raising=False)
    assert "The store is none." in _store_seen(tmp_path, cache=False)


def test_quarto_kernels_get_the_same_store_and_old_entries_are_pruned(tmp_path, monkeypatch):
    import subprocess

    from evalcorr.render import quarto
    from evalcorr.stats.results_store import STORE_ENV, code_digest

    results = tmp_path / CACHE_DIRNAME / RESULTS_DIRNAME
    (results / "0123456789abcdef").mkdir(parents=True)
    (results / code_digest()[:16]).mkdir()
    seen = {}

    def fake_run(argv, cwd, env):
        seen.update(argv=argv, env=env)
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(quarto.subprocess, "run", fake_run)
    quarto.render_with_quarto("quarto", tmp_path, tmp_path / "_site")
    assert seen["argv"][:2] == ["quarto", "render"]
    assert seen["env"][STORE_ENV] == str(results)
    assert not (results / "0123456789abcdef").exists()
    assert (results / code_digest()[:16]).is_dir()      # the current code's entries are kept
