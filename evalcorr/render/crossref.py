"""Figure and table cross-references, numbered per document as Quarto does.

A figure is an AST ``Figure`` whose identifier starts with ``fig-``; a table is a ``Table`` whose
identifier starts with ``tbl-``. :func:`number_targets` numbers them over the whole report, in page
order: ``2.3`` is the third figure of chapter 2, and unnumbered pages (the landing article) count
``1, 2, ...``. :func:`resolve` then prefixes each caption ("Figure 2.3: ...") and turns every
``@fig-x`` / ``@tbl-x`` (parsed by pandoc as a citation) into a link reading "Figure 2.3".
A reference to a label that no page defines is an error naming the page and the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from evalcorr.errors import RenderError
from evalcorr.render.pandoc import attr, element, text_inlines, walk

KINDS = {"fig": "Figure", "tbl": "Table"}


@dataclass(frozen=True)
class Target:
    """A numbered figure or table: where it is and what a reference to it reads."""

    label: str
    page: str
    number: str

    @property
    def kind(self) -> str:
        return KINDS[self.label.split("-", 1)[0]]

    @property
    def text(self) -> str:
        """How a reference reads, e.g. ``Figure 2.3``."""
        return f"{self.kind} {self.number}"


def is_crossref(key: str) -> bool:
    """Whether a citation key is a figure/table cross-reference rather than a bibliography key."""
    prefix = key.split("-", 1)[0]
    return prefix in KINDS and "-" in key


def labels(blocks: list) -> list[str]:
    """Figure and table labels defined in `blocks`, in document order."""
    found = []

    def visit(item):
        if item["t"] in {"Figure", "Table"}:
            ident = item["c"][0][0]
            if is_crossref(ident):
                found.append(ident)
            if item["t"] == "Figure":  # figures inside a figure are its subfigures, numbered with it
                return element("Figure", [item["c"][0], item["c"][1], []])
        return None

    walk(blocks, visit)
    return found


def number_targets(pages: Iterable[tuple[str, int | None, list]]) -> dict[str, Target]:
    """Number the figures and tables of all pages.

    Parameters
    ----------
    pages
        ``(source, chapter number or None, blocks)`` for every page, in report order.

    Returns
    -------
    dict
        label -> :class:`Target`. A label defined twice raises RenderError naming both pages.
    """
    targets: dict[str, Target] = {}
    for source, chapter, blocks in pages:
        counters = dict.fromkeys(KINDS, 0)
        for label in labels(blocks):
            if label in targets:
                raise RenderError(f"{source}: label #{label} is already defined in {targets[label].page}; "
                                  "labels must be unique across the report")
            prefix = label.split("-", 1)[0]
            counters[prefix] += 1
            number = f"{chapter}.{counters[prefix]}" if chapter else str(counters[prefix])
            targets[label] = Target(label, source, number)
    return targets


def resolve(blocks: list, source: str, targets: dict[str, Target], href: Callable[[Target], str]) -> list:
    """Number the captions of `blocks` and turn cross-references into links.

    Parameters
    ----------
    blocks
        The page's AST blocks.
    source
        The page's source path, named in errors.
    targets
        From :func:`number_targets`.
    href
        Link address of a target as seen from this page (``#fig-x`` or ``other.html#fig-x``).
    """

    def visit(item):
        kind = item["t"]
        if kind in {"Figure", "Table"} and item["c"][0][0] in targets:
            content = list(item["c"])
            content[1] = _numbered_caption(content[1], targets[item["c"][0][0]])
            return {"t": kind, "c": content}
        if kind == "Cite":
            return _reference(item, source, targets, href)
        return None

    return walk(blocks, visit)


def _numbered_caption(caption: list, target: Target) -> list:
    short, body = caption
    prefix = text_inlines(f"{target.text}:")
    if body and body[0]["t"] in {"Plain", "Para"}:
        first = body[0]
        body = [{"t": first["t"], "c": prefix + [element("Space")] + first["c"]}, *body[1:]]
    else:
        body = [element("Plain", text_inlines(target.text)), *body]
    return [short, body]


def _reference(cite: dict, source: str, targets: dict[str, Target], href) -> list | None:
    citations = cite["c"][0]
    keys = [citation["citationId"] for citation in citations]
    crossrefs = [is_crossref(key) for key in keys]
    if not any(crossrefs):
        return None
    if not all(crossrefs):
        raise RenderError(f"{source}: [{'; '.join('@' + key for key in keys)}] mixes cross-references "
                          "and citations; write them as separate references")
    out = []
    for citation in citations:
        key = citation["citationId"]
        if key not in targets:
            raise RenderError(f"{source}: unresolved cross-reference @{key}: no figure or table has the "
                              f"label #{key} (a cell needs `#| label: {key}` and a caption)")
        if out:
            out += [element("Str", ";"), element("Space")]
        out += citation["citationPrefix"] + ([element("Space")] if citation["citationPrefix"] else [])
        target = targets[key]
        out.append(element("Link", [attr(classes=["quarto-xref"]), text_inlines(target.text),
                                     [href(target), ""]]))
        out += citation["citationSuffix"]
    return out
