"""AST transforms shared by the site and the PDF: format-specific content, callouts, headings, links.

Each function takes a page's AST blocks and returns new blocks; none of them mutates its input.
"""

from __future__ import annotations

import posixpath
import re
from typing import Callable

from evalcorr.errors import RenderError
from evalcorr.render.pandoc import attr, element, find_all, stringify, text_inlines, walk

# Formats a `when-format` / `unless-format` value matches, as Quarto names them.
FORMAT_ALIASES = {"html": {"html", "html5", "html:js"}, "pdf": {"pdf", "typst", "latex"}}

CALLOUT_KINDS = ("note", "warning", "tip", "important", "caution")


def select_format(blocks: list, fmt: str) -> list:
    """Keep ``.content-visible`` / ``.content-hidden`` divs meant for `fmt` (``html`` or ``pdf``), unwrapped.

    ``::: {.content-visible when-format="html"}`` stays on the site and is dropped from the PDF;
    ``unless-format`` inverts the condition and ``.content-hidden`` inverts the whole rule. A figure of
    :func:`html_figures` keeps its raw HTML on the site and its image in the PDF.
    """
    names = FORMAT_ALIASES[fmt]

    def visit(item):
        if item["t"] == "Figure" and "html-figure" in item["c"][0][1]:
            # the site shows the figure's HTML, the PDF its image (as Quarto picks a format's mime type)
            keep = [block for block in item["c"][2]
                    if (block["t"] == "RawBlock") == (fmt == "html") or block["t"] not in {"RawBlock", "Para", "Plain"}]
            return element("Figure", [item["c"][0], item["c"][1], keep])
        if item["t"] != "Div":
            return None
        _, classes, pairs = item["c"][0]
        visible = "content-visible" in classes
        if not visible and "content-hidden" not in classes:
            return None
        options = dict(pairs)
        if "when-format" in options:
            matches = options["when-format"] in names
        elif "unless-format" in options:
            matches = options["unless-format"] not in names
        else:
            matches = True
        show = matches if visible else not matches
        return select_format(item["c"][1], fmt) if show else []  # what it holds may be format-specific too

    return walk(blocks, visit)


def html_figures(blocks: list) -> list:
    """Make each ``::: {#fig-x .html-figure}`` div (an output with HTML and an image) a ``Figure``.

    The div holds the raw HTML block, the image paragraph and the caption paragraph; the Figure keeps
    the label, the caption and both contents (:func:`select_format` keeps the one of each format).
    """

    def visit(item):
        if item["t"] != "Div" or "html-figure" not in item["c"][0][1]:
            return None
        ident, content = item["c"][0][0], item["c"][1]
        caption = [block for block in content if block["t"] in {"Para", "Plain"} and not find_all(block, {"Image"})]
        body = [block for block in content if block not in caption]
        return element("Figure", [attr(ident, ["html-figure"]), [None, [element("Plain", caption[-1]["c"])] if caption else []],
                                  body])

    return walk(blocks, visit)


def shift_headings(blocks: list) -> list:
    """Shift headings so that the page's top section level is 2 (level 1 is the page title)."""
    levels = [item["c"][0] for item in blocks if item["t"] == "Header"]
    shift = 2 - min(levels) if levels and min(levels) < 2 else 0
    if not shift:
        return blocks

    def visit(item):
        if item["t"] == "Header":
            return {"t": "Header", "c": [item["c"][0] + shift, *item["c"][1:]]}
        return None

    return walk(blocks, visit)


def callout(item: dict) -> tuple[str, list, list] | None:
    """``(kind, title inlines, body blocks)`` when `item` is a callout div, else None.

    The title is the div's ``title`` attribute, else its first heading, else the kind ("Note").
    """
    if item["t"] != "Div":
        return None
    _, classes, pairs = item["c"][0]
    kinds = [name.removeprefix("callout-") for name in classes if name.startswith("callout-")]
    if not kinds or kinds[0] not in CALLOUT_KINDS:
        return None
    body = item["c"][1]
    options = dict(pairs)
    if options.get("title"):
        title = text_inlines(options["title"])
    elif body and body[0]["t"] == "Header":
        title, body = body[0]["c"][2], body[1:]
    else:
        title = text_inlines(kinds[0].capitalize())
    return kinds[0], title, body


def alt_text(blocks: list) -> list:
    """Make each image's ``fig-alt`` attribute its alt text (the image's description)."""

    def visit(item):
        if item["t"] != "Image":
            return None
        ident, classes, pairs = item["c"][0]
        options = dict(pairs)
        if "fig-alt" not in options:
            return None
        rest = [pair for pair in pairs if pair[0] != "fig-alt"]
        return element("Image", [[ident, classes, rest], text_inlines(options["fig-alt"]), item["c"][2]])

    return walk(blocks, visit)


def subfigures(blocks: list) -> list:
    """Lay out a cell that displayed several images as Quarto does: one figure of subfigures.

    The executed Markdown marks such a cell as ``::: {#fig-x .quarto-subfigures}`` holding one image per
    paragraph (ids ``fig-x-1``, ``fig-x-2``, ...) and then the caption. It becomes a ``Figure`` with the
    cell's label and caption whose content is one ``Figure`` per image, captioned (a), (b), ...
    """

    def visit(item):
        if item["t"] != "Div" or "quarto-subfigures" not in item["c"][0][1]:
            return None
        ident, content = item["c"][0][0], item["c"][1]
        caption = [block for block in content if block["t"] in {"Para", "Plain"} and not find_all(block, {"Image"})]
        figures = []
        for index, image in enumerate(find_all(content, {"Image"})):
            (sub_id, classes, pairs), *rest = image["c"]
            letter = text_inlines(f"({chr(ord('a') + index)})")
            figures.append(element("Figure", [attr(sub_id), [None, [element("Plain", letter)]],
                                              [element("Plain", [element("Image", [attr("", classes, pairs), *rest])])]]))
        body = [element("Plain", caption[-1]["c"])] if caption else []
        return element("Figure", [attr(ident), [None, body], figures])

    return walk(blocks, visit)


def images(blocks: list, relocate: Callable[[str], str]) -> list:
    """Replace every image source by ``relocate(source)``."""

    def visit(item):
        if item["t"] != "Image":
            return None
        src, title = item["c"][2]
        return element("Image", [item["c"][0], item["c"][1], [relocate(src), title]])

    return walk(blocks, visit)


_LOCAL_QMD = re.compile(r"^(?![a-z][a-z0-9+.-]*:)([^#?]*\.qmd)(#.*)?$", re.IGNORECASE)


def page_links(blocks: list, source: str, pages: set[str], rewrite: Callable[[str, str], str]) -> list:
    """Rewrite links to other pages (``helm.qmd#sec``) with ``rewrite(target_source, fragment)``.

    `target_source` is the linked page's path relative to the project root, as in ``_quarto.yml``;
    `fragment` is the part after ``#`` (may be empty). A link to a ``.qmd`` file that is not one of
    `pages` raises RenderError naming the page that links.
    """

    def visit(item):
        if item["t"] != "Link":
            return None
        url, title = item["c"][2]
        match = _LOCAL_QMD.match(url)
        if not match:
            return None
        target = posixpath.normpath(posixpath.join(posixpath.dirname(source), match.group(1)))
        if target not in pages:
            raise RenderError(f"{source}: links to {target}, which is not a page of the report "
                              "(_quarto.yml `book: chapters:`)")
        fragment = (match.group(2) or "#")[1:]
        return element("Link", [item["c"][0], item["c"][1], [rewrite(target, fragment), title]])

    return walk(blocks, visit)


def section_outline(blocks: list) -> list[tuple[str, str, int]]:
    """``(id, text, level)`` of the page's level-2 and level-3 headings, for the on-page contents."""
    return [(item["c"][1][0], stringify(item["c"][2]), item["c"][0]) for item in blocks
            if item["t"] == "Header" and item["c"][0] in (2, 3) and item["c"][1][0]]


def callout_div(kind: str, title: list, body: list) -> dict:
    """The site's callout box: a div with a title bar and a body."""
    return element("Div", [attr(classes=["callout", f"callout-{kind}"]), [
        element("Div", [attr(classes=["callout-title"]), [element("Plain", title)]]),
        element("Div", [attr(classes=["callout-body"]), body]),
    ]])
