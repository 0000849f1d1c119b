"""The real report rendered offline, checked as a reader sees it: pages, figures, links, PDF, screenshot.

Rendering the whole report takes a minute or two (less with a warm .render-cache); it happens once
for this module.
"""

import re

import pytest
import yaml
from tests._renderfixture import (ROOT, broken_links, distinct_colours, external_resources, parse_page, pdf_pages,
                            pdf_text, rendered_real_project, screenshot)

from evalcorr.render.project import load_project

PROJECT = load_project(ROOT)


def front_matter(source: str) -> dict:
    text = (ROOT / source).read_text()
    return yaml.safe_load(text.split("---", 2)[1]) if text.startswith("---") else {}


@pytest.fixture(scope="module")
def site():
    return rendered_real_project()


def test_every_page_exists_with_its_title(site):
    for page in PROJECT.pages:
        html = (site / page.html).read_text()
        title = front_matter(page.source)["title"]
        assert len(html) > 2000, page.html
        assert re.search(r'<h1 class="title">(.*?)</h1>', html).group(1) == title.replace("&", "&amp;")


def test_every_figure_exists_is_non_empty_and_has_alt_text(site):
    images = 0
    for page in PROJECT.pages:
        for image in parse_page(site / page.html).images:
            path = (site / page.html).parent / image["src"]
            assert path.stat().st_size > 1000, image["src"]
            assert image.get("alt", "").strip(), f"{page.html}: {image['src']} has no alt text"
            images += 1
    assert images == len(list(site.rglob("*_files/*.svg"))) + len(list(site.rglob("*_files/*.png")))


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
        title = " ".join(front_matter(page.source)["title"].split())
        heading = f"{page.number} {title}" if page.number else title
        assert text.count(heading) >= 2, heading  # in the contents and as the chapter heading
    assert not re.search(r"\?@|@(fig|tbl)-|\?\?", text)


def test_landing_page_screenshot_is_not_blank(site, tmp_path):
    png = screenshot(site / PROJECT.pages[0].html, tmp_path / "landing.png")
    assert distinct_colours(png) > 200
