"""The order in which the offline renderer starts the pages (offline.longest_first)."""

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
