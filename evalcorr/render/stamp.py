"""Whether a site is up to date: the digest of a render's inputs, kept inside the site it made.

A render of the offline renderer depends on:

- everything an executed page depends on (:class:`evalcorr.render.pagecache.PageCache`: the
  evalcorr sources, the data cache's stamps, the committed data tables, Python and library versions);
- every other file of the evalcorr package (the renderer's templates and assets);
- the project's ``_quarto.yml``, every page, the bibliography, the citation style and CITATION.cff;
- the versions of pandoc and Typst.

:func:`inputs_digest` is a sha256 over all of them, cheap to compute (no kernel, no pandoc, no heavy
import). The render writes it into the site with the size and modification time of every file it
wrote (:func:`write_stamp`); the next render with the same digest finds the site as it left it
(:func:`is_up_to_date`) and stops there. A site edited or removed by hand is rendered again.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import evalcorr
from evalcorr.render.pagecache import PageCache
from evalcorr.render.project import CONFIG, Project

STAMP = ".evalcorr-inputs.json"
# Bump when the renderer changes what it writes in a way its sources do not show.
STAMP_FORMAT = 1
_TOOLS = ("pypandoc_binary", "typst")


def inputs_digest(project: Project) -> str:
    """sha256 of everything the offline render of `project` reads (see the module docstring)."""
    h = hashlib.sha256()

    def add(label: str, value: bytes | str) -> None:
        value = value.encode("utf-8") if isinstance(value, str) else value
        h.update(f"{label}:{len(value)}:".encode())
        h.update(value)

    add("format", str(STAMP_FORMAT))
    add("pages", PageCache.for_project(project.root).key("", defaults=project.execute, extra="site"))
    package = Path(evalcorr.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            add(f"package/{path.relative_to(package).as_posix()}", path.read_bytes())
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


def _files(site: Path) -> dict[str, list[int]]:
    """``{path: [size, mtime_ns]}`` of every file of `site` but the stamp."""
    out = {}
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.name != STAMP:
            info = path.stat()
            out[path.relative_to(site).as_posix()] = [info.st_size, info.st_mtime_ns]
    return out


def write_stamp(site: Path, digest: str) -> None:
    """Record `digest` and every file of the finished `site` (before it is moved into place)."""
    (Path(site) / STAMP).write_text(json.dumps({"inputs": digest, "files": _files(Path(site))}, indent=0) + "\n")


def is_up_to_date(site: Path, digest: str) -> bool:
    """Whether `site` was rendered from inputs with `digest` and every file it wrote is as it was."""
    try:
        stamp = json.loads((Path(site) / STAMP).read_text())
    except (OSError, ValueError):
        return False
    if stamp.get("inputs") != digest or not stamp.get("files"):
        return False
    for name, (size, mtime) in stamp["files"].items():
        try:
            info = (Path(site) / name).stat()
        except OSError:
            return False
        if info.st_size != size or info.st_mtime_ns != mtime:
            return False
    return True
