"""The PDF of the fixture project: chapters, numbered figures and tables, vector figures, references last."""

import subprocess

import pytest
from tests._renderfixture import pdf_pages, pdf_text, rendered_fixture

from evalcorr.render.pdf import TEXT_WIDTH_PT, _width_pt


@pytest.fixture(scope="module")
def pdf():
    return rendered_fixture()[1] / "fixture-report.pdf"


@pytest.fixture(scope="module")
def text(pdf):
    return pdf_text(pdf)


def test_page_count_in_range(pdf):
    # title page, contents, one page per chapter (the results chapter may take two)
    assert 5 <= pdf_pages(pdf) <= 8


def test_title_page_contents_and_chapter_titles(text):
    assert text.startswith("Fixture report A small project for the renderer's tests Fixture authors")
    assert "Contents" in text
    for title in ("Fixture report", "1 Results", "References"):
        assert text.count(title) >= 2, title  # in the contents and as the chapter heading


def test_numbered_figures_tables_and_resolved_references(text):
    assert "Figure 1.1: Score against size." in text
    assert "Table 1.1: Scores by size." in text
    assert "its figure is Figure 1.1." in text
    assert "Scores grow with the square of size (Figure 1.1); Table 1.1 lists them (see Poe 2019, 3)" in text
    assert "@fig" not in text and "@tbl" not in text and "??" not in text


def test_callouts_hidden_code_and_format_specific_content(text):
    assert "Reading the figure Each point is one size." in text
    assert "Warning Squares grow fast." in text
    assert "Only in the PDF." in text and "Only on the website." not in text
    assert "import matplotlib" not in text and "The largest score is 16." in text


def test_references_at_the_end(text):
    last = text.rsplit("References", 1)[1]
    assert "Doe, Jane, and Richard Roe. 2020." in last and "Poe, Edgar. 2019. On Tables." in last


def test_figures_are_vector(pdf):
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(listed.strip().splitlines()) == 2  # header lines only: no raster image in the PDF


def test_svg_width_in_points(tmp_path):
    for header, points in [('width="504pt" height="216pt"', 504), ('width="672px"', 504), ('width="7in"', 504)]:
        path = tmp_path / "f.svg"
        path.write_text(f'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" {header}>\n</svg>')
        assert _width_pt(path) == pytest.approx(points)
    assert _width_pt(tmp_path / "f.png") == 0.0
    assert 460 < TEXT_WIDTH_PT < 475  # A4 minus 2 x 2.2 cm margins


def test_typst_failure_names_the_error_and_keeps_the_source(tmp_path):
    from tests._renderfixture import PLAIN_INDEX, write_fixture_project

    from evalcorr.errors import RenderError
    from evalcorr.render import render_project

    broken = "---\ntitle: Results\n---\n\n```{=typst}\n#block[\n```\n"
    root = write_fixture_project(tmp_path, results=broken, index=PLAIN_INDEX)
    with pytest.raises(RenderError, match="(?s)Typst failed:.*unclosed delimiter.*is kept in") as error:
        render_project(root, renderer="offline", log=lambda line: None)
    kept = root / ".render-cache" / "fixture-report-failed.typ"
    assert str(kept) in str(error.value) and "#block[" in kept.read_text()
    assert not (root / "_site").exists()
