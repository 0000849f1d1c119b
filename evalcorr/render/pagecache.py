"""Cache of executed pages, so that a warm render does not start a kernel for an unchanged page.

A page's key is a sha256 over everything the execution of its cells can depend on:

- the page's execution plan (:func:`evalcorr.render.execute.execution_plan`): its cells, inline
  expressions and execution options, but not the prose around them;
- every file of the evalcorr package: its ``*.py`` sources (the chapters call evalcorr; the renderer is in
  it too) and the assets a page's output names (a changed script gets a new name);
- the data cache (``EVALCORR_CACHE_DIR``, default ``data/cache`` under the project root): the content
  of every source's stamp (``<source>.json``, which holds the sha256 of the source's inputs) and the
  size of every other file at its top (:func:`data_cache_stamps`);
- the content of the committed data tables at the top of ``data/`` (families, manifest);
- the metadata defaults (e.g. the ``execute`` options from _quarto.yml) and an ``extra`` string
  (the caller's page name and figure link prefix);
- the versions of Python and of the libraries that draw figures and tables.

One entry per page lives in ``<project_root>/.render-cache/<page>/``: ``entry.json`` (key, what each
cell shows and each inline expression's text, figure names, and the sha256 of the files the page wrote
into the project and links to) and copies of the figure files. A hit copies the figures into the
caller's figures directory, and the caller assembles the page from its current text and the stored
outputs (:func:`evalcorr.render.execute.assemble`), so an edit of the prose alone needs no kernel. The
directory is a build artefact (ignored by git, removed by ``make clean``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import evalcorr

CACHE_DIRNAME = ".render-cache"
# Under the cache: the analyses' results kept by content for the kernels (evalcorr.stats.results_store).
RESULTS_DIRNAME = "results"
# Bump when the layout of a stored entry changes.
ENTRY_FORMAT = 3
# Libraries whose version changes what an executed page looks like.
_LIBRARIES = ("matplotlib", "pandas", "numpy", "scipy", "seaborn", "tabulate", "ipykernel", "IPython")


@functools.cache
def library_versions() -> tuple[tuple[str, str], ...]:
    """``(name, version)`` of each of :data:`_LIBRARIES` ("absent" when not installed), read once a
    process: reading one scans the installed packages' metadata again (3 ms each, for every page's key)."""
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "absent"))
    return tuple(versions)


@dataclass
class CacheEntry:
    """A stored page: the outputs of its cells and inline expressions, and the figure files copied back
    for the caller."""

    outputs: list[str]
    figures: list[Path]
    cells_executed: int = 0
    warnings: list[str] = field(default_factory=list)


def file_stamps(paths, root) -> dict[str, str]:
    """``{path relative to root: sha256}`` of files a page wrote and links to (e.g. its CSV downloads)."""
    root = Path(root).resolve()
    return {Path(path).resolve().relative_to(root).as_posix(): hashlib.sha256(Path(path).read_bytes()).hexdigest()
            for path in paths if Path(path).resolve().is_relative_to(root)}


class PageCache:
    """Executed pages on disk, keyed by a content hash.

    Parameters
    ----------
    directory : str or Path
        Where entries are stored.
    package_dir : str or Path, optional
        The evalcorr package sources hashed into every key; default the installed package.
    data_cache_dir : str or Path, optional
        The data cache whose file stamps are hashed into every key; a missing directory counts as empty.
    data_dir : str or Path, optional
        The project's committed data tables (``data/families.csv``, ``data/manifest.yaml``), which
        evalcorr reads at run time: the content of the files at its top is hashed into every key.
    """

    def __init__(self, directory, *, package_dir=None, data_cache_dir=None, data_dir=None):
        self.directory = Path(directory)
        self.package_dir = Path(package_dir) if package_dir else Path(evalcorr.__file__).parent
        self.data_cache_dir = Path(data_cache_dir) if data_cache_dir else None
        self.data_dir = Path(data_dir) if data_dir else None

    @classmethod
    def for_project(cls, project_root) -> "PageCache":
        """The cache of a project: ``.render-cache/`` at its root, data cache from the environment."""
        root = Path(project_root)
        data_cache = Path(os.environ.get("EVALCORR_CACHE_DIR") or "data/cache")
        if not data_cache.is_absolute():
            data_cache = root / data_cache
        return cls(root / CACHE_DIRNAME, data_cache_dir=data_cache, data_dir=root / "data")

    @property
    def results_dir(self) -> Path:
        """Where the kernels keep analysis results by content (``EVALCORR_RESULT_STORE``)."""
        return self.directory / RESULTS_DIRNAME

    def key(self, page_text: str, *, defaults=None, extra: str = "") -> str:
        """The content hash of a page under the current sources, data cache and defaults."""
        h = hashlib.sha256()
        add = functools.partial(hash_field, h)
        add("format", str(ENTRY_FORMAT))
        add("page", page_text)
        add("defaults", json.dumps(defaults or {}, sort_keys=True, default=str))
        add("extra", extra)
        add("python", sys.version)
        for name, version in library_versions():
            add(name, version)
        for path in sorted(self.package_dir.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            add(path.relative_to(self.package_dir).as_posix(), path.read_bytes())
        add("data-cache", "\n".join(data_cache_stamps(self.data_cache_dir)))
        if self.data_dir is not None and self.data_dir.is_dir():
            for path in sorted(p for p in self.data_dir.iterdir() if p.is_file()):
                add(f"data/{path.name}", path.read_bytes())
        return h.hexdigest()

    def load(self, page: str, key: str, figures_dir, root=None) -> CacheEntry | None:
        """The stored entry of ``page`` when its key matches (figures copied to ``figures_dir``), else None.

        An entry whose page wrote files into the project (``resources``, relative to `root`) is served
        only while those files are there unchanged: the page's links must not break.
        """
        entry_dir = self._entry_dir(page)
        try:
            stored = json.loads((entry_dir / "entry.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if stored.get("key") != key or stored.get("format") != ENTRY_FORMAT:
            return None
        sources = [entry_dir / "figures" / name for name in stored["figures"]]
        if not all(p.is_file() for p in sources):
            return None
        resources = stored.get("resources", {})
        if resources and (root is None or file_stamps([Path(root) / name for name in resources
                                                       if (Path(root) / name).is_file()], root) != resources):
            return None
        figures_dir = Path(figures_dir)
        figures_dir.mkdir(parents=True, exist_ok=True)
        figures = []
        for src in sources:
            shutil.copyfile(src, figures_dir / src.name)
            figures.append(figures_dir / src.name)
        return CacheEntry(outputs=stored["outputs"], figures=figures,
                          cells_executed=stored.get("cells_executed", 0),
                          warnings=stored.get("warnings", []))

    def has_entry(self, page: str) -> bool:
        """Whether anything is stored for ``page`` (whatever its key)."""
        return (self._entry_dir(page) / "entry.json").is_file()

    def last_seconds(self, page: str) -> float:
        """How long the last execution of ``page`` took, whatever its key (0.0 when nothing is stored)."""
        try:
            stored = json.loads((self._entry_dir(page) / "entry.json").read_text(encoding="utf-8"))
            return float(stored.get("seconds", 0.0))
        except (OSError, json.JSONDecodeError, TypeError, ValueError):
            return 0.0

    def store(self, page: str, key: str, *, outputs: list[str], figures, cells_executed: int = 0,
              warnings=(), resources: dict[str, str] | None = None, seconds: float = 0.0) -> None:
        """Store a page's outputs and figure files under ``key``, replacing its previous entry."""
        self.directory.mkdir(parents=True, exist_ok=True)
        entry_dir = self._entry_dir(page)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.directory))
        try:
            (tmp / "figures").mkdir()
            for fig in figures:
                shutil.copyfile(fig, tmp / "figures" / Path(fig).name)
            (tmp / "entry.json").write_text(json.dumps({
                "format": ENTRY_FORMAT, "key": key, "page": page, "outputs": list(outputs),
                "figures": [Path(f).name for f in figures], "cells_executed": cells_executed,
                "warnings": list(warnings), "resources": dict(resources or {}), "seconds": round(float(seconds), 2),
            }, indent=1), encoding="utf-8")
            shutil.rmtree(entry_dir, ignore_errors=True)
            try:
                tmp.rename(entry_dir)
            except OSError:  # another render stored this page at the same moment; keep theirs
                pass
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)

    def _entry_dir(self, page: str) -> Path:
        slug = page.replace("\\", "/").replace("/", "__")
        return self.directory / slug


def hash_field(h, label: str, value: bytes | str) -> None:
    """Add one labelled field to the hash `h`, length-prefixed so that neighbouring fields cannot run
    together (``a`` + ``bc`` hashes apart from ``ab`` + ``c``)."""
    value = value.encode("utf-8") if isinstance(value, str) else value
    h.update(f"{label}:{len(value)}:".encode())
    h.update(value)


def data_cache_stamps(directory) -> list[str]:
    """One line per file at the top of the data cache (sorted; empty when the directory is missing).

    The cache is flat: ``<source>.parquet`` beside its stamp ``<source>.json``, which records the sha256
    of the source's inputs. A stamp counts by its content, other files by their size, so a rebuild from
    the same inputs keeps the pages cached. Subdirectories (e.g. a benchmark's own cache) are not data
    the pages read and are left out.
    """
    if directory is None or not Path(directory).is_dir():
        return []
    stamps = []
    for path in sorted(p for p in Path(directory).iterdir() if p.is_file()):
        if path.suffix == ".json":
            stamps.append(f"{path.name} sha256={hashlib.sha256(path.read_bytes()).hexdigest()}")
        else:
            stamps.append(f"{path.name} size={path.stat().st_size}")
    return stamps
