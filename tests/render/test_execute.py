"""Tests of evalcorr.render.execute: a fixture page executed in a real Jupyter kernel.

Kernel start-up is the slow part, so the fixture page is executed once per module (twice, for the
determinism check) and the tests read the shared result.
"""

import base64
import re
import sys

import pytest

from evalcorr.errors import RenderError
from evalcorr.render.execute import (
    SVG_MAX_BYTES, ExecutedPage, execute_page, inline_text, merge_meta, strip_ansi,
)
from evalcorr.render.kernels import FigureOptions

SVG = FigureOptions(format="svg")


def shown(value) -> str:
    """What Quarto shows for an inline expression whose value is `value` (its repr, a string unquoted)."""
    return inline_text({"text/plain": repr(value)})

# A 1x1 PNG, displayed by a cell that only offers image/png.
PNG_1PX = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201e0a9f2b80000000049454e44ae426082"
)).decode()

PAGE = f"""\
---
title: Fixture page
execute:
  echo: false
---

Intro paragraph.

::: {{.callout-note}}
## Note title
A callout that cites [@liang2023helm] and refers to @fig-line and @tbl-scores.
:::

```{{python}}
#| echo: true
import os, sys
import numpy as np
shown = 6 * 7
shown
```

```{{python}}
print("hidden code, visible output")
```

```{{python}}
#| include: false
secret = 40 + 2
print("INCLUDE_FALSE_PRINT")
```

```{{python}}
#| output: false
print("OUTPUT_FALSE_PRINT")
```

```{{python}}
#| output: asis
print("**Asis bold** and a list:\\n\\n- one\\n- two")
```

Inline: secret is `{{python}} secret`, name `{{python}} "org/a_model*1"`, cwd `{{python}} os.getcwd()`,
python `{{python}} sys.executable`, hash seed `{{python}} os.environ.get("PYTHONHASHSEED")`.

```{{python}}
#| label: fig-line
#| fig-cap: "A rising line"
#| fig-alt: "Line chart rising from 1 to 3 over three points."
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([1, 2, 3], label="y")
ax.set_xlabel("x")
fig
```

```{{python}}
#| label: fig-noalt
#| fig-cap: "Caption only"
fig2, ax2 = plt.subplots()
ax2.bar(["a", "b"], [1, 2])
```

```{{python}}
fig3, ax3 = plt.subplots()
ax3.plot([3, 2, 1]);
```

```{{python}}
#| label: fig-dense
#| fig-cap: "Dense scatter"
#| fig-alt: "Twenty thousand random points."
rng = np.random.default_rng(0)
fig4, ax4 = plt.subplots()
ax4.scatter(rng.random(20000), rng.random(20000), s=1)
fig4
```

```{{python}}
from IPython.display import Image
import base64
Image(data=base64.b64decode("{PNG_1PX}"), format="png")
```

```{{python}}
#| label: tbl-scores
#| tbl-cap: "Scores by model"
#| output: asis
import pandas as pd
print(pd.DataFrame({{"model": ["a", "b"], "score": [0.5, 0.25]}}).to_markdown(index=False))
```

```{{python}}
import warnings
from IPython.display import HTML
print("to stderr", file=sys.stderr)
warnings.warn("a renderer warning")
HTML("<div id='interactive'>matrix</div>")
```

```{{python}}
#| eval: false
#| echo: true
raise RuntimeError("never run")
```

```{{python}}
#| label: fig-missing
#| fig-cap: "Forgot to return the figure"
missing = 1
```

```{{python}}
#| tbl-cap: "An unnumbered table"
#| output: asis
print("| k |\\n|---|\\n| 1 |")
```

```{{python}}
from IPython.display import Markdown
Markdown("*From a Markdown display* with [a link](https://example.org).")
```

Closing text, figure count `{{python}} len(plt.get_fignums())`, empty `{{python}} ""`, numpy `{{python}} np.float64(0.25)`,
markdown `{{python}} Markdown("**bold**")`.
"""


def _project(tmp_path_factory, name, text):
    root = tmp_path_factory.mktemp(name)
    (root / "chapters").mkdir()
    (root / "chapters" / "page.qmd").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return _project(tmp_path_factory, "project", PAGE)


@pytest.fixture(scope="module")
def runs(project):
    """The fixture page executed twice, into two figure directories, with the page cache off.

    The first execution boots a kernel in advance, which the second takes.
    """
    log = []
    pages = [
        execute_page("chapters/page.qmd", project_root=project, figures_dir=project / f"out{i}" / "figures",
                     defaults={"execute": {"echo": True}, "lang": "en"}, cache=False, log=log.append,
                     prestart=i == 1, figure=SVG)
        for i in (1, 2)
    ]
    return pages, log


@pytest.fixture(scope="module")
def page(runs) -> ExecutedPage:
    return runs[0][0]


@pytest.fixture(scope="module")
def md(page) -> str:
    return page.markdown


def test_meta_is_front_matter_merged_over_defaults(page, project):
    assert page.meta == {"title": "Fixture page", "execute": {"echo": False}, "lang": "en"}
    assert page.source == project / "chapters" / "page.qmd"


def test_markdown_text_passes_through(md):
    assert md.startswith("\nIntro paragraph.\n\n::: {.callout-note}\n## Note title\n"
                         "A callout that cites [@liang2023helm] and refers to @fig-line and @tbl-scores.\n:::\n")


def test_echo_true_shows_code_and_result(md):
    assert "```python\nimport os, sys\nimport numpy as np\nshown = 6 * 7\nshown\n```\n\n```\n42\n```" in md


def test_echo_default_from_front_matter_hides_code(md):
    assert "```\nhidden code, visible output\n```" in md
    assert 'print("hidden code' not in md


def test_include_false_runs_but_emits_nothing(md):
    assert "INCLUDE_FALSE_PRINT" not in md and "secret = 40" not in md
    assert "secret is 42" in md  # the hidden cell ran


def test_output_false_runs_and_shows_nothing(md):
    assert "OUTPUT_FALSE_PRINT" not in md


def test_asis_output_is_raw_markdown(md):
    assert "\n**Asis bold** and a list:\n\n- one\n- two\n" in md


def test_inline_expressions_are_evaluated_and_escaped(md, project):
    assert r"name org/a\_model\*1," in md  # Quarto escapes `*_{}[]()>#+,-.! in strings, not / @ $
    # Quarto's default working directory: the page's own folder
    assert f"cwd {shown(str(project / 'chapters'))}," in md
    assert f"python {shown(sys.executable)}, hash seed 0." in md  # this (the venv) python


def test_inline_values_show_as_quarto_shows_them(page, md):
    assert "empty `{python} \"\"`," in md  # an empty result leaves the code, as in Quarto
    assert any('`{python} ""` (line 123) evaluates to an empty text' in w for w in page.warnings)
    assert "numpy np.float64(0.25)," in md  # a repr, as Quarto shows it
    assert any("np.float64(0.25)" in w and "format it as a string" in w for w in page.warnings)
    assert "markdown **bold**." in md


def test_returned_pyplot_figure_is_shown_twice_as_quarto_subfigures(page, md):
    # Jupyter displays the returned figure, then the inline backend displays every figure pyplot still
    # holds: two images, which Quarto lays out as subfigures of #fig-line. Nothing hides the second.
    first, second = page.figures[:2]
    assert (first.name, second.name) == ("page-fig-line.svg", "page-fig-line-2.svg")
    assert first.parent.name == "figures" and first.read_bytes() == second.read_bytes()
    head = first.read_bytes()[:200]
    assert head.startswith(b"<?xml") and b"<svg" in head and first.stat().st_size > 1000
    assert ("::: {#fig-line .quarto-subfigures}\n\n"
            '![](figures/page-fig-line.svg){#fig-line-1 fig-alt="Line chart rising from 1 to 3 over three points."}\n\n'
            '![](figures/page-fig-line-2.svg){#fig-line-2 fig-alt="Line chart rising from 1 to 3 over three points."}\n\n'
            "A rising line\n\n:::") in md
    assert any("fig-line" in w and "2 images were displayed" in w for w in page.warnings)
    assert b"<dc:date>" not in first.read_bytes()


def test_figure_without_alt_uses_caption_and_warns(page, md):
    assert '![Caption only](figures/page-fig-noalt.svg){#fig-noalt fig-alt="Caption only"}' in md
    assert any("fig-noalt" in w and "without fig-alt" in w for w in page.warnings)


def test_unlabelled_figure_gets_a_name_by_cell_index(page, md):
    # 8th cell of the page, first figure; no caption, so no alt text (warned).
    assert "![](figures/page-cell8-1.svg)" in md
    assert any("cell #8" in w and "no alt text" in w for w in page.warnings)
    assert "Line2D" not in md  # the cell ends with ';', so its result is not shown


def test_figure_displayed_by_pyplot_at_the_end_of_the_cell_is_shown_once(page, md):
    # no returned value: the inline backend's display of the open figure is the cell's one image
    assert '![Caption only](figures/page-fig-noalt.svg){#fig-noalt fig-alt="Caption only"}' in md
    assert md.count("page-fig-noalt") == 1


def test_heavy_svg_stays_svg_and_is_warned_about(page, md):
    svg = next(f for f in page.figures if f.stem == "page-fig-dense")
    assert svg.suffix == ".svg"  # the format is fig-format's, as under Quarto
    assert md.count("page-fig-dense") == 2  # returned and still open in pyplot: two images
    assert (svg.stat().st_size > SVG_MAX_BYTES) == any("fig-dense" in w and "MB" in w for w in page.warnings)


def test_png_only_output_is_written_as_png(page, md):
    assert "![](figures/page-cell10-1.png)" in md
    assert (page.figures[0].parent / "page-cell10-1.png").read_bytes() == base64.b64decode(PNG_1PX)


def test_table_cell_gets_a_pandoc_caption(md):
    table = "| model   |   score |\n|:--------|--------:|\n| a       |    0.5  |\n| b       |    0.25 |"
    assert f"{table}\n\n: Scores by model {{#tbl-scores}}" in md


def test_html_output_is_a_raw_block_and_stderr_is_dropped(page, md, runs):
    assert "```{=html}\n<div id='interactive'>matrix</div>\n```" in md
    assert "to stderr" not in md and "a renderer warning" not in md
    assert any("line 4: UserWarning: a renderer warning" in w for w in page.warnings)
    assert any("a renderer warning" in line for line in runs[1])  # printed to the render log


def test_captions_and_missing_figures(page, md):
    assert "| k |\n|---|\n| 1 |\n\n: An unnumbered table\n" in md
    assert any("fig-missing" in w and "@fig-missing will not resolve" in w for w in page.warnings)


def test_markdown_display_is_markdown(md):
    assert "\n*From a Markdown display* with [a link](https://example.org).\n" in md


def test_eval_false_shows_code_without_running(md):
    assert '```python\nraise RuntimeError("never run")\n```' in md


def test_the_inline_backend_closes_figures_after_display(md):
    assert "Closing text, figure count 0," in md


def test_progress_is_logged(runs):
    (pages, log) = runs
    progress = [line for line in log if line.startswith("render chapters/page.qmd")]
    assert len(progress) == 2
    assert re.fullmatch(r"render chapters/page\.qmd: cache miss, executed 15 cells in [0-9.]+ s", progress[0])
    assert re.fullmatch(r"render chapters/page\.qmd: cache miss, executed 15 cells in [0-9.]+ s, "
                        r"kernel started in advance", progress[1])
    assert pages[0].cells_executed == 15 and not pages[0].cached


def test_two_executions_are_byte_identical(runs):
    (first, second), _ = runs
    assert first.markdown == second.markdown
    assert [f.name for f in first.figures] == [f.name for f in second.figures]
    assert len(first.figures) == 7
    for a, b in zip(first.figures, second.figures):
        assert a != b and a.read_bytes() == b.read_bytes()


def test_failing_cell_names_page_cell_and_traceback(tmp_path_factory):
    root = _project(tmp_path_factory, "failing", (
        "Text\n\n```{python}\nx = 1\n```\n\n"
        "```{python}\n#| label: fig-broken\nvalues = [1, 2]\nvalues[0] / (x - 1)\n```\n\nNever reached\n"))
    with pytest.raises(RenderError) as err:
        execute_page(root / "chapters" / "page.qmd", project_root=root, figures_dir=root / "figs",
                     cache=False, log=lambda _: None)
    message = str(err.value)
    assert message.startswith("chapters/page.qmd: cell fig-broken (line 7: 'values = [1, 2]') raised "
                              "ZeroDivisionError: division by zero")
    assert "values[0] / (x - 1)" in message  # the traceback text
    assert "\x1b[" not in message


def test_failing_inline_expression_is_named(tmp_path_factory):
    root = _project(tmp_path_factory, "inline", "First line\n\nValue `{python} undefined_name + 1`.\n")
    with pytest.raises(RenderError, match=r"chapters/page\.qmd: inline expression `\{python\} "
                                          r"undefined_name \+ 1` \(line 3\) raised NameError"):
        execute_page(root / "chapters" / "page.qmd", project_root=root, figures_dir=root / "figs",
                     cache=False, log=lambda _: None)


def test_inline_expressions_of_a_block_run_in_order_between_the_cells_around_them(tmp_path_factory):
    root = _project(tmp_path_factory, "inline-order", (
        "```{python}\nseen = []\n```\n\n"
        "A `{python} seen.append('a') or len(seen)`, b `{python} seen.append('b') or ''.join(seen)`.\n\n"
        "```{python}\nseen.append('cell')\n```\n\n"
        "C `{python} '-'.join(seen)`.\n"))
    page = execute_page(root / "chapters" / "page.qmd", project_root=root, figures_dir=root / "figs",
                        cache=False, log=lambda _: None)
    assert "A 1, b ab." in page.markdown and r"C a\-b\-cell." in page.markdown


def test_a_page_ending_in_inline_expressions_waits_until_the_kernel_is_done_with_them(tmp_path_factory):
    """The kernel replies to a request before its handler returns; here the handler then lingers for
    0.5 s and leaves a mark. The page's shutdown (an interrupt, then a kill) must wait for the kernel's
    idle status: a kernel stopped earlier leaves no mark, and one interrupted in the handler logs
    "KeyboardInterrupt caught in kernel" into the render's output."""
    root = _project(tmp_path_factory, "inline-last", "")
    mark = root / "handled"
    page_file = root / "chapters" / "page.qmd"
    page_file.write_text(
        "```{python}\n#| include: false\nimport inspect, time\n_kernel = get_ipython().kernel\n"
        "_handle = _kernel.shell_handlers['execute_request']\n"
        "async def _lingering(*args):\n    result = _handle(*args)\n"
        "    if inspect.isawaitable(result):\n        await result\n    time.sleep(0.5)\n"
        f"    open({str(mark)!r}, 'a').write('done')\n"
        "_kernel.shell_handlers['execute_request'] = _lingering\n```\n\n"
        "Last `{python} 6 * 7`.\n")
    page = execute_page(page_file, project_root=root, figures_dir=root / "figs", cache=False, log=lambda _: None)
    assert "Last 42." in page.markdown
    assert mark.read_text() == "done"


def test_the_first_failing_inline_expression_of_a_block_is_named(tmp_path_factory):
    root = _project(tmp_path_factory, "inline-two", "Fine `{python} 1 + 1`, then `{python} 1 / 0` and "
                                                    "`{python} undefined_name`.\n")
    with pytest.raises(RenderError, match=r"inline expression `\{python\} 1 / 0` \(line 1\) raised "
                                          r"ZeroDivisionError"):
        execute_page(root / "chapters" / "page.qmd", project_root=root, figures_dir=root / "figs",
                     cache=False, log=lambda _: None)


@pytest.mark.parametrize("code, timeout, message", [
    ("import time\ntime.sleep(60)", 2, r"cell #1 \(line 1: 'import time'\) did not finish within the time limit"),
    ("import os\nos._exit(3)", 600, "the Jupyter kernel died"),
])
def test_timeouts_and_kernel_deaths_are_render_errors(tmp_path, code, timeout, message):
    (tmp_path / "p.qmd").write_text(f"```{{python}}\n{code}\n```\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"^p\.qmd: " + message):
        execute_page(tmp_path / "p.qmd", project_root=tmp_path, figures_dir=tmp_path / "f", cache=False,
                     timeout=timeout, log=lambda _: None)


def test_execute_dir_project_runs_the_kernel_in_the_project_root(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "p.qmd").write_text("Here: `{python} __import__('os').getcwd()`.\n", encoding="utf-8")
    for execute_dir, cwd in (("project", tmp_path), ("file", tmp_path / "chapters")):
        page = execute_page(tmp_path / "chapters" / "p.qmd", project_root=tmp_path, figures_dir=tmp_path / "f",
                            cache=False, log=lambda _: None, execute_dir=execute_dir)
        assert page.markdown == f"Here: {shown(str(cwd))}.\n"


def test_figure_options_in_the_front_matter_apply_to_the_page(tmp_path):
    text = "---\nfig-format: png\nfig-dpi: 50\n---\n\n```{python}\n#| label: fig-x\n#| fig-cap: X\n#| fig-alt: X\n" \
           "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\n```\n"
    (tmp_path / "p.qmd").write_text(text, encoding="utf-8")
    page = execute_page(tmp_path / "p.qmd", project_root=tmp_path, figures_dir=tmp_path / "f", cache=False,
                        log=lambda _: None, figure=SVG)
    assert [f.name for f in page.figures] == ["p-fig-x.png"]
    (tmp_path / "p.qmd").write_text(text.replace("png", "pdf"), encoding="utf-8")
    with pytest.raises(RenderError, match="p.qmd: fig-format 'pdf'"):
        execute_page(tmp_path / "p.qmd", project_root=tmp_path, figures_dir=tmp_path / "f", cache=False,
                     log=lambda _: None)


def test_page_without_code_needs_no_kernel(tmp_path, monkeypatch):
    import evalcorr.render.execute as execute

    monkeypatch.setattr(execute, "acquire_kernel", None)  # would fail if a kernel were started
    (tmp_path / "p.qmd").write_text("---\ntitle: T\n---\n\nJust *text*.\n", encoding="utf-8")
    page = execute_page(tmp_path / "p.qmd", project_root=tmp_path, figures_dir=tmp_path / "f",
                        cache=False, log=lambda _: None)
    assert page.markdown == "\nJust *text*.\n" and page.figures == []


def test_helpers():
    assert merge_meta({"a": 1, "execute": {"echo": False, "warning": False}},
                      {"execute": {"echo": True}, "b": 2}) == {
        "a": 1, "b": 2, "execute": {"echo": True, "warning": False}}
    # Quarto: a string loses its quotes and gets \`*_{}[]()>#+,-.! escaped; other values show their repr
    assert inline_text({"text/plain": "'a_b*[c]<d>@e$1'"}) == r"a\_b\*\[c\]<d\>@e$1"
    assert inline_text({"text/plain": repr("0.85, (n=3)!")}) == r"0\.85\, \(n=3\)\!"
    assert inline_text({"text/plain": repr('say "x"')}) == 'say "x"'
    assert inline_text({"text/plain": "3"}) == "3" and inline_text({"text/plain": "np.float64(0.25)"}) == "np.float64(0.25)"
    assert inline_text({"text/plain": "''"}) == "" and inline_text({"text/markdown": "", "text/plain": "x"}) == ""
    assert inline_text({"text/markdown": "**b**", "text/plain": "<Markdown>"}) == "**b**"
    assert strip_ansi("\x1b[0;31mZeroDivisionError\x1b[0m: x") == "ZeroDivisionError: x"
