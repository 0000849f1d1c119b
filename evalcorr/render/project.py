"""The project as ``_quarto.yml`` describes it: title, author, page list, bibliography, defaults.

The same file drives ``quarto render`` (a Quarto *book* project: one website and one PDF) and the
offline renderer, which reads only the keys below::

    project: {type: book, output-dir: _site, execute-dir: project}
    book: {title, subtitle, author, description, output-file, chapters: [index.qmd, chapters/....qmd, ...]}
    bibliography: references.bib
    csl: chicago-author-date.csl
    execute: {echo: false}
    fig-format: svg, fig-width: 7, fig-height: 4.5, fig-dpi: 100    (one value for every format)
    format: {html: {html-math-method: mathml}}

Pages are numbered by Quarto's book rule (:func:`is_numbered`): every page is a numbered chapter
(1, 2, ...) unless it is marked unnumbered, and the mark is read as Quarto reads it: from a string
``title:`` in the front matter when there is one (``title: "X {.unnumbered}"`` is *not* recognised, so
such a page stays numbered), else from the classes of the page's first heading
(``# References {.unnumbered}``). A page's title is that front-matter title, else its first heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from evalcorr.errors import RenderError
from evalcorr.render.figure_options import FIG_FORMATS, FIGURE_KEYS, FigureOptions
from evalcorr.render.qmd import split_front_matter

CONFIG = "_quarto.yml"
# Quarto's title-with-attributes pattern (pandoc-partition.ts): "# Title {.class #id}".
_PANDOC_TITLE = re.compile(r"^#{1,}\s(?:(.*)\s)?\{(.*)\}$")
_HEADING = re.compile(r"^#{1,}\s")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*$")


@dataclass(frozen=True)
class Page:
    """One page of the report: its source (POSIX path relative to the project root), chapter number
    (None when unnumbered) and title (front-matter ``title:``, else the first heading's text)."""

    source: str
    number: int | None
    title: str = ""
    title_from_heading: bool = False  # the title is the page's first heading, which Quarto lifts out

    @property
    def slug(self) -> str:
        """File stem, unique within the project (``index``, ``helm``, ...)."""
        return PurePosixPath(self.source).stem

    @property
    def html(self) -> str:
        """Path of the page on the site, relative to the site root (``chapters/helm.html``)."""
        return str(PurePosixPath(self.source).with_suffix(".html"))

    @property
    def files_dir(self) -> str:
        """Site folder of the page's figures (``chapters/helm_files``), as Quarto names it."""
        path = PurePosixPath(self.source)
        return str(path.parent / f"{path.stem}_files")


@dataclass(frozen=True)
class Project:
    """Everything the renderer needs from ``_quarto.yml``."""

    root: Path
    title: str
    author: str
    pages: tuple[Page, ...]
    subtitle: str = ""
    description: str = ""
    output_dir: str = "_site"
    pdf_name: str = "report"
    bibliography: Path | None = None
    csl: Path | None = None
    execute: dict = field(default_factory=dict)
    execute_dir: str = "file"
    figure: FigureOptions = field(default_factory=FigureOptions)
    quarto_required: str | None = None

    @property
    def pdf_file(self) -> str:
        """File name of the PDF on the site (``<output-file>.pdf``)."""
        return f"{self.pdf_name}.pdf"

    def page(self, source: str) -> Page:
        """The page whose source is `source` (POSIX path relative to the root)."""
        for page in self.pages:
            if page.source == source:
                return page
        raise KeyError(source)


def load_project(root: str | Path) -> Project:
    """Read ``_quarto.yml`` under `root` and check that every listed page exists.

    Raises
    ------
    RenderError
        When the file is missing or malformed, or lists a page that does not exist.
    """
    root = Path(root).resolve()
    path = root / CONFIG
    if not path.is_file():
        raise RenderError(f"{path}: no {CONFIG}; run the render from the project root or pass it as `root`")
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise RenderError(f"{path}: not valid YAML: {error}") from error
    book = config.get("book") or {}
    for key in ("title", "chapters"):
        if not book.get(key):
            raise RenderError(f"{path}: `book: {key}:` is missing; see docs/architecture.md for the layout")

    sources = [_chapter_source(entry, path) for entry in book["chapters"]]
    missing = [source for source in sources if not (root / source).is_file()]
    if missing:
        raise RenderError(f"{path}: lists pages that do not exist: {', '.join(missing)}; "
                          "write them or remove them from `book: chapters:`")
    slugs = [PurePosixPath(source).stem for source in sources]
    duplicated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicated:
        raise RenderError(f"{path}: page file names must be unique, repeated: {', '.join(duplicated)}")

    pages, number = [], 0
    for source in sources:
        text = (root / source).read_text(encoding="utf-8")
        title, from_heading = page_title(text, source=source)
        numbered = is_numbered(text, source=source)
        number += numbered
        pages.append(Page(source, number if numbered else None, title, from_heading))

    bibliography, csl = (_project_file(root, path, config, key) for key in ("bibliography", "csl"))
    math = _format_options(config).get("html", {}).get("html-math-method", config.get("html-math-method"))
    if math is not None and math != "mathml":
        raise RenderError(f"{path}: html-math-method {math!r}: the site must render math without the network; "
                          "use `html-math-method: mathml` (the offline renderer writes MathML)")
    execute_dir = str((config.get("project") or {}).get("execute-dir") or "file")
    if execute_dir not in ("file", "project"):
        raise RenderError(f"{path}: `project: execute-dir: {execute_dir}`: use `file` or `project`")
    author = book.get("author") or ""
    if isinstance(author, list):
        author = ", ".join(str(name) for name in author)
    return Project(
        root=root,
        title=str(book["title"]),
        subtitle=str(book.get("subtitle") or ""),
        description=str(book.get("description") or ""),
        author=str(author),
        pages=tuple(pages),
        output_dir=str((config.get("project") or {}).get("output-dir") or "_site"),
        pdf_name=str(book.get("output-file") or "report"),
        bibliography=bibliography,
        csl=csl,
        execute=dict(config.get("execute") or {}),
        execute_dir=execute_dir,
        figure=figure_options(config, path),
        quarto_required=str(config["quarto-required"]) if config.get("quarto-required") else None,
    )


def figure_options(config: dict, path: Path) -> FigureOptions:
    """``fig-format``, ``fig-width``, ``fig-height`` and ``fig-dpi`` from the top level of `config`.

    Quarto reads them per format (with different defaults for HTML and Typst); the offline renderer
    executes each page once for both, so a value given under ``format:`` must equal the top-level one.
    """
    values = {}
    for key, name in FIGURE_KEYS.items():
        value = config.get(key)
        for fmt, options in _format_options(config).items():
            if key in options and options[key] != value:
                raise RenderError(f"{path}: `{key}` under `format: {fmt}:` differs from the top level; set "
                                  f"{key} once, at the top level, so every format shows the same figures")
        if value is not None:
            values[name] = value
    options = FigureOptions(**values)
    if options.format not in FIG_FORMATS:
        raise RenderError(f"{path}: fig-format {options.format!r}: use one of {', '.join(FIG_FORMATS)}")
    return options


def _format_options(config: dict) -> dict[str, dict]:
    """``{format: options}`` from ``format:`` (``html: default`` counts as no options)."""
    formats = config.get("format")
    if not isinstance(formats, dict):
        return {}
    return {name: options if isinstance(options, dict) else {} for name, options in formats.items()}


def page_title(text: str, *, source: str = "<qmd>") -> tuple[str, bool]:
    """A page's title as Quarto books take it, and whether it comes from the first heading.

    A string ``title:`` in the front matter wins (attributes such as ``{.unnumbered}`` removed);
    otherwise the first heading (``# Title {.class}``) gives it.
    """
    front, body = split_front_matter(text, source=source)
    if isinstance(front.get("title"), str):
        return _parse_title(front["title"])[0], False
    heading = _first_heading(body)
    return (heading[0], True) if heading else ("", False)


def is_numbered(text: str, *, source: str = "<qmd>") -> bool:
    """Quarto's rule (book-shared.ts ``isNumberedChapter``): numbered unless marked ``.unnumbered``.

    With a string ``title:`` in the front matter only that string is read, and it carries a class only
    when written as a heading (``title: "# X {.unnumbered}"``); otherwise the first heading's classes.
    """
    front, body = split_front_matter(text, source=source)
    if isinstance(front.get("title"), str):
        return "unnumbered" not in _parse_title(front["title"])[1]
    heading = _first_heading(body)
    return not heading or "unnumbered" not in heading[1]


def _parse_title(title: str) -> tuple[str, list[str]]:
    """``(text, classes)`` of a title written as Quarto's ``parsePandocTitle`` reads it."""
    title = title.strip()
    match = _PANDOC_TITLE.match(title)
    if not match:
        return re.sub(r"^#{1,}\s*", "", title).strip(), []
    classes = [token[1:] for token in match.group(2).split() if token.startswith(".")]
    return (match.group(1) or "").strip(), classes


def _first_heading(body: str) -> tuple[str, list[str]] | None:
    """The first ATX or setext heading outside fenced code, as Quarto's ``markdownWithExtractedHeading``."""
    fence, previous = None, ""
    for line in body.splitlines():
        if fence:
            close = _FENCE_CLOSE.match(line)
            if close and close.group(1)[0] == fence[0] and len(close.group(1)) >= len(fence):
                fence = None
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened.group(1)
            continue
        if _HEADING.match(line):
            return _parse_title(line)
        if re.match(r"^(=+|-+)\s*$", line) and previous.strip():
            return previous.strip(), []
        previous = line
    return None


def _project_file(root: Path, path: Path, config: dict, key: str) -> Path | None:
    """The file a top-level key of _quarto.yml names (e.g. ``bibliography``), checked to exist."""
    value = config.get(key)
    if value is None:
        return None
    file = root / value
    if not file.is_file():
        raise RenderError(f"{path}: {key} {file} does not exist")
    return file


def _chapter_source(entry, path: Path) -> str:
    """A `book: chapters:` entry is a file name, or a mapping with `href` (Quarto allows both)."""
    source = entry.get("href") if isinstance(entry, dict) else entry
    if not isinstance(source, str) or not source.endswith(".qmd"):
        raise RenderError(f"{path}: chapter entry {entry!r} is not a .qmd file name")
    return str(PurePosixPath(source))


def chapter_list(root: str | Path | None = None) -> str:
    """The report's numbered chapters as a Markdown list of links, for the landing page.

    One item per numbered chapter, ``N. [Title](chapters/x.qmd): description``, with links relative to
    the project root (where the landing page lives). Both renderers turn the ``.qmd`` links into links
    to the pages.
    """
    if root is None:
        from evalcorr.data.locations import PROJECT_ROOT as root
    project = load_project(root)
    items = []
    for page in project.pages:
        if page.number is None:
            continue
        front, _ = split_front_matter((project.root / page.source).read_text(encoding="utf-8"), source=page.source)
        description = " ".join(str(front.get("description") or "").split())
        items.append(f"{page.number}. [{page.title}]({page.source})" + (f": {description}" if description else ""))
    return "\n".join(items)
