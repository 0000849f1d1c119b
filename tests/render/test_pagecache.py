"""Tests of evalcorr.render.pagecache: warm renders reuse executed pages without a kernel."""

import hashlib
import os
import shutil
from pathlib import Path

import pytest

import evalcorr
import evalcorr.render.execute as execute
from evalcorr.render.execute import execute_page
from evalcorr.render.kernels import FigureOptions
from evalcorr.render.pagecache import PageCache, data_cache_stamps

PAGE = """\
---
title: Cached page
---

Value `{python} 6 * 7`.

```{python}
#| label: fig-bars
#| fig-cap: Bars
#| fig-alt: Two bars of height 1 and 2.
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.bar(["a", "b"], [1, 2])
plt.show()
```
"""


class KernelStarted(Exception):
    """Raised instead of starting a kernel, to prove a render was (or was not) a cache miss."""


def _no_kernel(*args, **kwargs):
    raise KernelStarted


@pytest.fixture()
def package_copy(tmp_path):
    """A copy of the evalcorr sources, so a test can change one without touching the real package."""
    copy = tmp_path / "pkg"
    shutil.copytree(Path(evalcorr.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"
    (root / "chapters").mkdir(parents=True)
    (root / "chapters" / "page.qmd").write_text(PAGE, encoding="utf-8")
    (root / "data" / "cache").mkdir(parents=True)
    (root / "data" / "cache" / "scores.parquet").write_bytes(b"v1")
    return root


def _cache(project, package_copy):
    return PageCache(project / ".render-cache", package_dir=package_copy,
                     data_cache_dir=project / "data" / "cache", data_dir=project / "data")


def test_warm_render_is_a_hit_without_a_kernel_and_changes_are_misses(project, package_copy, monkeypatch):
    cache = _cache(project, package_copy)
    log = []
    kwargs = dict(project_root=project, defaults={"execute": {"echo": False}}, cache=cache, log=log.append,
                  figure=FigureOptions(format="svg"))
    cold = execute_page("chapters/page.qmd", figures_dir=project / "build1" / "figures", **kwargs)
    assert not cold.cached and cold.cells_executed == 1
    assert "Value 42." in cold.markdown
    assert (project / ".render-cache" / "chapters__page.qmd" / "figures" / "page-fig-bars.svg").is_file()

    # Warm: served from the cache, figures copied into a fresh build directory, no kernel.
    monkeypatch.setattr(execute, "acquire_kernel", _no_kernel)
    warm = execute_page("chapters/page.qmd", figures_dir=project / "build2" / "figures", **kwargs)
    assert warm.cached and warm.markdown == cold.markdown and warm.meta == cold.meta
    assert [f.name for f in warm.figures] == ["page-fig-bars.svg"]
    assert warm.figures[0] == project / "build2" / "figures" / "page-fig-bars.svg"
    assert warm.figures[0].read_bytes() == cold.figures[0].read_bytes()
    assert log[-1].startswith("render chapters/page.qmd: cache hit (1 cells")

    # Each of these must re-execute the page (and so reach the kernel start).
    page = project / "chapters" / "page.qmd"
    page.write_text(PAGE.replace("6 * 7", "6 * 8"), encoding="utf-8")
    with pytest.raises(KernelStarted):
        execute_page(page, figures_dir=project / "b3" / "figures", **kwargs)
    page.write_text(PAGE, encoding="utf-8")
    execute_page(page, figures_dir=project / "b4" / "figures", **kwargs)  # back to the cached text: a hit

    # Prose edited, cells and inline expressions unchanged: assembled from the stored outputs, no kernel.
    page.write_text(PAGE.replace("Value", "The value\nis").replace("title: Cached page", "title: Renamed"),
                    encoding="utf-8")
    edited = execute_page(page, figures_dir=project / "b4b" / "figures", **kwargs)
    assert edited.cached and edited.markdown == cold.markdown.replace("Value", "The value\nis").replace(
        "title: Cached page", "title: Renamed")
    assert edited.meta["title"] == "Renamed"
    for changed in (PAGE.replace("#| fig-cap: Bars", "#| fig-cap: Two bars"),     # a cell option
                    PAGE.replace("---\n\nValue", "execute:\n  echo: true\n---\n\nValue")):   # execution options
        page.write_text(changed, encoding="utf-8")
        with pytest.raises(KernelStarted):
            execute_page(page, figures_dir=project / "b4c" / "figures", **kwargs)
    page.write_text(PAGE, encoding="utf-8")

    source = package_copy / "stats" / "__init__.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    with pytest.raises(KernelStarted):
        execute_page(page, figures_dir=project / "b5" / "figures", **kwargs)


def test_key_covers_page_sources_data_defaults_and_extra(project, package_copy):
    cache = _cache(project, package_copy)
    base = cache.key(PAGE, defaults={"execute": {"echo": False}}, extra="chapters/page.qmd")
    assert base == cache.key(PAGE, defaults={"execute": {"echo": False}}, extra="chapters/page.qmd")
    assert len(base) == 64

    assert cache.key(PAGE + " ", defaults={"execute": {"echo": False}}, extra="chapters/page.qmd") != base
    assert cache.key(PAGE, defaults={"execute": {"echo": True}}, extra="chapters/page.qmd") != base
    assert cache.key(PAGE, defaults={"execute": {"echo": False}}, extra="index.qmd") != base

    def key():
        return cache.key(PAGE, defaults={"execute": {"echo": False}}, extra="chapters/page.qmd")

    parquet = project / "data" / "cache" / "scores.parquet"
    parquet.write_bytes(b"v2 longer")
    assert key() != base
    parquet.write_bytes(b"v1")
    assert key() == base
    stamp = project / "data" / "cache" / "scores.json"
    stamp.write_text('{"key": "inputs-1"}')
    with_stamp = key()
    assert with_stamp != base
    stamp.write_text('{"key": "inputs-2"}')
    new_inputs = key()
    assert new_inputs != with_stamp
    (project / "data" / "cache" / "bench").mkdir()  # another cache nested inside does not count
    (project / "data" / "cache" / "bench" / "scores.json").write_text("{}")
    assert key() == new_inputs
    (project / "data" / "families.csv").write_text("source,task,family\n")  # a committed table
    assert key() != new_inputs


def test_library_versions_are_read_once_and_key_every_page(project, package_copy, monkeypatch):
    import evalcorr.render.pagecache as pagecache

    cache = _cache(project, package_copy)
    pagecache.library_versions.cache_clear()
    read = []
    real = pagecache.metadata.version
    monkeypatch.setattr(pagecache.metadata, "version", lambda name: read.append(name) or real(name))
    base = cache.key(PAGE)
    assert cache.key(PAGE + " ") != base
    assert sorted(read) == sorted(pagecache._LIBRARIES)       # once each, for both keys
    # another version of a library (a new process reads it again) gives another key
    pagecache.library_versions.cache_clear()
    monkeypatch.setattr(pagecache.metadata, "version", lambda name: "0.0" if name == "matplotlib" else real(name))
    assert cache.key(PAGE) != base
    pagecache.library_versions.cache_clear()


def test_data_cache_stamps(tmp_path):
    assert data_cache_stamps(tmp_path / "missing") == []
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "x.json").write_bytes(b"{}")  # another cache nested inside: ignored
    (tmp_path / "src.parquet").write_bytes(b"12345")
    (tmp_path / "src.json").write_bytes(b"{}")
    assert data_cache_stamps(tmp_path) == [
        f"src.json sha256={hashlib.sha256(b'{}').hexdigest()}",
        "src.parquet size=5",
    ]
    os.utime(tmp_path / "src.parquet", ns=(1, 1))  # rewritten from the same inputs: same stamps
    assert data_cache_stamps(tmp_path)[1] == "src.parquet size=5"


def test_for_project_reads_the_cache_dir_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALCORR_CACHE_DIR", raising=False)
    assert PageCache.for_project(tmp_path).data_cache_dir == tmp_path / "data" / "cache"
    monkeypatch.setenv("EVALCORR_CACHE_DIR", "elsewhere/cache")
    assert PageCache.for_project(tmp_path).data_cache_dir == tmp_path / "elsewhere" / "cache"
    assert PageCache.for_project(tmp_path).directory == tmp_path / ".render-cache"
    assert PageCache.for_project(tmp_path).data_dir == tmp_path / "data"


def test_store_replaces_the_entry_and_load_checks_the_key(tmp_path):
    cache = PageCache(tmp_path / "cache", package_dir=tmp_path, data_cache_dir=None)
    fig = tmp_path / "f.svg"
    fig.write_text("<svg/>")
    cache.store("index.qmd", "k1", outputs=["one"], figures=[fig], cells_executed=3)
    cache.store("index.qmd", "k2", outputs=["two", ""], figures=[], cells_executed=1)
    assert cache.load("index.qmd", "k1", tmp_path / "out") is None
    entry = cache.load("index.qmd", "k2", tmp_path / "out")
    assert entry.outputs == ["two", ""] and entry.figures == [] and entry.cells_executed == 1
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["index.qmd"]  # no temp dirs left


def test_last_seconds_is_kept_whatever_the_key(tmp_path):
    cache = PageCache(tmp_path / "cache")
    assert cache.last_seconds("chapters/a.qmd") == 0.0        # never executed
    cache.store("chapters/a.qmd", "key-1", outputs=["x"], figures=[], seconds=41.7)
    assert cache.last_seconds("chapters/a.qmd") == 41.7
    assert cache.load("chapters/a.qmd", "key-2", tmp_path / "figs") is None   # a changed page misses...
    assert cache.last_seconds("chapters/a.qmd") == 41.7                      # ...but its time is known
