"""Files a page links to, copied into the site as Quarto's website resource discovery copies them.

A cell may write a file into the project (a CSV download, a script: :mod:`evalcorr.site.page`) and link
to it from its output with a path relative to the page. Quarto finds every local ``a[href]``,
``img[src]``, ``link[href]``, ``script[src]`` and ``embed[src]`` of a rendered website page and copies
the file to the same place relative to the page in the output folder (quarto-cli
``src/project/types/website/website-resources.ts``). :func:`copy_page_resources` does the same for the
offline renderer, after the pages are written; :func:`linked_files` finds those files in a page's
executed Markdown (for the page cache, which must not serve a page whose files are gone).
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from evalcorr.errors import RenderError
from evalcorr.render.project import Page

TAGS = {"a": "href", "img": "src", "link": "href", "script": "src", "embed": "src"}
_ATTRIBUTE = re.compile(r'\b(?:href|src)="([^"]*)"')


class _References(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        value = dict(attrs).get(TAGS.get(tag, ""))
        if value:
            self.refs.append(value)


def local_references(html: str) -> list[str]:
    """Local file paths (no scheme, no fragment-only link, no query) an HTML fragment links to, in order."""
    parser = _References()
    parser.feed(html)
    out = []
    for ref in parser.refs:
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or not parts.path or ref.startswith("#") or parts.path.startswith("/"):
            continue
        out.append(unquote(parts.path))
    return list(dict.fromkeys(out))


def copy_page_resources(body: str, page: Page, root: Path, site_dir: Path) -> list[Path]:
    """Copy every local file the page's HTML links to from the project into the site; return the copies.

    A link is resolved against the page's folder, in the project (the source) and in the site (the
    target). Links to pages and to files the site already has (figures, other pages) are left alone; a
    link to a file that is in neither raises RenderError naming the page.
    """
    page_dir = PurePosixPath(page.html).parent
    copied = []
    for ref in local_references(body):
        target = (site_dir / page_dir / ref).resolve()
        if target.exists() or ref.endswith((".html", ".qmd")):
            continue
        source = (root / PurePosixPath(page.source).parent / ref).resolve()
        if not source.is_file():
            raise RenderError(f"{page.source}: links to {ref}, which is neither in the site nor at {source}; "
                              "the cell that writes it did not run (delete .render-cache to execute the page again)")
        if not target.is_relative_to(site_dir.resolve()):
            raise RenderError(f"{page.source}: links to {ref}, outside the site folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied.append(target)
    return copied


def linked_files(markdown: str, page_dir: Path) -> list[Path]:
    """Existing files under `page_dir`'s project that a page's executed Markdown links to from raw HTML."""
    found = []
    for ref in dict.fromkeys(_ATTRIBUTE.findall(markdown)):
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            continue
        path = (page_dir / unquote(parts.path)).resolve()
        if path.is_file() and path.suffix not in {".html", ".qmd"}:
            found.append(path)
    return found
