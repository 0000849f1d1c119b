"""The whole report as one PDF: every page's AST -> citations formatted over the whole report (pandoc's
citeproc, once) -> one Typst document (pandoc, a chapter at a time) -> PDF (typst).

Each page becomes a chapter whose title is a level-1 heading ("2 HELM correlations"; the landing
article and the references are unnumbered). Figures stay vector (the site's SVG files), figures and
tables keep the numbers they have on the site, site-only content is dropped, callouts are boxes, and
the bibliography is printed where the references page puts its ``#refs`` div.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from evalcorr.errors import RenderError
from evalcorr.render import crossref, filters
from evalcorr.render.citations import citeproc_args, lists_references
from evalcorr.render.pandoc import PandocCache, attr, element, find_all, text_inlines, walk, write_ast
from evalcorr.render.project import Page, Project

TEMPLATE = Path(__file__).parent / "templates" / "report.typ"
DROP_BIBLIOGRAPHY = Path(__file__).parent / "templates" / "drop-bibliography.lua"
# Body text width of the A4 page in the template (21 cm - 2 x 2.2 cm), in points.
TEXT_WIDTH_PT = (21.0 - 4.4) / 2.54 * 72
_UNITS_PT = {"pt": 1.0, "px": 0.75, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "": 0.75}


def chapter_label(page: Page) -> str:
    """Typst label of a page's chapter heading."""
    return f"chapter-{page.slug}"


def chapter_blocks(ast: dict, page: Page, title: str, subtitle: str, project: Project,
                   targets: dict[str, crossref.Target], site_dir: Path) -> list:
    """One page as PDF chapter blocks: heading, subtitle, then the body prepared for Typst.

    Heading identifiers get the page slug as a prefix (``helm--results``), so that sections of
    different chapters never share a label in the one document.
    """
    sources = {other.source: other for other in project.pages}
    header_ids = {item["c"][1][0] for item in find_all(ast["blocks"], {"Header"})}

    def page_href(target_source: str, fragment: str) -> str:
        target = sources[target_source]
        if not fragment:
            return f"#{chapter_label(target)}"
        return f"#{fragment}" if crossref.is_crossref(fragment) else f"#{target.slug}--{fragment}"

    def visit(item):
        if item["t"] == "Header" and item["c"][1][0]:
            ident, classes, pairs = item["c"][1]
            return element("Header", [item["c"][0], [f"{page.slug}--{ident}", classes, pairs], item["c"][2]])
        if item["t"] == "Link" and item["c"][2][0].startswith("#") and item["c"][2][0][1:] in header_ids:
            return element("Link", [item["c"][0], item["c"][1], [f"#{page.slug}--{item['c'][2][0][1:]}",
                                                                 item["c"][2][1]]])
        if (parts := filters.callout(item)) is not None:
            kind, title_inlines, body = parts
            return [element("RawBlock", ["typst", f'#callout(kind: "{kind}")[']),
                    element("Para", [element("Strong", title_inlines)]), *body,
                    element("RawBlock", ["typst", "]"])]
        if item["t"] == "Image":
            return _pdf_image(item, site_dir, page)
        return None

    blocks = filters.select_format(ast["blocks"], "pdf")
    blocks = filters.shift_headings(filters.alt_text(blocks))
    blocks = crossref.resolve(blocks, page.source, targets, lambda target: f"#{target.label}")
    blocks = filters.page_links(blocks, page.source, set(sources), page_href)
    blocks = _join_text(walk(blocks, visit))

    heading = f"{page.number} {title}" if page.number else title
    out = [element("Header", [1, attr(chapter_label(page)), text_inlines(heading)])]
    if subtitle:
        out.append(element("Para", [element("Emph", text_inlines(subtitle))]))
    return out + blocks


def _join_text(node):
    """Drop raw inlines of other formats and merge the text around them into one ``Str``.

    Pandoc's Typst writer escapes ``//`` (a Typst comment) inside one string, but not across
    elements: ``results/<target>/eval`` would become ``results//eval`` once the raw HTML is dropped.
    """
    if isinstance(node, dict):
        return {key: _join_text(value) for key, value in node.items()}
    if not isinstance(node, list):
        return node
    out = []
    for item in node:
        if isinstance(item, dict) and item.get("t") == "RawInline" and item["c"][0] != "typst":
            continue
        item = _join_text(item)
        if isinstance(item, dict) and item.get("t") == "Str" and out and isinstance(out[-1], dict) \
                and out[-1].get("t") == "Str":
            out[-1] = element("Str", out[-1]["c"] + item["c"])
        else:
            out.append(item)
    return out


def _pdf_image(item: dict, site_dir: Path, page: Page) -> dict:
    """Point an image at its file on the site (Typst root = site) and fit wide ones to the text width."""
    src, title = item["c"][2]
    if "://" in src:
        raise RenderError(f"{page.source}: image {src} is remote; the PDF needs local figure files")
    ident, classes, pairs = item["c"][0]
    if not any(key == "width" for key, _ in pairs) and _width_pt(site_dir / src) > 0.85 * TEXT_WIDTH_PT:
        pairs = [*pairs, ["width", "100%"]]
    return element("Image", [[ident, classes, pairs], item["c"][1], ["/" + src, title]])


def _width_pt(path: Path) -> float:
    """Natural width of an SVG in points (0 when unknown or not an SVG)."""
    if path.suffix.lower() != ".svg":
        return 0.0
    match = re.search(r'<svg[^>]*?\swidth="([\d.]+)\s*([a-z]*)"', path.read_text(errors="replace")[:4000])
    if not match or match.group(2) not in _UNITS_PT:
        return 0.0
    return float(match.group(1)) * _UNITS_PT[match.group(2)]


def typst_source(chapters: list[list], meta: dict, api_version: list, project: Project,
                 cache: PandocCache | None = None) -> str:
    """The Typst source of the whole report: the template, then every chapter (from :func:`chapter_blocks`,
    in report order) with its citations formatted (:func:`_with_citations`).

    ``meta`` and ``api_version`` are the pandoc metadata for citeproc (e.g. ``nocite`` of the references
    page) and the AST version; ``cache`` keeps pandoc outputs between renders
    (:class:`evalcorr.render.pandoc.PandocCache`).
    """
    what = f"the PDF {project.pdf_file}"
    chapters = _with_citations(chapters, meta, api_version, project, what, cache)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:    # one pandoc process per chapter
        parts = pool.map(lambda blocks: _chapter_typst(blocks, api_version, what, cache), chapters)
        body = "\n\n".join(part.rstrip("\n") for part in parts) + "\n"
    return TEMPLATE.read_text() + "\n" + body


def write_pdf(text: str, project: Project, site_dir: Path, output: Path, inputs: dict[str, str], *,
              cache_dir: Path | None = None) -> bool:
    """Compile the Typst source `text` (:func:`typst_source`) to `output`; True when it was compiled, False
    when the PDF kept in `cache_dir` was copied.

    Parameters
    ----------
    site_dir
        The site being built: figure paths are relative to it.
    inputs
        Title-page fields for the template: title, subtitle, author, edition, note.
    cache_dir
        Where the last PDF is kept with the key of its inputs (:func:`pdf_key`); a render whose Typst
        source and figures are unchanged copies it instead of compiling. None always compiles.
    """
    if cache_dir is not None:
        key = pdf_key(text, site_dir, inputs)
        kept, kept_key = cache_dir / project.pdf_file, cache_dir / f"{project.pdf_file}.key"
        if kept.is_file() and kept_key.is_file() and kept_key.read_text() == key:
            shutil.copyfile(kept, output)
            return False
    source = site_dir / ".report.typ"
    source.write_text(text)
    import typst

    try:
        typst.compile(str(source), output=str(output), root=str(site_dir), sys_inputs=inputs)
    except typst.TypstError as error:
        kept = project.root / ".render-cache" / f"{project.pdf_name}-failed.typ"  # the build is discarded
        kept.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, kept)
        raise RenderError(f"the PDF {project.pdf_file}: Typst failed:\n{_diagnostic(error)}\n"
                          f"the Typst source is kept in {kept}") from error
    finally:
        source.unlink(missing_ok=True)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        kept_key.unlink(missing_ok=True)            # the key last: a PDF without its key is never used
        shutil.copyfile(output, kept)
        kept_key.write_text(key)
    return True


CHAPTER_CLASS = "evalcorr-chapter"     # wraps each chapter's citations in the one citeproc run


def _with_citations(chapters: list[list], meta: dict, api_version: list, project: Project, what: str,
                    cache: PandocCache | None) -> list[list]:
    """Every chapter's blocks with its citations formatted, by one citeproc run over the whole report.

    The report is one document to citeproc, as a Quarto book's PDF is: every chapter disambiguates over
    the same works, and the bibliography is printed where the references chapter puts its ``#refs`` div.
    A report without that div gets an empty one at its end, so that its citations still link to the
    bibliography, and a filter run after citeproc (:data:`DROP_BIBLIOGRAPHY`) drops the list printed
    there. One run instead of one per chapter: citeproc reads the style and the bibliography once. It
    is given each chapter's citations alone, in order (a chapter that lists the references goes whole),
    and the formatted citations are put back in their places: the same output, without passing the
    whole report through pandoc, and a prose edit that changes no citation reuses the last run.
    """
    listing = [lists_references(blocks) for blocks in chapters]
    cites = [find_all(blocks, {"Cite"}) for blocks in chapters]
    listed = any(listing)
    if project.bibliography is None or not (listed or any(cites)):
        return chapters
    blocks = [element("Div", [attr(classes=[CHAPTER_CLASS]), chapter if lists else [element("Para", found)]])
              for chapter, lists, found in zip(chapters, listing, cites)]
    args = ["-M", "link-citations=true", *citeproc_args(project)]
    if not listed:
        blocks.append(element("Div", [attr("refs"), []]))
        args.append(f"--lua-filter={DROP_BIBLIOGRAPHY}")     # after --citeproc: filters run in order
    doc = json.loads(write_ast({"pandoc-api-version": api_version, "meta": meta, "blocks": blocks}, "json", args,
                               what=f"{what} (citations)", cache=cache))
    formatted = [block["c"][1] for block in doc["blocks"]
                 if block["t"] == "Div" and CHAPTER_CLASS in block["c"][0][1]]
    if len(formatted) != len(chapters):
        raise RenderError(f"{what}: citeproc returned {len(formatted)} chapters of {len(chapters)}")
    return [done if lists else _replace_citations(chapter, found, find_all(done, {"Cite"}), what)
            for chapter, lists, found, done in zip(chapters, listing, cites, formatted)]


def _replace_citations(blocks: list, cites: list[dict], formatted: list[dict], what: str) -> list:
    """`blocks` with their citations `cites` (in document order) replaced by `formatted`."""
    if len(formatted) != len(cites):
        raise RenderError(f"{what}: citeproc returned {len(formatted)} citations of {len(cites)}")
    if not cites:
        return blocks
    replacements = iter(formatted)
    return walk(blocks, lambda item: next(replacements) if item["t"] == "Cite" else None)


def _chapter_typst(blocks: list, api_version: list, what: str, cache: PandocCache | None) -> str:
    """One chapter (citations already formatted, :func:`_with_citations`) in Typst, exactly as it reads in
    the Typst of the whole report, so that an edit of one chapter converts that chapter alone (each
    conversion is kept by `cache`)."""
    doc = {"pandoc-api-version": api_version, "meta": {}, "blocks": blocks}
    return write_ast(doc, "typst-citations", ["--wrap=preserve"], what=what, cache=cache)


def pdf_key(source: str, site_dir: Path, inputs: dict[str, str]) -> str:
    """sha256 of what the PDF is compiled from: the Typst version, the Typst source, the title-page
    inputs, and every figure file of the site (the files the source's images point to)."""
    from importlib import metadata

    h = hashlib.sha256()
    for part in (metadata.version("typst"), source, json.dumps(inputs, sort_keys=True)):
        h.update(part.encode() + b"\0")
    for path in sorted(site_dir.glob("**/*_files/*")):
        if path.is_file():
            h.update(path.relative_to(site_dir).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _diagnostic(error) -> str:
    """Typst's diagnostic (message, file, line and the offending source) and hints."""
    text = getattr(error, "diagnostic", None) or str(error)
    hints = getattr(error, "hints", None) or []
    return "\n".join([text.rstrip(), *(f"hint: {hint}" for hint in hints)])
