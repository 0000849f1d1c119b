"""AST transforms shared by the site and the PDF."""

import pytest

from evalcorr.errors import RenderError
from evalcorr.render import filters
from evalcorr.render.pandoc import find_all, markdown_to_ast, stringify


def parse(markdown):
    return markdown_to_ast(markdown, what="test")["blocks"]


FORMATS = """
::: {.content-visible when-format="html"}
site only
:::

::: {.content-visible unless-format="html"}
not on the site
:::

::: {.content-hidden when-format="pdf"}
hidden from the PDF
:::

::: {.content-visible}
everywhere
:::
"""


@pytest.mark.parametrize("fmt, shown", [
    ("html", ["site only", "hidden from the PDF", "everywhere"]),
    ("pdf", ["not on the site", "everywhere"]),
])
def test_select_format(fmt, shown):
    blocks = filters.select_format(parse(FORMATS), fmt)
    assert [stringify(block) for block in blocks] == shown
    assert not find_all(blocks, {"Div"})  # kept content is unwrapped


def test_shift_headings_makes_the_top_level_two():
    blocks = filters.shift_headings(parse("# A\n\n## B\n\n### C\n"))
    assert [block["c"][0] for block in blocks] == [2, 3, 4]
    assert filters.shift_headings(parse("## A\n\n### B\n")) == parse("## A\n\n### B\n")


@pytest.mark.parametrize("markdown, kind, title, body", [
    ("::: {.callout-note}\n## Read this\nText.\n:::", "note", "Read this", "Text."),
    ("::: {.callout-tip title=\"A tip\"}\nText.\n:::", "tip", "A tip", "Text."),
    ("::: {.callout-caution}\nText.\n:::", "caution", "Caution", "Text."),
])
def test_callout_parts(markdown, kind, title, body):
    found, title_inlines, body_blocks = filters.callout(parse(markdown)[0])
    assert (found, stringify(title_inlines), stringify(body_blocks)) == (kind, title, body)


def test_other_divs_are_not_callouts():
    assert filters.callout(parse("::: {.callout-unknown}\nx\n:::")[0]) is None
    assert filters.callout(parse("::: {.note}\nx\n:::")[0]) is None


def test_alt_text_comes_from_fig_alt():
    blocks = filters.alt_text(parse('![Caption.](a.svg){#fig-a fig-alt="What the figure shows."}'))
    image = find_all(blocks, {"Image"})[0]
    assert stringify(image["c"][1]) == "What the figure shows."
    assert "fig-alt" not in dict(image["c"][0][2])


def test_page_links_resolve_relative_to_the_page():
    blocks = parse("[a](helm.qmd#mmlu) [b](../index.qmd) [c](https://example.org/x.qmd) [d](#local)")
    seen = []
    out = filters.page_links(blocks, "chapters/open.qmd", {"chapters/helm.qmd", "index.qmd"},
                             lambda target, fragment: seen.append((target, fragment)) or f"{target}|{fragment}")
    assert seen == [("chapters/helm.qmd", "mmlu"), ("index.qmd", "")]
    assert [link["c"][2][0] for link in find_all(out, {"Link"})] == [
        "chapters/helm.qmd|mmlu", "index.qmd|", "https://example.org/x.qmd", "#local"]
    with pytest.raises(RenderError, match="chapters/open.qmd: links to chapters/gone.qmd"):
        filters.page_links(parse("[x](gone.qmd)"), "chapters/open.qmd", {"index.qmd"}, lambda t, f: "")


SUBFIGURES = """
::: {#fig-two .quarto-subfigures}

![](a.svg){#fig-two-1 fig-alt="first"}

![](b.svg){#fig-two-2 fig-alt="second"}

Two panels.

:::
"""


def test_several_images_of_one_cell_become_one_figure_of_subfigures():
    from evalcorr.render import crossref, pandoc

    blocks = filters.subfigures(parse(SUBFIGURES))
    assert [block["t"] for block in blocks] == ["Figure"]
    outer = blocks[0]
    assert outer["c"][0][0] == "fig-two" and stringify(outer["c"][1][1]) == "Two panels."
    inner = outer["c"][2]
    assert [sub["c"][0][0] for sub in inner] == ["fig-two-1", "fig-two-2"]
    assert [stringify(sub["c"][1][1]) for sub in inner] == ["(a)", "(b)"]
    assert [image["c"][2][0] for image in find_all(inner, {"Image"})] == ["a.svg", "b.svg"]
    # numbered as one figure, as Quarto numbers a figure with subfigures
    assert crossref.labels(blocks) == ["fig-two"]
    html = pandoc.write_ast({"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": blocks}, "html5", [], what="t")
    assert html.count("<figure") == 3 and "Two panels." in html


WALKED = """---
title: A page
keywords: [one, "*two*"]
---

# Heading {#sec-a}

Text with a [link](a.html), a citation [@doe2020; @roe2021, p. 3], `code` and a note.[^1]

[^1]: The note cites @doe2020 and links [b](b.html).

::: {#fig-a}
![A caption with [a link](c.html)](a.svg)

The figure's caption.
:::

| a | b |
|---|---|
| [x](x.html) | *y* |

: A table {#tbl-a}

- item [z](z.html)
  - nested ![img](b.svg)
"""


def test_find_all_finds_what_walk_visits_in_the_same_order():
    from evalcorr.render.pandoc import walk

    def by_walk(node, kinds):
        found = []
        walk(node, lambda item: found.append(item) if item["t"] in kinds else None)
        return found

    document = markdown_to_ast(WALKED, what="test")
    kinds = [{"Link"}, {"Image"}, {"Cite"}, {"Str"}, {"Para", "Plain"}, {"Figure", "Table", "Note"},
             {"MetaInlines", "MetaList", "Emph"}, {"Header", "BulletList", "Code"}]
    for node in (document, document["blocks"], document["meta"]):
        for wanted in kinds:
            ours, reference = find_all(node, wanted), by_walk(node, wanted)
            assert len(ours) == len(reference) and all(a is b for a, b in zip(ours, reference))
    # six links (an implicit figure's caption is also its image's description) and the emphasis in the metadata
    assert len(find_all(document, {"Link"})) == 6 and len(find_all(document["meta"], {"Emph"})) == 1
