"""The offline renderer writes a page's HTML as soon as the page can be written alone."""

import sys
import threading
import time

import pytest

from tests._renderfixture import write_fixture_project

from evalcorr.errors import RenderError
from evalcorr.render import offline, render_project
from evalcorr.render.execute import execute_page
from evalcorr.render.pandoc import attr, element


def _figure(label):
    return element("Figure", [attr(label), [None, []], []])


def _cite(*keys):
    citations = [{"citationId": key, "citationPrefix": [], "citationSuffix": [], "citationMode": {"t": "NormalCitation"},
                  "citationNoteNum": 0, "citationHash": 0} for key in keys]
    return element("Para", [element("Cite", [citations, []])])


def test_a_page_referring_only_to_its_own_figures_and_tables_is_self_contained():
    assert offline._self_contained([_figure("fig-a"), _cite("fig-a")])
    assert offline._self_contained([_cite("doe2020scaling")])            # a citation is not a cross-reference
    assert not offline._self_contained([_figure("fig-a"), _cite("fig-a", "tbl-elsewhere")])
    assert not offline._self_contained([element("Div", [attr("refs"), []])])   # lists every page's citations
    assert not offline._self_contained([_figure("fig-a"), _figure("fig-a")])  # an error, raised once all are parsed


def test_a_self_contained_page_is_written_while_another_page_still_executes(tmp_path, monkeypatch):
    """The landing page refers to a chapter's figure: it waits for the other pages; the chapter does not.

    The landing page's execution waits until the chapter's HTML is written; written only after every
    page is parsed, it would not be, and the wait would time out.
    """
    monkeypatch.setenv("EVALCORR_RENDER_JOBS", "2")
    root = write_fixture_project(tmp_path / "project")
    written, made, html_of, chapter_of = threading.Event(), threading.Event(), offline.page_html, offline._chapter

    def page_html(ast, page, *args, **kwargs):
        body = html_of(ast, page, *args, **kwargs)
        if page.source == "chapters/results.qmd":
            written.set()
        return body

    def chapter(index, page, *args):
        blocks = chapter_of(index, page, *args)
        if page.source == "chapters/results.qmd":
            made.set()
        return blocks

    monkeypatch.setattr(offline, "page_html", page_html)
    monkeypatch.setattr(offline, "_chapter", chapter)
    waited = []

    def execute(source, **kwargs):
        if source.name == "index.qmd":     # the chapter's HTML and its PDF chapter are made meanwhile
            waited.append((written.wait(timeout=30), made.wait(timeout=30)))
        return execute_page(source, **kwargs)

    lines = []
    site = render_project(root, renderer="offline", log=lines.append, execute=execute).out_dir
    assert waited == [(True, True)]
    # the landing page still links to the chapter's numbered figure, and the log keeps book order
    assert '<a href="chapters/results.html#fig-line" class="quarto-xref">Figure 1.1</a>' in (site / "index.html").read_text()
    progress = [line.split("]")[0] for line in lines if line.startswith("[")]
    assert progress == ["[1/3", "[2/3", "[3/3"]


def test_a_page_written_early_is_the_page_written_late(tmp_path, monkeypatch):
    sites = {}
    for when, contained in (("early", offline._self_contained), ("late", lambda blocks: False)):
        monkeypatch.setattr(offline, "_self_contained", contained)
        root = write_fixture_project(tmp_path / when)
        sites[when] = render_project(root, renderer="offline", log=lambda line: None).out_dir
    pdf = [path.name for path in sites["early"].glob("*.pdf")]
    assert len(pdf) == 1
    for name in ("chapters/results.html", "index.html", "chapters/references.html", *pdf):
        assert (sites["early"] / name).read_bytes() == (sites["late"] / name).read_bytes(), name


def test_the_first_failure_in_book_order_is_raised(tmp_path, monkeypatch):
    """The chapter fails at once, the landing page a moment later: the landing page comes first in the
    book, so its error is the one raised."""
    monkeypatch.setenv("EVALCORR_RENDER_JOBS", "2")
    root = write_fixture_project(tmp_path / "project")

    def execute(source, **kwargs):
        if source.name == "results.qmd":
            raise RenderError("results.qmd: a cell failed")
        if source.name == "index.qmd":
            time.sleep(0.5)
            raise RenderError("index.qmd: a cell failed")
        return execute_page(source, **kwargs)

    with pytest.raises(RenderError, match="index.qmd: a cell failed"):
        render_project(root, renderer="offline", log=lambda line: None, execute=execute)


def test_pages_read_from_the_page_cache_are_written_once_all_are_parsed(tmp_path, monkeypatch):
    """Ready at once, they gain nothing from being written early; a prose edit executes no page."""
    root = write_fixture_project(tmp_path / "project")
    render_project(root, renderer="offline", log=lambda line: None)
    results = root / "chapters" / "results.qmd"
    results.write_text(results.read_text() + "\nOne more sentence of prose.\n")
    events, html_of, execute_pages = [], offline.page_html, offline._execute_pages

    def page_html(ast, page, *args, **kwargs):
        events.append(("html", page.source))
        return html_of(ast, page, *args, **kwargs)

    def executed_pages(*args, **kwargs):
        parsed = execute_pages(*args, **kwargs)
        events.append(("parsed", "every page"))
        return parsed

    monkeypatch.setattr(offline, "page_html", page_html)
    monkeypatch.setattr(offline, "_execute_pages", executed_pages)
    lines = []
    render_project(root, renderer="offline", log=lines.append)
    assert any("from the page cache" in line for line in lines)
    assert events[0] == ("parsed", "every page") and len(events) == 4
    assert "One more sentence of prose." in (root / "_site" / "chapters" / "results.html").read_text()


def test_the_next_page_executes_while_the_last_one_is_parsed_and_kernels_stay_within_the_jobs(tmp_path, monkeypatch):
    """With one kernel at a time, the chapter's execution starts while pandoc still parses the landing
    page; the landing page's parse waits for it (and would time out if it came after the parse)."""
    monkeypatch.setenv("EVALCORR_RENDER_JOBS", "1")
    root = write_fixture_project(tmp_path / "project")
    chapter_started, lock = threading.Event(), threading.Lock()
    running, most_running, waited = [0], [0], []
    parse = offline._parse

    def execute(source, **kwargs):
        with lock:
            running[0] += 1
            most_running[0] = max(most_running[0], running[0])
        if source.name == "results.qmd":
            chapter_started.set()
        try:
            return execute_page(source, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    def parse_page(markdown, meta, page, **kwargs):
        if page.source == "index.qmd":
            waited.append(chapter_started.wait(timeout=30))
        return parse(markdown, meta, page, **kwargs)

    monkeypatch.setattr(offline, "_parse", parse_page)
    render_project(root, renderer="offline", log=lambda line: None, execute=execute)
    assert waited == [True]
    assert most_running == [1]


def test_a_page_logs_its_own_time_not_its_wait_for_a_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALCORR_RENDER_JOBS", "1")
    root = write_fixture_project(tmp_path / "project")

    def execute(source, **kwargs):
        if source.name == "index.qmd":
            time.sleep(3)                   # the chapter waits for this kernel slot
        return execute_page(source, **kwargs)

    lines = []
    render_project(root, renderer="offline", log=lines.append, execute=execute)
    logged = {line.split("] ")[1].split(":")[0]: float(line.split(" in ")[1].split(" s")[0])
              for line in lines if line.startswith("[")}
    assert logged["index.qmd"] >= 3
    assert logged["chapters/results.qmd"] < 3


def test_the_render_hands_the_gil_over_sooner_and_restores_the_interval(tmp_path):
    root = write_fixture_project(tmp_path / "project")
    before, seen = sys.getswitchinterval(), []

    def execute(source, **kwargs):
        seen.append(sys.getswitchinterval())
        return execute_page(source, **kwargs)

    render_project(root, renderer="offline", log=lambda line: None, execute=execute)
    assert seen and set(seen) == {offline.SWITCH_INTERVAL_S} and offline.SWITCH_INTERVAL_S < before
    assert sys.getswitchinterval() == before
    with pytest.raises(RenderError):        # restored when the render fails too
        render_project(root, renderer="offline", log=lambda line: None,
                       execute=lambda source, **kwargs: (_ for _ in ()).throw(RenderError("a page failed")))
    assert sys.getswitchinterval() == before
