"""Finding Quarto: on PATH, in the virtual environment, or installed once with ``pip install quarto-cli``.

The PyPI ``quarto-cli`` package is a source distribution that downloads the Quarto binary while it
builds, so offline the install fails (in about 15 s here). The failure is remembered by a marker file
in the virtual environment, so later renders go straight to the offline renderer; delete the marker
(its path is printed) to try again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

MARKER = "evalcorr-quarto-cli-unavailable"
INSTALL_TIMEOUT_S = 90


def _venv() -> Path | None:
    """The active virtual environment, or None when running on the system interpreter."""
    return Path(sys.prefix) if sys.prefix != sys.base_prefix else None


def find_quarto(*, install: bool = True, timeout: float = INSTALL_TIMEOUT_S, log=print) -> str | None:
    """Path of the ``quarto`` executable, or None when Quarto cannot be had.

    Parameters
    ----------
    install
        Try ``pip install quarto-cli`` into the virtual environment once when Quarto is missing.
    timeout
        Seconds the install may take before it counts as failed.
    log
        Called with one line of progress.
    """
    venv = _venv()
    candidates = [shutil.which("quarto")]
    if venv is not None:
        candidates.append(shutil.which("quarto", path=str(venv / "bin")))
    found = next((path for path in candidates if path), None)
    if found or not install or venv is None:
        return found
    marker = venv / MARKER
    if marker.exists():
        return None
    log(f"quarto: not on PATH; trying `pip install quarto-cli` (at most {timeout:.0f} s) ...")
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "quarto-cli"], capture_output=True, text=True, timeout=timeout)
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if line.lower().startswith("error")]
        reason = (errors or lines)[-1:] if done.returncode else []
    except subprocess.TimeoutExpired:
        reason = [f"timed out after {timeout:.0f} s"]
    found = shutil.which("quarto", path=str(venv / "bin"))
    if found is None:
        marker.write_text("pip install quarto-cli failed: " + " ".join(reason) + "\n"
                          "Delete this file to let `make render` try again.\n")
        log(f"quarto: install failed ({' '.join(reason) or 'no quarto executable'}); "
            f"remembered in {marker}")
    return found


def quarto_version(quarto: str) -> tuple[int, ...] | None:
    """The version ``quarto --version`` prints, as numbers (None when it cannot be read)."""
    try:
        done = subprocess.run([quarto, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"\s*(\d+(?:\.\d+)*)", done.stdout or "")
    return tuple(int(part) for part in match.group(1).split(".")) if done.returncode == 0 and match else None


def meets_requirement(version: tuple[int, ...] | None, required: str | None) -> bool:
    """Whether `version` satisfies ``quarto-required`` of the form ``>= 1.9.18`` (or is unconstrained)."""
    if not required:
        return True
    match = re.fullmatch(r"\s*>=\s*(\d+(?:\.\d+)*)\s*", str(required))
    if match is None:
        return True  # a range this check does not read: let Quarto itself enforce it
    if version is None:
        return False
    minimum = tuple(int(part) for part in match.group(1).split("."))
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) >= minimum + (0,) * (width - len(minimum))


def render_with_quarto(quarto: str, root: Path, out_dir: Path) -> None:
    """Run ``quarto render`` on the project at `root`, writing the site and the PDF into `out_dir`."""
    from evalcorr.errors import RenderError
    from evalcorr.render.pagecache import PageCache
    from evalcorr.stats.results_store import STORE_ENV, prune

    results = PageCache.for_project(root).results_dir     # as the offline renderer's kernels
    prune(results)
    done = subprocess.run([quarto, "render", "--output-dir", str(out_dir)], cwd=root,
                          env={**os.environ, "QUARTO_PYTHON": sys.executable, STORE_ENV: str(results)})
    if done.returncode != 0:
        raise RenderError(f"{root / '_quarto.yml'}: `quarto render` failed with exit {done.returncode} "
                          "(its output is above); `--renderer offline` renders without Quarto")
