"""The real report rendered offline, checked as a reader sees it: pages, figures, links, PDF, screenshot.

Rendering the whole report takes a minute or two (less with a warm .render-cache); it happens once
for this module.
"""

import re

import pytest
from tests._renderfixture import (REAL_RENDER_LOG, ROOT, broken_links, distinct_colours, dump_dom,
                                   external_resources, parse_page, pdf_pages, pdf_text, rendered_real_project,
                                   screenshot)

from evalcorr.render.citations import bib_keys
from evalcorr.render.project import load_project
from evalcorr.render.qmd import read_qmd

PROJECT = load_project(ROOT)


@pytest.fixture(scope="module")
def site():
    return rendered_real_project()


def test_every_page_exists_with_its_title(site):
    for index, page in enumerate(PROJECT.pages):
        html = (site / page.html).read_text()
        title = PROJECT.title if index == 0 else page.title  # the landing page has the book's title block
        assert len(html) > 2000, page.html
        assert re.search(r'<h1 class="title">(.*?)</h1>', html).group(1) == title.replace("&", "&amp;")
    landing = (site / PROJECT.pages[0].html).read_text()
    assert PROJECT.subtitle in landing and 'class="description"' in landing and PROJECT.author in landing


def test_every_figure_exists_is_non_empty_and_has_alt_text(site):
    """A static figure is an image with alt text; an interactive one has an accessible name, and its static
    image (in the figures folder) is the PDF's."""
    images = interactive = 0
    for page in PROJECT.pages:
        html = (site / page.html).read_text()
        for image in parse_page(site / page.html).images:
            path = (site / page.html).parent / image["src"]
            assert path.stat().st_size > 1000, image["src"]
            assert image.get("alt", "").strip(), f"{page.html}: {image['src']} has no alt text"
            images += 1
        labels = re.findall(r'<div class="evalcorr-figure" data-evalcorr="[^"]+" role="group" aria-label="([^"]*)"', html)
        assert all(len(label) > 80 for label in labels), page.html
        assert len(labels) == html.count('class="html-figure"')
        interactive += len(labels)
    assert interactive >= 12  # every correlation matrix and the transfer heatmaps with intervals
    assert images + interactive == len(list(site.rglob("*_files/*.svg"))) + len(list(site.rglob("*_files/*.png")))


def test_no_broken_links_or_network_resources(site):
    assert broken_links(site) == []
    assert external_resources(site) == []


def test_no_unresolved_cross_references(site):
    for page in PROJECT.pages:
        html = (site / page.html).read_text()
        assert not re.search(r"\?@|@(fig|tbl)-", html), page.html


def test_pdf_pages_and_chapter_titles(site):
    pdf = site / PROJECT.pdf_file
    text = pdf_text(pdf)
    assert 2 + len(PROJECT.pages) <= pdf_pages(pdf) <= 2 + 25 * len(PROJECT.pages)
    assert text.startswith(PROJECT.title)
    for page in PROJECT.pages:
        title = " ".join(page.title.split())
        heading = f"{page.number} {title}" if page.number else title
        assert text.count(heading) >= 2, heading  # in the contents and as the chapter heading
    assert not re.search(r"\?@|@(fig|tbl)-|\?\?", text)


def test_landing_page_screenshot_is_not_blank(site, tmp_path):
    png = screenshot(site / PROJECT.pages[0].html, tmp_path / "landing.png")
    assert distinct_colours(png) > 200


def test_the_render_logs_no_warning():
    """Warnings mark what Quarto would show wrongly: a literal inline expression, a repr, subfigures."""
    rendered_real_project()
    assert [line for line in REAL_RENDER_LOG if "warning" in line] == []


def test_one_image_per_figure_cell_and_quartos_figure_numbers(site):
    for page in PROJECT.pages:
        html = (site / page.html).read_text()
        cells = [cell for cell in read_qmd(ROOT / page.source).cells if "fig-cap" in cell.options]
        labels = [cell.label for cell in cells if (cell.label or "").startswith("fig-")]
        interactive = html.count('class="html-figure"')  # an interactive figure: HTML on the site, no image
        assert len(parse_page(site / page.html).images) + interactive >= len(cells), page.source
        assert re.findall(r'<figure id="(fig-[^"]+)"', html) == labels, page.source  # no fig-x-1 subfigures
        numbers = re.findall(r"<figcaption>Figure ([\d.]+):", html)
        if page.number is None:
            # Quarto cannot be relied on to number figures on an unnumbered page: the report has none there
            assert labels == [] and numbers == [], page.source
        else:
            assert numbers == [f"{page.number}.{k}" for k in range(1, len(labels) + 1)], page.source


def test_no_literal_inline_code_on_any_page_or_in_the_pdf(site):
    for page in PROJECT.pages:
        assert "{python}" not in (site / page.html).read_text(), page.html
    assert "{python}" not in pdf_text(site / PROJECT.pdf_file)


def test_every_bibliography_entry_is_cited_and_listed(site):
    references = (site / PROJECT.pages[-1].html).read_text()
    listed = set(re.findall(r'id="ref-([^"]+)"', references))
    assert listed == bib_keys(PROJECT.bibliography)
    pdf = pdf_text(site / PROJECT.pdf_file)
    assert "Bibliography" not in pdf and "Measuring Massive Multitask Language Understanding" in pdf


def test_math_is_mathml(site):
    html = "".join((site / page.html).read_text() for page in PROJECT.pages)
    assert "<math" in html and "\\(" not in html


def test_search_runs_offline_over_every_page(site):
    index = (site / "search-index.js").read_text()
    for page in PROJECT.pages:
        assert f'"href":"{page.html}' in index, page.html
    assert (site / "assets/minisearch.js").is_file() and (site / "assets/minisearch-LICENSE.txt").is_file()
    for page in PROJECT.pages:
        html = (site / page.html).read_text()
        assert 'id="search-input"' in html and "search-index.js" in html and 'class="page-toc"' in html or \
            page is PROJECT.pages[-1], page.html
    dom = dump_dom((site / "search.html").resolve().as_uri() + "?q=abstract%20algebra")
    hits = re.findall(r'<li><a href="([^"]+)"><span class="search-where">', dom)
    assert any(hit.startswith("chapters/helm.html#") for hit in hits), dom[-2000:]
    assert "sections match" in dom
