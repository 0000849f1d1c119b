"""The site's search index: one record per section of every page, written as a script."""

import json

from evalcorr.render.html import HtmlPage
from evalcorr.render.project import Page
from evalcorr.render.search import plain_text, search_records, write_search_index
from evalcorr.render.site import SitePage

BODY = """<p>Intro with <em>emphasis</em> &amp; an <svg><text>axis</text></svg> inline figure.</p>
<h2 id="results">Results <span>now</span></h2>
<p>The MATH block.</p>
<h3 id="detail">Detail</h3>
<p>Abstract algebra.</p>
<h4 id="deep">Deep</h4><p>Stays in Detail.</p>
"""


def _page(source="chapters/helm.qmd", number=2, title="HELM", body=BODY):
    return SitePage(Page(source, number, title), title, "", "", HtmlPage(body=body, sections=[]))


def test_plain_text_drops_tags_svg_and_entities():
    assert plain_text("<p>a &amp; <b>b</b></p><svg><text>x</text></svg><math><mi>y</mi></math>") == "a & b"


def test_one_record_per_section_with_links_to_the_headings():
    records = search_records([_page()])
    assert [(r["section"], r["href"]) for r in records] == [
        ("HELM", "chapters/helm.html"), ("Results now", "chapters/helm.html#results"),
        ("Detail", "chapters/helm.html#detail")]
    assert records[0]["text"] == "Intro with emphasis & an inline figure."
    assert records[2]["text"] == "Abstract algebra. Deep Stays in Detail."
    assert {r["title"] for r in records} == {"2\u2002HELM"} and [r["id"] for r in records] == [0, 1, 2]


def test_index_is_a_script_that_sets_the_records(tmp_path):
    path = write_search_index([_page(), _page("index.qmd", None, "Overview", "<p>Start.</p>")], tmp_path)
    text = path.read_text()
    prefix = "window.EVALCORR_SEARCH_INDEX = "
    assert text.startswith(prefix) and text.endswith(";\n")
    records = json.loads(text[len(prefix):-2])
    assert records[-1] == {"id": 3, "title": "Overview", "section": "Overview", "href": "index.html", "text": "Start."}
