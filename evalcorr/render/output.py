"""The output folder of a render: which folders a render may replace, and the atomic swap.

A render replaces its output folder as a whole, so it must never be pointed at a folder holding
anything else. Every site a render makes carries a marker file, :data:`MARKER`; a render replaces

- a folder that does not exist yet, or an empty one;
- a folder with the marker (a site an earlier render made);
- a site made before the marker existed: a folder whose top level holds ``index.html`` and the
  report's PDF and nothing but what a render writes there (HTML, the PDF, the stylesheet, page
  folders).

Anything else is refused before the render starts, with a message, and nothing is touched: a file, a
folder with other content, the project root or a folder containing it, the home directory or a folder
containing it, the filesystem root, and a folder containing the current directory.

The swap (:func:`replace_site`) is two renames under an exclusive lock on the parent folder, so two
renders finishing together take turns: the later one replaces the earlier one's site, and neither
leaves a ``.<name>-old-*`` folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from evalcorr.errors import RenderError

MARKER = ".evalcorr-site"
MARKER_TEXT = ("This folder is a site made by `python -m evalcorr render`.\n"
               "The next render into it replaces the whole folder: keep nothing else here.\n")
# What a render writes at the top level of a site (for recognising sites made before the marker).
_SITE_SUFFIXES = {".html", ".pdf", ".css", ".js", ".json", ".xml", ".svg", ".png", ".txt"}


def mark_site(build: Path) -> None:
    """Write the marker file that lets a later render replace this folder."""
    (Path(build) / MARKER).write_text(MARKER_TEXT)


def _is_old_site(path: Path, pdf_name: str | None) -> bool:
    """A site made by a render before sites were marked (see the module docstring)."""
    if pdf_name is None or not (path / "index.html").is_file() or not (path / pdf_name).is_file():
        return False
    return all(entry.is_dir() or entry.suffix in _SITE_SUFFIXES for entry in path.iterdir())


def _protected(out: Path, root: Path | None) -> str | None:
    """Why `out` may never be replaced, or None."""
    home = Path.home().resolve()
    cwd = Path.cwd().resolve()
    if out == Path(out.anchor):
        return "it is the filesystem root"
    if root is not None and (root == out or root.is_relative_to(out)):
        return f"it {'is' if root == out else 'contains'} the project {root}"
    if home == out or home.is_relative_to(out):
        return f"it {'is' if home == out else 'contains'} the home directory {home}"
    if cwd == out or cwd.is_relative_to(out):
        return f"it {'is' if cwd == out else 'contains'} the current directory {cwd}"
    return None


def check_output_dir(out: str | Path, *, root: str | Path | None = None, pdf_name: str | None = None) -> Path:
    """The resolved output folder, after checking that a render may replace it.

    Parameters
    ----------
    out
        The output folder asked for.
    root
        The project root (never replaced, nor any folder containing it).
    pdf_name
        File name of the report's PDF, to recognise a site made before sites were marked.

    Raises
    ------
    RenderError
        When `out` is a file, a protected folder, or a folder with content a render did not make.
    """
    out = Path(out).expanduser().resolve()
    root = Path(root).resolve() if root is not None else None
    reason = _protected(out, root)
    if reason is None and out.exists() and not out.is_dir():
        reason = "it is a file, not a folder"
    if reason is None and out.is_dir():
        entries = sorted(entry.name for entry in out.iterdir())
        if entries and MARKER not in entries and not _is_old_site(out, pdf_name):
            shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
            reason = (f"it holds files that no render made ({shown}) and no {MARKER} marker, and a render "
                      "replaces the whole folder")
    if reason is not None:
        raise RenderError(f"refusing to render into {out}: {reason}. Nothing was changed; choose a new or "
                          "empty folder for --out (or the default _site)")
    return out


@contextlib.contextmanager
def _locked(folder: Path):
    """An exclusive lock on `folder` (held through an open descriptor of the folder itself, so no
    lock file is left behind); a no-op where the platform has no ``flock``."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def replace_site(build: Path, out: Path, *, root: Path | None = None, pdf_name: str | None = None) -> None:
    """Put the finished `build` in place of `out`, atomically for readers of `out`.

    Under a lock on the parent folder: check `out` again (it may have changed during the render),
    rename it aside, rename `build` to `out`; then remove the old site. A folder that was moved aside
    is removed even when the second rename fails (and then put back).
    """
    build, out = Path(build), Path(out)
    with _locked(out.parent):
        check_output_dir(out, root=root, pdf_name=pdf_name)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=out.parent))
            os.replace(out, old)
        try:
            os.replace(build, out)
        except OSError as error:
            if old is not None:
                os.replace(old, out)
            raise RenderError(f"could not move the finished site into {out} ({os.strerror(error.errno)}); "
                              "the previous site is unchanged") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
