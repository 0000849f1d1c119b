"""One page of the site: its AST blocks -> an HTML fragment (pandoc, with citeproc).

Site-only content is kept, PDF-only content dropped; callouts become titled boxes; cross-references
link to the numbered figure or table, on this page or another; citations link to the page's own
reference list (the references page lists every entry of the bibliography).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from evalcorr.render import crossref, filters
from evalcorr.render.citations import citeproc_args
from evalcorr.render.pandoc import PandocCache, attr, element, find_all, text_inlines, walk, write_ast
from evalcorr.render.project import Page, Project


@dataclass(frozen=True)
class HtmlPage:
    """A page's HTML body and its sections ``(id, text, level)`` for the on-page contents."""

    body: str
    sections: list[tuple[str, str, int]]


def relative_href(from_page: str, to_path: str) -> str:
    """Address of site path `to_path` as seen from the page at site path `from_page`."""
    return posixpath.relpath(to_path, posixpath.dirname(from_page) or ".")


def page_html(ast: dict, page: Page, project: Project, targets: dict[str, crossref.Target], *,
              cache: PandocCache | None = None) -> HtmlPage:
    """Render one page's AST (images already placed on the site, paths relative to the site root).

    Parameters
    ----------
    ast
        The page's pandoc JSON AST (``meta`` may carry ``nocite``).
    page, project
        The page and the project it belongs to (for links and the bibliography).
    targets
        Numbered figures and tables of the whole report (:func:`crossref.number_targets`).
    cache
        Pandoc outputs kept between renders (:class:`evalcorr.render.pandoc.PandocCache`).
    """
    sources = {other.source: other for other in project.pages}

    def page_href(target_source: str, fragment: str) -> str:
        href = relative_href(page.html, sources[target_source].html)
        return f"{href}#{fragment}" if fragment else href

    blocks = filters.select_format(ast["blocks"], "html")
    blocks = filters.shift_headings(filters.alt_text(blocks))
    blocks = crossref.resolve(blocks, page.source, targets, lambda target: (
        f"#{target.label}" if target.page == page.source else page_href(target.page, target.label)))
    blocks = filters.page_links(blocks, page.source, set(sources), page_href)
    blocks = filters.images(blocks, lambda src: src if "://" in src else relative_href(page.html, src))
    blocks = walk(blocks, lambda item: filters.callout_div(*parts) if (parts := filters.callout(item)) else None)
    blocks = walk(blocks, _table_block)

    # MathML: formulas render natively in browsers, with no script or font from the network.
    args = ["--wrap=none", "--mathml", "-M", "link-citations=true"]
    if project.bibliography is not None:
        args += citeproc_args(project)
        blocks = _reference_section(blocks)
    body = write_ast({**ast, "blocks": blocks}, "html5", args, what=page.source, cache=cache)
    return HtmlPage(body=body, sections=filters.section_outline(blocks))


def _table_block(item: dict) -> dict | None:
    """A table as caption + scrolling box, so a wide table scrolls without taking its caption along.

    The table's identifier moves to the enclosing block, which cross-references link to.
    """
    if item["t"] != "Table" or "wrapped" in item["c"][0][1]:
        return None
    (ident, classes, pairs), (short, caption), *rest = item["c"]
    table = element("Table", [attr(classes=[*classes, "wrapped"], attributes=pairs), [short, []], *rest])
    wrapped = element("Div", [attr(classes=["table-wrap"]), [table]])
    if not caption and not ident:
        return wrapped
    title = [element("Div", [attr(classes=["table-caption"]), caption])] if caption else []
    return element("Div", [attr(ident, ["table-block"]), [*title, wrapped]])


def _reference_section(blocks: list) -> list:
    """Append a "References" section for the page's citations, unless the page places ``#refs`` itself."""
    if any(item["t"] == "Div" and item["c"][0][0] == "refs" for item in blocks):
        return blocks
    cited = [citation for cite in find_all(blocks, {"Cite"}) for citation in cite["c"][0]]
    if not cited:
        return blocks
    return [*blocks, element("Header", [2, attr("page-references", ["unnumbered"]), text_inlines("References")]),
            element("Div", [attr("refs"), []])]
