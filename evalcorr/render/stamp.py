"""Whether a site is up to date: the digest of a render's inputs, kept inside the site it made.

A render of the offline renderer depends on:

- everything an executed page depends on (:class:`evalcorr.render.pagecache.PageCache`: every file
  of the evalcorr package, sources, the renderer's templates and assets alike, the data cache's
  stamps, the committed data tables, Python and library versions);
- the project's ``_quarto.yml``, every page, the bibliography, the citation style and CITATION.cff;
- the versions of pandoc and Typst.

:func:`inputs_digest` is a sha256 over all of them, cheap to compute (no kernel, no pandoc, no heavy
import). The render writes it into the site with the size and modification time of every file it
wrote (:func:`write_stamp`), and of every file of the project it copied there (a page's CSV downloads
and scripts, which its cells write into the project: :mod:`evalcorr.render.resources`); the next
render with the same digest finds them as it left them (:func:`is_up_to_date`) and stops there. A
site, or a copied file of the project, edited or removed by hand is rendered again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path

from evalcorr.render.pagecache import PageCache, hash_field
from evalcorr.render.project import CONFIG, Project

STAMP = ".evalcorr-inputs.json"
# Bump when the renderer changes what it writes in a way its sources do not show.
STAMP_FORMAT = 1
_TOOLS = ("pypandoc_binary", "typst")


def inputs_digest(project: Project) -> str:
    """sha256 of everything the offline render of `project` reads (see the module docstring)."""
    h = hashlib.sha256()
    add = functools.partial(hash_field, h)
    add("format", str(STAMP_FORMAT))
    # The page cache's key already covers every file of the evalcorr package (sources, templates and
    # assets), the data cache, the committed data tables and the library versions.
    add("pages", PageCache.for_project(project.root).key("", defaults=project.execute, extra="site"))
    files = [project.root / CONFIG, *(project.root / page.source for page in project.pages),
             project.bibliography, project.csl, project.root / "CITATION.cff"]
    for path in files:
        if path is not None and path.is_file():
            add(f"project/{path.relative_to(project.root).as_posix()}", path.read_bytes())
    for tool in _TOOLS:
        try:
            add(tool, metadata.version(tool))
        except metadata.PackageNotFoundError:
            add(tool, "absent")
    return h.hexdigest()


def _stats(folder: Path, names) -> dict[str, list[int]]:
    """``{name: [size, mtime_ns]}`` of the files `names` (relative paths) of `folder` that exist."""
    out = {}
    for name in names:
        path = folder / name
        if path.is_file():
            info = path.stat()
            out[name] = [info.st_size, info.st_mtime_ns]
    return out


def write_stamp(site: Path, digest: str, root: Path) -> None:
    """Record `digest`, every file of the finished `site` (before it is moved into place) and every file
    of the project at `root` that the site holds a copy of (same path: pages link to them relatively)."""
    site = Path(site)
    names = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and p.name != STAMP)
    stamp = {"inputs": digest, "files": _stats(site, names), "project_files": _stats(Path(root), names)}
    (site / STAMP).write_text(json.dumps(stamp, indent=0) + "\n")


def is_up_to_date(site: Path, digest: str, root: Path) -> bool:
    """Whether `site` was rendered from inputs with `digest`, and every file it wrote and every project
    file it copied is as it was."""
    try:
        stamp = json.loads((Path(site) / STAMP).read_text())
    except (OSError, ValueError):
        return False
    if stamp.get("inputs") != digest or not stamp.get("files"):
        return False
    for folder, files in ((Path(site), stamp["files"]), (Path(root), stamp.get("project_files", {}))):
        if _stats(folder, files) != files:
            return False
    return True
