"""`python -m evalcorr report` end to end: a small planted table rendered by the offline renderer.

One render per test session (about 15 s: four pages, each in its own kernel); the tests read its site
and PDF as a reader would.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re

import numpy as np

from evalcorr.cli import main
from tests._renderfixture import _scratch, broken_links, external_resources, parse_page, pdf_pages, pdf_text
from tests._synthetic import latent_factor_matrix

PAGES = ("index.html", "chapters/pairs.html", "chapters/structure.html", "chapters/predictors.html",
         "chapters/references.html")


@functools.cache
def rendered():
    """(site folder, stdout) of the report of a 60 x 8 table with two planted blocks of tasks, one task in
    percent (a mixed-scale warning), and two tasks the checks drop (too few models; one score for all)."""
    folder = _scratch("evalcorr-table-report-")
    wide, families = latent_factor_matrix(60, (("A", 4), ("B", 4)), general=0.3, specific=0.9, noise=0.4, seed=0)
    scores = (1 / (1 + np.exp(-wide))).round(4)
    scores["a_3"] *= 100
    scores["rare"] = np.where(np.arange(60) < 10, 0.5, np.nan)
    scores["flat"] = 0.25
    scores.to_csv(folder / "planted.csv")
    families.rename_axis("task").reset_index().to_csv(folder / "families.csv", index=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["report", str(folder / "planted.csv"), "--families", str(folder / "families.csv"),
                     "--out", str(folder / "site"), "--title", "Planted blocks", "--renderer", "offline"])
    assert code == 0, out.getvalue()
    return folder / "site", out.getvalue()


def text_of(page) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.read_text()).split())


def test_progress_lines_name_the_table_and_the_pages():
    _, stdout = rendered()
    assert "report: " in stdout and "a wide CSV file, 60 models x 8 tasks, families from the file families.csv" in stdout
    assert "render: offline renderer, 5 pages" in stdout
    assert re.search(r"report: done: .*site/index\.html and .*site/report\.pdf", stdout)
    assert "report: dropped task rare: scored for 10 models, fewer than 30" in stdout
    assert "report: dropped task flat: every model has the same score" in stdout
    assert "report: warning: the scores look like fractions (0-1) on 7 tasks" in stdout


def test_every_page_and_the_pdf_exist():
    site, _ = rendered()
    for page in PAGES:
        assert (site / page).is_file(), page
    assert (site / "report.pdf").stat().st_size > 10_000
    assert broken_links(site) == [] and external_resources(site) == []


def test_the_landing_page_states_the_planted_blocks():
    site, _ = rendered()
    text = text_of(site / "index.html")
    assert "Planted blocks" in text
    assert "The table shows two blocks of tasks: {" in text
    blocks = re.search(r"two blocks of tasks: \{([^}]*)\}; \{([^}]*)\}", text)
    found = {frozenset(t.strip() for t in re.split(r",| and ", group)) for group in blocks.groups()}
    assert found == {frozenset(f"a_{i}" for i in range(4)), frozenset(f"b_{i}" for i in range(4))}
    assert "Tasks of the same family correlate more than tasks of different families" in text
    assert "The blocks found are the families (adjusted Rand index 1.00)" in text
    assert "{python}" not in text
    assert "after the checks, of 60 models and 10 tasks read" in text
    assert "rare 10 scored for 10 models, fewer than 30 flat 60 every model has the same score" in text
    assert "Check the scores" in text and "percentages (0-100) on 1 (e.g. a_3)" in text


def test_chapters_hold_their_figures():
    site, _ = rendered()
    expected = {"chapters/pairs.html": 3, "chapters/structure.html": 5, "chapters/predictors.html": 1,
                "index.html": 1}
    for page, count in expected.items():
        images = parse_page(site / page).images
        assert len(images) == count, page
        for image in images:
            assert (site / page).parent.joinpath(image["src"]).stat().st_size > 1000
            assert image.get("alt")
    structure = text_of(site / "chapters/structure.html")
    assert "Figure 2.2" in structure and "Table 2.1" in structure
    assert "Parallel analysis retains two factors on the 60 models" in structure


def test_the_pdf_has_the_sentence_and_the_figures():
    site, _ = rendered()
    text = pdf_text(site / "report.pdf")
    assert "The table shows two blocks of tasks" in text
    assert "Figure 1.3" in text and "Figure 2.5" in text and "Figure 3.1" in text
    assert pdf_pages(site / "report.pdf") >= 8
