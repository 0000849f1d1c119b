"""The offline renderer on a small fixture project: site content, determinism, atomic failure, errors."""

import shutil
import subprocess
import sys

import pytest
from tests._renderfixture import (PLAIN_INDEX, RESULTS, broken_links, external_resources, parse_page, rendered_fixture,
                            write_fixture_project)

from evalcorr.errors import RenderError
from evalcorr.render import render_project

PAGES = ["index.html", "chapters/results.html", "chapters/references.html"]


@pytest.fixture(scope="module")
def site():
    return rendered_fixture()[1]


def read(site, name):
    return (site / name).read_text()


def test_every_page_and_the_figure_exist(site):
    for name in PAGES:
        assert (site / name).stat().st_size > 1000, name
    figure = site / "chapters/results_files/results-fig-line.svg"
    assert figure.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert figure.stat().st_size > 5000
    assert (site / "assets/style.css").is_file()
    assert (site / "fixture-report.pdf").stat().st_size > 10_000


def test_every_image_has_alt_text(site):
    images = [image for name in PAGES for image in parse_page(site / name).images]
    assert images, "the fixture has a figure"
    assert all(image.get("alt", "").strip() for image in images), images
    assert images[0]["alt"] == "A line rising from 1 to 16 as size goes from 1 to 4."


def test_no_broken_links_and_nothing_loaded_from_the_network(site):
    assert broken_links(site) == []
    assert external_resources(site) == []


def test_cross_references_link_to_numbered_figures_and_tables(site):
    results, landing = read(site, "chapters/results.html"), read(site, "index.html")
    assert '<a href="#fig-line" class="quarto-xref">Figure 1.1</a>' in results
    assert '<a href="#tbl-scores" class="quarto-xref">Table 1.1</a>' in results
    assert "<figcaption>Figure 1.1: Score against size.</figcaption>" in results
    table = results.split('<div id="tbl-scores" class="table-block">')[1].split("</table>")[0]
    assert '<div class="table-caption">\nTable 1.1: Scores by size.\n</div>' in table and "<td" in table
    assert '<a href="chapters/results.html#fig-line" class="quarto-xref">Figure 1.1</a>' in landing
    for text in (results, landing):
        assert "@fig-" not in text and "@tbl-" not in text and "?@" not in text


def test_callouts_are_titled_boxes(site):
    results = read(site, "chapters/results.html")
    note = results.split('<div class="callout callout-note">')[1].split('<div class="callout-body">')
    assert "Reading the figure" in note[0] and "Each point is one size." in note[1]
    warning = results.split('<div class="callout callout-warning">')[1].split('<div class="callout-body">')
    assert "Warning" in warning[0] and "Squares grow fast." in warning[1]


def test_hidden_code_is_run_but_not_shown(site):
    results = read(site, "chapters/results.html")
    assert "import matplotlib" not in results and "values = [" not in results and "print(" not in results
    assert "The largest score is 16." in results


def test_site_keeps_html_only_content_and_drops_pdf_only_content(site):
    results = read(site, "chapters/results.html")
    assert "Only on the website." in results and "Only in the PDF." not in results


def test_citations_and_reference_lists(site):
    results, references = read(site, "chapters/results.html"), read(site, "chapters/references.html")
    assert 'href="#ref-poe2019tables"' in results and "On Tables" in results
    assert "Scaling Laws for Fixtures" not in results  # a page lists only what it cites
    assert "Scaling Laws for Fixtures" in references and "On Tables" in references  # nocite: @*


def test_navigation_pager_pdf_link_and_citation_block(site):
    for index, name in enumerate(PAGES):
        page = parse_page(site / name)
        text = read(site, name)
        targets = {ref.split("#")[0].rsplit("/", 1)[-1] for ref in page.refs}
        assert {"index.html", "results.html", "references.html", "fixture-report.pdf"} <= targets
        assert "@misc{evalcorr2024," in text and "author  = {{Fixture authors}}" in text
        assert ("pager-previous" in text) == (index > 0)
        assert ("pager-next" in text) == (index < len(PAGES) - 1)
    assert "Chapter 1" in read(site, "chapters/results.html")


@pytest.fixture(scope="module")
def second_render(tmp_path_factory):
    """The fixture rendered again from a fresh copy (its own page cache, another absolute path)."""
    root = write_fixture_project(tmp_path_factory.mktemp("again") / "project")
    return root, render_project(root, renderer="offline", log=lambda line: None).out_dir


def test_render_is_deterministic(site, second_render):
    _, again = second_render
    files = sorted(path.relative_to(site) for path in site.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(again) for path in again.rglob("*") if path.is_file())
    for name in files:
        if name.suffix in {".html", ".svg", ".css"}:
            assert (site / name).read_bytes() == (again / name).read_bytes(), name


def test_failing_cell_stops_the_render_and_keeps_the_previous_site(second_render):
    root, out = second_render
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    failing = RESULTS.replace('ax.set_xlabel("size")', 'ax.set_xlabel("size")\n1 / 0')
    (root / "chapters/results.qmd").write_text(failing)
    with pytest.raises(RenderError) as error:
        render_project(root, renderer="offline", log=lambda line: None)
    message = str(error.value)
    assert "chapters/results.qmd" in message and "fig-line" in message and "ZeroDivisionError" in message
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    assert sorted(path.name for path in root.iterdir() if path.name.startswith("._site")) == []


def test_unresolved_cross_reference_is_an_error(tmp_path):
    root = write_fixture_project(tmp_path, results="---\ntitle: Results\n---\n\nSee @fig-nowhere.\n",
                                 index=PLAIN_INDEX)
    with pytest.raises(RenderError, match=r"chapters/results\.qmd: unresolved cross-reference @fig-nowhere"):
        render_project(root, renderer="offline", log=lambda line: None)
    assert not (root / "_site").exists()


def test_unknown_citation_is_an_error(tmp_path):
    root = write_fixture_project(tmp_path, results="---\ntitle: Results\n---\n\nAs in [@nobody2000].\n",
                                 index=PLAIN_INDEX)
    with pytest.raises(RenderError, match=r"chapters/results\.qmd: cites @nobody2000, not in .*references\.bib"):
        render_project(root, renderer="offline", log=lambda line: None)


def test_missing_page_is_named(tmp_path):
    root = write_fixture_project(tmp_path)
    (root / "chapters/results.qmd").unlink()
    with pytest.raises(RenderError, match=r"lists pages that do not exist: chapters/results\.qmd"):
        render_project(root, renderer="offline", log=lambda line: None)


def test_cli_reports_failure_and_which_renderer_ran(tmp_path):
    root = write_fixture_project(tmp_path, results="---\ntitle: Results\n---\n\nSee @tbl-nowhere.\n",
                                 index=PLAIN_INDEX)
    done = subprocess.run([sys.executable, "-m", "evalcorr", "render", "--renderer", "offline", "--root", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "render: offline renderer, 3 pages" in done.stdout
    assert "[1/3] index.qmd" in done.stdout
    assert "unresolved cross-reference @tbl-nowhere" in done.stderr
    shutil.rmtree(root)


def test_link_to_a_page_outside_the_report_is_an_error(tmp_path):
    root = write_fixture_project(tmp_path, results="---\ntitle: Results\n---\n\nSee [elsewhere](other.qmd#x).\n",
                                 index=PLAIN_INDEX)
    with pytest.raises(RenderError, match=r"chapters/results\.qmd: links to chapters/other\.qmd, which is not a page"):
        render_project(root, renderer="offline", log=lambda line: None)
