"""The page a kernel renders and the files it writes: downloads and libraries, linked relative to the page."""

import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.site.page import ASSETS, current_page


def test_outside_a_render_there_is_no_page(monkeypatch):
    for key in ("QUARTO_PROJECT_ROOT", "QUARTO_DOCUMENT_PATH", "QUARTO_DOCUMENT_FILE"):
        monkeypatch.delenv(key, raising=False)
    assert current_page() is None


def test_a_csv_is_written_under_downloads_and_linked_from_the_page(page_env):
    page = current_page()
    assert page.source == (page_env / "chapters" / "results.qmd").resolve() and page.stem == "results"
    frame = pd.DataFrame({"task": ["a", "b"], "r": [0.123456789012, -1.0]})
    href = page.write_csv("tbl-x", frame)
    assert href == "../downloads/results/tbl-x.csv"
    written = page_env / "downloads" / "results" / "tbl-x.csv"
    assert written.read_text() == "task,r\na,0.123456789012\nb,-1.0\n"  # full precision
    stamp = written.stat().st_mtime_ns
    page.write_csv("tbl-x", frame)  # unchanged content: the file is not rewritten
    assert written.stat().st_mtime_ns == stamp
    with pytest.raises(EvalcorrError, match="data file name"):
        page.write_csv("../escape", frame)


def test_a_library_is_copied_once_and_a_versioned_name_follows_its_content(page_env):
    page = current_page()
    assert page.library("plotly-cartesian-4.1.1.min.js") == "../libs/plotly-cartesian-4.1.1.min.js"
    versioned = page.library("evalcorr-figures.js", versioned=True)
    assert versioned.startswith("../libs/evalcorr-figures.") and versioned.endswith(".js")
    assert (page_env / "chapters" / versioned).resolve().read_bytes() == (ASSETS / "evalcorr-figures.js").read_bytes()
    with pytest.raises(EvalcorrError, match="no such asset"):
        page.library("missing.js")


def test_the_bundled_plotly_is_the_pinned_release():
    """plotly.js 4.1.1, cartesian bundle (npm plotly.js-cartesian-dist-min), MIT licence beside it."""
    import hashlib

    bundle = (ASSETS / "plotly-cartesian-4.1.1.min.js").read_bytes()
    assert bundle.startswith(b"/**\n* plotly.js (cartesian - minified) v4.1.1")
    assert hashlib.sha256(bundle).hexdigest() == "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a"
    assert "MIT License" in (ASSETS / "plotly-LICENSE.txt").read_text() or "Permission is hereby granted" in \
        (ASSETS / "plotly-LICENSE.txt").read_text()
