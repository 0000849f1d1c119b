"""The project as ``_quarto.yml`` describes it: title, author, page list, bibliography, defaults.

The same file drives ``quarto render`` (a Quarto *book* project: one website and one PDF) and the
offline renderer, which reads only the keys below::

    project: {type: book, output-dir: _site}
    book: {title, subtitle, author, output-file, chapters: [index.qmd, chapters/....qmd, ...]}
    bibliography: references.bib
    execute: {echo: false}

The first page is the landing article and is not numbered; neither is a page named
``references.qmd``. Every other page is a numbered chapter (1, 2, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from evalcorr.errors import RenderError

CONFIG = "_quarto.yml"


@dataclass(frozen=True)
class Page:
    """One page of the report: its source (POSIX path relative to the project root) and chapter number."""

    source: str
    number: int | None

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
    execute: dict = field(default_factory=dict)

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
    for index, source in enumerate(sources):
        numbered = index > 0 and PurePosixPath(source).name != "references.qmd"
        number += numbered
        pages.append(Page(source, number if numbered else None))

    bibliography = config.get("bibliography")
    if bibliography is not None:
        bibliography = root / bibliography
        if not bibliography.is_file():
            raise RenderError(f"{path}: bibliography {bibliography} does not exist")
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
        execute=dict(config.get("execute") or {}),
    )


def _chapter_source(entry, path: Path) -> str:
    """A `book: chapters:` entry is a file name, or a mapping with `href` (Quarto allows both)."""
    source = entry.get("href") if isinstance(entry, dict) else entry
    if not isinstance(source, str) or not source.endswith(".qmd"):
        raise RenderError(f"{path}: chapter entry {entry!r} is not a .qmd file name")
    return str(PurePosixPath(source))
