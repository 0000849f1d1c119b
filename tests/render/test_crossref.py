"""Cross-references: figures and tables numbered per document, references resolved or reported."""

import pytest

from evalcorr.errors import RenderError
from evalcorr.render import crossref
from evalcorr.render.pandoc import find_all, markdown_to_ast, stringify

LANDING = """
See @fig-overview.

![Overview.](a.svg){#fig-overview}
"""

CHAPTER = """
@fig-first and @fig-second come before @tbl-scores; the overview is @fig-overview.

![First caption.](b.svg){#fig-first fig-alt="first"}

| a | b |
|---|---|
| 1 | 2 |

: Scores. {#tbl-scores}

![Second caption.](c.svg){#fig-second}
"""


def parse(markdown):
    return markdown_to_ast(markdown, what="test")["blocks"]


@pytest.fixture()
def pages():
    return [("index.qmd", None, parse(LANDING)), ("chapters/one.qmd", 1, parse(CHAPTER))]


def test_numbers_per_kind_and_chapter(pages):
    targets = crossref.number_targets(pages)
    assert {label: target.text for label, target in targets.items()} == {
        "fig-overview": "Figure 1", "fig-first": "Figure 1.1", "tbl-scores": "Table 1.1",
        "fig-second": "Figure 1.2"}
    assert targets["fig-overview"].page == "index.qmd"


def test_resolve_links_references_and_numbers_captions(pages):
    targets = crossref.number_targets(pages)
    blocks = crossref.resolve(pages[1][2], "chapters/one.qmd", targets,
                              lambda t: f"#{t.label}" if t.page == "chapters/one.qmd" else f"../index.html#{t.label}")
    links = {stringify(link["c"][1]): link["c"][2][0] for link in find_all(blocks, {"Link"})}
    assert links == {"Figure 1.1": "#fig-first", "Figure 1.2": "#fig-second", "Table 1.1": "#tbl-scores",
                     "Figure 1": "../index.html#fig-overview"}
    assert not find_all(blocks, {"Cite"})
    captions = [stringify(item["c"][1][1]) for item in find_all(blocks, {"Figure", "Table"})]
    assert captions == ["Figure 1.1: First caption.", "Table 1.1: Scores.", "Figure 1.2: Second caption."]


def test_bibliography_citations_are_left_alone(pages):
    blocks = parse("As shown by @doe2020, and elsewhere [see @roe2021, p. 3].")
    out = crossref.resolve(blocks, "x.qmd", crossref.number_targets(pages), lambda t: "#")
    assert [c["c"][0][0]["citationId"] for c in find_all(out, {"Cite"})] == ["doe2020", "roe2021"]


def test_unresolved_reference_names_page_and_label(pages):
    blocks = parse("See @fig-missing.")
    with pytest.raises(RenderError, match=r"chapters/two\.qmd: unresolved cross-reference @fig-missing"):
        crossref.resolve(blocks, "chapters/two.qmd", crossref.number_targets(pages), lambda t: "#")


def test_duplicate_label_names_both_pages(pages):
    pages.append(("chapters/two.qmd", 2, parse("![Again.](d.svg){#fig-first}")))
    with pytest.raises(RenderError, match=r"chapters/two\.qmd: label #fig-first is already defined in chapters/one\.qmd"):
        crossref.number_targets(pages)


def test_mixed_reference_and_citation_is_an_error(pages):
    with pytest.raises(RenderError, match="mixes cross-references and citations"):
        crossref.resolve(parse("[@fig-first; @doe2020]"), "x.qmd", crossref.number_targets(pages), lambda t: "#")


def test_prefix_and_several_references(pages):
    out = crossref.resolve(parse("[see @fig-first; @fig-second]"), "x.qmd", crossref.number_targets(pages),
                           lambda t: "#" + t.label)
    assert stringify(out) == "see Figure 1.1; Figure 1.2"
