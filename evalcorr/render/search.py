"""Site search without a server or the network: an index of every section, searched in the browser.

:func:`search_records` cuts every page into sections (the text before the first heading, then one
record per level-2 or level-3 heading), as Quarto's own search index does, and :func:`write_search_index`
writes them to ``search-index.js`` at the site root as a script that assigns
``window.EVALCORR_SEARCH_INDEX``. A script (not a JSON file fetched at run time) also loads from
``file://`` pages, where browsers refuse ``fetch``. The search itself is MiniSearch (``assets/minisearch.js``,
npm ``minisearch`` 7.2.0, MIT licence in ``assets/minisearch-LICENSE.txt``), driven by
``assets/search.js``: results as you type in the sidebar box, and all results on ``search.html?q=...``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

INDEX_FILE = "search-index.js"
SEARCH_PAGE = "search.html"
_HEADING = re.compile(r'<h([23])\b[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")
_SKIP = re.compile(r"<(script|style|svg|math)\b.*?</\1>", re.S)


def plain_text(fragment: str) -> str:
    """The readable text of an HTML fragment: tags, scripts and inline SVG removed, spaces collapsed."""
    text = _TAG.sub(" ", _SKIP.sub(" ", fragment))
    return " ".join(html.unescape(text).split())


def search_records(pages) -> list[dict]:
    """One record per section of every page: ``id``, ``title`` (page), ``section``, ``href``, ``text``.

    Parameters
    ----------
    pages
        :class:`evalcorr.render.site.SitePage` objects (their ``html.body`` and page path).
    """
    records = []
    for site_page in pages:
        body, href = site_page.html.body, site_page.page.html
        cuts = list(_HEADING.finditer(body))
        chunks = [(site_page.title, href, body[:cuts[0].start()] if cuts else body)]
        for index, match in enumerate(cuts):
            end = cuts[index + 1].start() if index + 1 < len(cuts) else len(body)
            chunks.append((plain_text(match.group(3)), f"{href}#{match.group(2)}", body[match.end():end]))
        for section, link, fragment in chunks:
            text = plain_text(fragment)
            if text or section != site_page.title:
                records.append({"id": len(records), "title": site_page.label, "section": section,
                                "href": link, "text": text})
    return records


def write_search_index(pages, site_dir: Path) -> Path:
    """Write ``search-index.js`` (the records of :func:`search_records`) into `site_dir`."""
    path = Path(site_dir) / INDEX_FILE
    records = json.dumps(search_records(pages), ensure_ascii=False, separators=(",", ":"))
    path.write_text(f"window.EVALCORR_SEARCH_INDEX = {records};\n", encoding="utf-8")
    return path
