"""Shared fixtures: the upstream mirror that the real-data tests read."""

import pytest

from evalcorr.data.locations import default_mirror
from evalcorr.data.parsers._common import mirror_files


@pytest.fixture(scope="session")
def mirror():
    """The mirror directory (EVALCORR_DATA_DIR, or ../shared/data beside the checkout); required, never skipped."""
    path = default_mirror()
    assert path is not None and path.is_dir(), "the upstream mirror is needed: set EVALCORR_DATA_DIR"
    return path


@pytest.fixture(scope="session")
def source_files(mirror):
    """A function: mirror folder name -> {manifest path: local path} of that folder's files."""
    return lambda folder: mirror_files(mirror, folder)
