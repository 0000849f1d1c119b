"""The site's pages: Jinja2 layout around each page's HTML, plus the stylesheet and the search.

Every page has the navigation sidebar (search box, all pages, the PDF), the on-page contents on the
right, previous/next links and the citation block; the landing page's title block is the book's
(title, subtitle, the page's description, author), as in a Quarto book. ``search.html`` lists every
match of a search (:mod:`evalcorr.render.search`).
"""

from __future__ import annotations

import shutil
from html import escape
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from evalcorr.render.citations import ReportCitation
from evalcorr.render.html import HtmlPage, relative_href
from evalcorr.render.project import Page, Project
from evalcorr.render.search import SEARCH_PAGE, write_search_index

HERE = Path(__file__).parent
REDIRECT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta http-equiv="refresh" content="0; url={target}"></head>
<body><p><a href="{target}">{title}</a></p></body></html>
"""
ASSETS = HERE / "assets"


@dataclass(frozen=True)
class SitePage:
    """A rendered page with its front matter."""

    page: Page
    title: str
    subtitle: str
    description: str
    html: HtmlPage

    @property
    def label(self) -> str:
        """Navigation label: chapter number and title."""
        return f"{self.page.number}\u2002{self.title}" if self.page.number else self.title


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


SEARCH_BODY = """<p id="search-count" class="search-count"></p>
<ol id="search-page-results" class="search-results search-page-results"></ol>
<noscript><p>The search needs JavaScript.</p></noscript>
"""


def write_site(pages: list[SitePage], project: Project, citation: ReportCitation, site_dir: Path) -> list[Path]:
    """Write every page's HTML file, the search page and index, and the assets into `site_dir`.

    Returns the HTML paths of the report's pages.
    """
    template = _environment().get_template("page.html")
    shutil.copytree(ASSETS, site_dir / "assets", dirs_exist_ok=True)
    write_search_index(pages, site_dir)
    search = SitePage(Page(SEARCH_PAGE.replace(".html", ".qmd"), None, "Search"), "Search", "", "",
                      HtmlPage(body=SEARCH_BODY, sections=[]))
    written = []
    for index, current in enumerate([*pages, search]):
        here = current.page.html
        listed = current is not search

        def href(path: str, here=here) -> str:
            return relative_href(here, path)

        html = template.render(
            project=project,
            current=current,
            pages=pages,
            previous=pages[index - 1] if listed and index > 0 else None,
            next=pages[index + 1] if listed and index + 1 < len(pages) else None,
            landing=index == 0,
            root="../" * here.count("/"),
            citation=citation,
            href=href,
        )
        path = site_dir / here
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html)
        if listed:
            written.append(path)
    if pages[0].page.html != "index.html":  # the site opens on the landing page wherever it lives
        (site_dir / "index.html").write_text(REDIRECT.format(target=pages[0].page.html, title=escape(project.title)))
    return written
