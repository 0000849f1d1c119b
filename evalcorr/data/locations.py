"""Where the project's files are: the project root, the data cache and the upstream mirror.

Paths given in the environment may be relative; they are taken from the **project root**, whichever
directory the process runs in. This matters because Quarto starts each page's kernel in the page's own
folder (``chapters/``), while ``make`` exports the variables from the root.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = PROJECT_ROOT / "data" / "cache"
DEFAULT_MIRROR = PROJECT_ROOT.parent / "shared" / "data"


def project_path(value: str | Path) -> Path:
    """``value`` with ``~`` expanded; a relative path is taken from the project root."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def default_cache_dir() -> Path:
    """``EVALCORR_CACHE_DIR`` when set, else ``data/cache`` under the project root."""
    env = os.environ.get("EVALCORR_CACHE_DIR", "").strip()
    return project_path(env) if env else DEFAULT_CACHE_DIR


def default_mirror() -> Path | None:
    """The mirror directory to use when none is given: ``EVALCORR_DATA_DIR`` when set (even if it
    does not exist, so that a typo is reported), else ``../shared/data`` beside the project when it
    exists, else None (download from upstream)."""
    env = os.environ.get("EVALCORR_DATA_DIR", "").strip()
    if env:
        return project_path(env)
    return DEFAULT_MIRROR if DEFAULT_MIRROR.is_dir() else None
