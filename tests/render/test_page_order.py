"""How the offline renderer starts the pages: in which order (offline.longest_first), and with the
kernels' fork server already starting when a page will execute."""

from tests._renderfixture import write_fixture_project

from evalcorr.render import offline, render_project
from evalcorr.render.execute import execute_page
from evalcorr.render.offline import _code_cells, longest_first

CELL = "```{python}\nx = 1\n```\n"


def test_timed_pages_first_by_time_then_untimed_ones_by_code_cells():
    assert longest_first([1.0, 42.0, 0.0, 11.0, 0.0], [9, 3, 1, 2, 5]) == [1, 3, 0, 4, 2]
    # a cold render: by code cells, ties in book order
    assert longest_first([0.0] * 4, [2, 7, 2, 0]) == [1, 0, 2, 3]


def test_code_cells_are_counted_and_an_unreadable_page_counts_none(tmp_path):
    page = tmp_path / "page.qmd"
    page.write_text(f"---\ntitle: A\n---\n\nText `{{python}} 1`.\n\n{CELL}\nMore.\n\n{CELL}", encoding="utf-8")
    assert _code_cells(page) == 2
    assert _code_cells(tmp_path / "missing.qmd") == 0
    broken = tmp_path / "broken.qmd"
    broken.write_text("```{python}\nx = 1\n", encoding="utf-8")      # never closed: its execution says so
    assert _code_cells(broken) == 0


def test_the_fork_server_starts_first_only_when_a_page_has_never_executed(tmp_path, monkeypatch):
    root = write_fixture_project(tmp_path / "project")
    started = []
    monkeypatch.setattr(offline, "start_fork_server", lambda: started.append(True))
    render_project(root, renderer="offline", log=lambda line: None)
    assert started == [True]                # a cold render: every page will need a kernel
    page = root / "chapters" / "results.qmd"
    page.write_text(page.read_text() + "\nOne more sentence of prose.\n")
    lines = []
    render_project(root, renderer="offline", log=lines.append)
    assert started == [True]                # every page was executed before: none may need a kernel
    assert any("cache hit" in line for line in lines)
    other = write_fixture_project(tmp_path / "other")   # never executed, but by an executor of the caller's
    render_project(other, renderer="offline", log=lambda line: None, execute=execute_page)
    assert started == [True]
