"""Tests of evalcorr.render.qmd: splitting a .qmd page into front matter, Markdown and cells."""

import pytest

from evalcorr.errors import RenderError
from evalcorr.render.qmd import CodeCell, InlineExpr, MarkdownBlock, parse_qmd, read_qmd

PAGE = """\
---
title: "A page"
execute:
  echo: false
---

Intro text with `{python} n_models` models and `plain code`.

```{python}
#| label: fig-corr
#| fig-cap: "Correlations: all tasks"
#| fig-alt: >-
#|   A heatmap of task
#|   correlations.
#| echo: true
fig = make_figure()
fig
```

::: {.callout-note}
See @fig-corr [@liang2023helm].
:::

```{python}
x = 1
```
"""


def test_front_matter_and_block_order():
    doc = parse_qmd(PAGE)
    assert doc.front_matter == {"title": "A page", "execute": {"echo": False}}
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["MarkdownBlock", "CodeCell", "MarkdownBlock", "CodeCell"]
    assert [c.index for c in doc.cells] == [0, 1]
    assert [c.line for c in doc.cells] == [9, 24]


def test_cell_options_are_yaml_and_removed_from_the_code():
    cell = parse_qmd(PAGE).cells[0]
    assert cell.options == {
        "label": "fig-corr",
        "fig-cap": "Correlations: all tasks",
        "fig-alt": "A heatmap of task correlations.",
        "echo": True,
    }
    assert cell.code == "fig = make_figure()\nfig"
    assert cell.label == "fig-corr"
    assert cell.describe() == "cell fig-corr (line 9: 'fig = make_figure()')"
    assert parse_qmd(PAGE).cells[1].describe() == "cell #2 (line 24: 'x = 1')"


def test_markdown_passes_through_byte_for_byte():
    doc = parse_qmd(PAGE)
    callout = doc.blocks[2]
    assert callout.text == "\n::: {.callout-note}\nSee @fig-corr [@liang2023helm].\n:::\n\n"
    assert callout.line == 19


def test_inline_expressions_are_split_out_of_the_text():
    intro = parse_qmd(PAGE).blocks[0]
    assert intro.parts == ("\nIntro text with ", InlineExpr("n_models", 7),
                           " models and `plain code`.\n\n")
    assert intro.text == "\nIntro text with `{python} n_models` models and `plain code`.\n\n"


def test_code_inside_plain_fences_is_neither_a_cell_nor_inline_code():
    text = "Before\n\n````markdown\n```{python}\nx = 1\n```\nand `{python} y`\n````\n\nAfter `{python} z`\n"
    doc = parse_qmd(text)
    assert doc.cells == []
    (block,) = doc.blocks
    assert [p for p in block.parts if isinstance(p, InlineExpr)] == [InlineExpr("z", 10)]
    assert block.text == text


def test_double_backtick_code_spans_show_inline_syntax_literally():
    (block,) = parse_qmd("Write `` `{python} expr` `` to compute `{python} n` values.\n").blocks
    assert block.parts == ("Write `` `{python} expr` `` to compute ", InlineExpr("n", 1), " values.\n")


def test_no_front_matter_and_empty_options():
    doc = parse_qmd("```{python}\nprint(1)\n```\n")
    assert doc.front_matter == {}
    assert doc.blocks == (CodeCell(code="print(1)", options={}, index=0, line=1),)


def test_longer_fences_close_only_on_a_matching_fence():
    doc = parse_qmd("````{python}\ns = '''\n```\n'''\n````\ntext\n")
    assert doc.cells[0].code == "s = '''\n```\n'''"
    assert doc.blocks[1] == MarkdownBlock(("text\n",), 6)


@pytest.mark.parametrize("text, message", [
    ("```{python}\nx = 1\n", "never closed"),
    ("```{r}\nx <- 1\n```\n", "only {python} cells"),
    ("---\ntitle: [unclosed\n---\n", "front matter does not parse"),
    ("---\ntitle: x\n", "never closed"),
    ("---\n- a list\n---\n", "must be a mapping"),
    ("```{python}\n#| label: [x\nx = 1\n```\n", "do not parse as YAML"),
])
def test_malformed_pages_raise_render_error_naming_the_file(text, message):
    with pytest.raises(RenderError, match="chapters/x.qmd") as err:
        parse_qmd(text, source="chapters/x.qmd")
    assert message in str(err.value)


def test_read_qmd_missing_file(tmp_path):
    with pytest.raises(RenderError, match="page not found"):
        read_qmd(tmp_path / "missing.qmd")
    (tmp_path / "p.qmd").write_text("---\ntitle: T\n---\nBody\n", encoding="utf-8")
    assert read_qmd(tmp_path / "p.qmd").front_matter == {"title": "T"}
