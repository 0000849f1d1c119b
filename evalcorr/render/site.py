"""The site's pages: Jinja2 layout around each page's HTML, plus the stylesheet.

Every page has the navigation sidebar (all pages, the PDF), previous/next links and the citation
block; the landing page is laid out as an article followed by the list of chapters.
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


def write_site(pages: list[SitePage], project: Project, citation: ReportCitation, site_dir: Path) -> list[Path]:
    """Write every page's HTML file and the assets into `site_dir`; return the HTML paths."""
    template = _environment().get_template("page.html")
    shutil.copytree(ASSETS, site_dir / "assets", dirs_exist_ok=True)
    written = []
    for index, current in enumerate(pages):
        here = current.page.html

        def href(path: str, here=here) -> str:
            return relative_href(here, path)

        html = template.render(
            project=project,
            current=current,
            pages=pages,
            previous=pages[index - 1] if index > 0 else None,
            next=pages[index + 1] if index + 1 < len(pages) else None,
            chapters=[other for other in pages if other is not current and other.page.source != pages[0].page.source],
            landing=index == 0,
            citation=citation,
            href=href,
        )
        path = site_dir / here
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html)
        written.append(path)
    if pages[0].page.html != "index.html":  # the site opens on the landing page wherever it lives
        (site_dir / "index.html").write_text(REDIRECT.format(target=pages[0].page.html, title=escape(project.title)))
    return written
