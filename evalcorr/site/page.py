"""The page being rendered, and the files a page writes for the site: data downloads and scripts.

A chapter's cells run in a Jupyter kernel, under Quarto or under the offline renderer. Both tell the
kernel which page it runs (Quarto sets these variables for every execution since 1.5/1.7; the offline
renderer sets the same ones):

``QUARTO_PROJECT_ROOT``
    the project root;
``QUARTO_DOCUMENT_PATH``
    the page's folder (absolute, or relative to the project root);
``QUARTO_DOCUMENT_FILE``
    the page's file name (``open-llm-leaderboard.qmd``).

A cell writes a file into the project tree and links to it with a path relative to the page; the
renderer then copies every local file the page links to into the site at the same relative place
(Quarto's website resource discovery: ``a[href]``, ``script[src]``, ``link[href]``, ``img[src]``; the
offline renderer does the same). So both renderers produce the same files and the same links:

- data downloads: ``downloads/<page stem>/<name>.csv`` (:meth:`SitePage.write_csv`);
- scripts and their licences: ``libs/<file>`` (:meth:`SitePage.library`), copied from the package's
  ``evalcorr/site/assets`` once per site (one file, whatever the number of pages that use it).

Both folders sit at the project root, are generated (git-ignored) and removed by ``make clean``.
Outside a render (no such variables) :func:`current_page` is None: figures then show their static
image only and write nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalcorr.errors import EvalcorrError

ENV_ROOT, ENV_DIR, ENV_FILE = "QUARTO_PROJECT_ROOT", "QUARTO_DOCUMENT_PATH", "QUARTO_DOCUMENT_FILE"
DOWNLOADS = "downloads"
LIBS = "libs"
ASSETS = Path(__file__).parent / "assets"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class SitePage:
    """The page a kernel renders: where its files go and how it links to them.

    Parameters
    ----------
    root : Path
        The project root.
    source : Path
        The page's ``.qmd`` file.
    """

    root: Path
    source: Path
    # scripts already referenced by a figure of this page (each is loaded once per page)
    loaded: set[str] = field(default_factory=set)

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self.source = Path(self.source).resolve()

    @property
    def stem(self) -> str:
        return self.source.stem

    def href(self, path: Path) -> str:
        """A link from the page to `path` (a file in the project tree), relative to the page's folder."""
        return Path(os.path.relpath(Path(path).resolve(), self.source.parent)).as_posix()

    def data_path(self, name: str) -> Path:
        """Where the CSV `name` of this page is written: ``<root>/downloads/<page stem>/<name>.csv``."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise EvalcorrError(f"data file name {name!r}: use letters, digits, '-', '_' or '.' "
                                "(e.g. the figure's label, 'fig-matrix')")
        return self.root / DOWNLOADS / self.stem / f"{name}.csv"

    def write_csv(self, name: str, frame: pd.DataFrame, *, index: bool = False) -> str:
        """Write `frame` as the CSV `name` of this page and return the link to it.

        Numbers are written at full precision (the page shows them rounded). The file is rewritten only
        when its content changes.
        """
        if not isinstance(frame, pd.DataFrame):
            raise EvalcorrError(f"{name}: the data of a download must be a DataFrame, got {type(frame).__name__}")
        path = self.data_path(name)
        _write_if_changed(path, frame.to_csv(index=index, lineterminator="\n").encode("utf-8"))
        return self.href(path)

    def library(self, asset: str, *, versioned: bool = False) -> str:
        """Copy the package asset `asset` into ``<root>/libs/`` and return the link to it.

        ``versioned`` puts a hash of the content into the file name (``name.<hash>.js``), so that a
        browser never runs a cached older copy of a script that changed.
        """
        source = ASSETS / asset
        if not source.is_file():
            raise EvalcorrError(f"{asset}: no such asset in {ASSETS}")
        content = source.read_bytes()
        if versioned:
            stem, _, suffix = asset.rpartition(".")
            asset = f"{stem}.{content_hash(content)}.{suffix}"
        target = self.root / LIBS / asset
        _write_if_changed(target, content)
        return self.href(target)


def current_page() -> SitePage | None:
    """The page this kernel renders (from the renderer's environment), or None outside a render."""
    root, folder, name = (os.environ.get(key) for key in (ENV_ROOT, ENV_DIR, ENV_FILE))
    if not (root and folder and name):
        return None
    page_dir = Path(folder) if Path(folder).is_absolute() else Path(root) / folder
    global _page
    source = (page_dir / name).resolve()
    if _page is None or _page.source != source or _page.root != Path(root).resolve():
        _page = SitePage(Path(root), source)
    return _page


_page: SitePage | None = None


def content_hash(data: bytes, length: int = 10) -> str:
    """A short hex digest of `data`, for file names that change when their content does."""
    return hashlib.sha256(data).hexdigest()[:length]


def _write_if_changed(path: Path, content: bytes) -> None:
    if path.is_file() and path.read_bytes() == content:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_bytes(content)
    partial.replace(path)  # atomic: a page rendered in parallel never reads half a file

