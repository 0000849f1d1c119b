"""The site's interactive figures in a real browser (headless Chromium through Selenium and chromedriver).

A small rendered fixture page is checked thoroughly: hovering a matrix cell shows its pair, r, interval
and n; clicking it draws that pair's scatter with one point per model that has both scores (n of the
pairs table); the arrow keys and the pair lists move the selection; the search box highlights one model;
a transfer cell shows its interval and baseline; the data links hold the numbers; nothing is logged as
an error and nothing is requested off the disk. The real leaderboard page gets one end-to-end check.
Screenshots of the interactions are written to ``$EVALCORR_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from tests._browser import browser, errors_since, visit
from tests._renderfixture import distinct_colours, rendered_real_project
from tests._sitefixture import rendered_interactive_fixture


@pytest.fixture(scope="module")
def fixture_site():
    root, site = rendered_interactive_fixture()
    return root, site


@pytest.fixture(scope="module")
def driver():
    return browser()


def _shot(driver, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("EVALCORR_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _cell_offset(driver, matrix, i: int, j: int) -> tuple[int, int]:
    """Pixel offset of cell (row i, column j) from the centre of a Plotly heatmap's element."""
    x, y = driver.execute_script(
        "var d = arguments[0], L = d._fullLayout;"
        "return [L.xaxis._offset + L.xaxis.d2p(arguments[2]), L.yaxis._offset + L.yaxis.d2p(arguments[1])];",
        matrix, i, j)
    size = matrix.size
    return int(x - size["width"] / 2), int(y - size["height"] / 2)


def _hover_text(driver) -> str:
    return driver.execute_script(
        "var t = document.querySelector('.hoverlayer .hovertext'); return t ? t.textContent : '';")


def _points(driver, scatter) -> int:
    """Markers Plotly drew in the scatter's first trace (the models)."""
    return driver.execute_script(
        "return arguments[0].querySelectorAll('.scatterlayer .trace')[0].querySelectorAll('path.point').length;",
        scatter)


def _pairs(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "_site" / "downloads" / "results" / "fig-linked.csv")


def test_the_fixture_page_loads_offline_without_errors(fixture_site, driver, tmp_path):
    _, site = fixture_site
    page = visit(driver, site / "chapters" / "results.html")
    assert page.errors == []
    assert page.off_disk == []
    assert any(url.endswith("plotly-cartesian-4.1.1.min.js") for url in page.urls)
    assert distinct_colours(_shot(driver, "fixture-loaded", tmp_path)) > 200


def test_hover_shows_the_pair_r_interval_and_n(fixture_site, driver, tmp_path):
    root, site = fixture_site
    visit(driver, site / "chapters" / "results.html")
    matrix = driver.find_element(By.CSS_SELECTOR, ".evalcorr-matrix")
    # clustered_heatmap keeps the given order: a_0, a_1, a_2, b_0, ... ; cell (a_0, b_1) is row 0, column 4
    ActionChains(driver).move_to_element_with_offset(matrix, *_cell_offset(driver, matrix, 0, 4)).perform()
    text = _hover_text(driver)
    row = _pairs(root).query("task_a == 'a_0' and task_b == 'b_1'").iloc[0]
    assert "Task a_0 (A) × Task b_1 (B)" in text
    assert f"r = {row.r:.2f}" in text
    assert f"[{row.ci_low:.2f}, {row.ci_high:.2f}]".replace("-", "\u2212") in text
    assert f"n = {row.n} models" in text
    _shot(driver, "fixture-hover", tmp_path)
    assert errors_since(driver) == []


def test_click_draws_that_pairs_scatter_with_n_points(fixture_site, driver, tmp_path):
    root, site = fixture_site
    visit(driver, site / "chapters" / "results.html")
    matrix = driver.find_element(By.CSS_SELECTOR, ".evalcorr-matrix")
    scatter = driver.find_element(By.CSS_SELECTOR, ".evalcorr-scatter")
    assert scatter.get_attribute("data-pair") == "a_0|a_1"  # the initial pair
    ActionChains(driver).move_to_element_with_offset(matrix, *_cell_offset(driver, matrix, 6, 2)).click().perform()
    assert scatter.get_attribute("data-pair") == "c_0|a_2"
    n = int(_pairs(root).query("task_a == 'a_2' and task_b == 'c_0'").iloc[0]["n"])
    scores = pd.read_csv(site / "downloads" / "results" / "fig-linked-scores.csv", index_col=0)
    assert n == int(scores[["a_2", "c_0"]].dropna().shape[0]) < len(scores)  # some models lack a score
    assert int(scatter.get_attribute("data-points")) == n == _points(driver, scatter)
    title = driver.execute_script("return arguments[0].querySelector('.gtitle').textContent;", scatter)
    assert f"n = {n}" in title and "r = " in title
    _shot(driver, "fixture-click", tmp_path)
    assert errors_since(driver) == []


def test_keyboard_and_lists_choose_the_pair(fixture_site, driver):
    _, site = fixture_site
    visit(driver, site / "chapters" / "results.html")
    matrix = driver.find_element(By.CSS_SELECTOR, ".evalcorr-matrix")
    scatter = driver.find_element(By.CSS_SELECTOR, ".evalcorr-scatter")
    matrix.send_keys(Keys.ARROW_DOWN, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)  # from (a_0, a_1) to (a_1, b_0)
    assert scatter.get_attribute("data-pair") == "a_1|b_0"
    status = driver.find_element(By.CSS_SELECTOR, ".evalcorr-status").text
    assert status.startswith("Task a_1 (A) × Task b_0 (B); Pearson r = ")
    driver.execute_script("var s = arguments[0]; s.value = '7'; s.dispatchEvent(new Event('change'));",
                          driver.find_element(By.CSS_SELECTOR, ".evalcorr-task-b"))
    assert scatter.get_attribute("data-pair") == "a_1|c_1"
    assert errors_since(driver) == []


def test_search_highlights_one_model(fixture_site, driver, tmp_path):
    _, site = fixture_site
    visit(driver, site / "chapters" / "results.html")
    scatter = driver.find_element(By.CSS_SELECTOR, ".evalcorr-scatter")
    box = driver.find_element(By.CSS_SELECTOR, ".evalcorr-find")
    box.send_keys("model-017")
    assert scatter.get_attribute("data-highlighted") == "model-017"
    found = driver.execute_script(
        "return arguments[0].querySelectorAll('.scatterlayer .trace')[1].querySelectorAll('path.point').length;", scatter)
    status = driver.find_element(By.CSS_SELECTOR, ".evalcorr-status").text
    assert status.startswith("model-017: Task a_1 ")
    assert found == (0 if "not in this scatter" in status else 1)
    _shot(driver, "fixture-search", tmp_path)
    box.clear()
    box.send_keys("model-0")  # matches many: nothing highlighted, the count is said
    assert scatter.get_attribute("data-highlighted") == ""
    assert "models match" in driver.find_element(By.CSS_SELECTOR, ".evalcorr-status").text
    assert errors_since(driver) == []


def test_transfer_cell_shows_its_interval_and_baseline(fixture_site, driver, tmp_path):
    _, site = fixture_site
    visit(driver, site / "chapters" / "results.html")
    heat = driver.find_element(By.CSS_SELECTOR, ".evalcorr-heatmap")
    cells = pd.read_csv(site / "downloads" / "results" / "fig-transfer.csv")
    cell = cells.iloc[5]  # row t2, column t3
    x, y = driver.execute_script(
        "var L = arguments[0]._fullLayout; return [L.xaxis._offset + L.xaxis.d2p('t3'), L.yaxis._offset + L.yaxis.d2p('t2')];",
        heat)
    ActionChains(driver).move_to_element_with_offset(heat, int(x - heat.size["width"] / 2),
                                                     int(y - heat.size["height"] / 2)).perform()
    text = _hover_text(driver)
    assert "trained on: t2" in text and "evaluated on: t3" in text
    assert f"pp improvement = {cell.value:.3f}".replace("-", "\u2212") in text
    assert f"95% interval [{cell.ci_low:.3f}, {cell.ci_high:.3f}]".replace("-", "\u2212") in text
    assert f"baseline (a few of B only): {cell.baseline:.3f}" in text
    _shot(driver, "fixture-transfer-hover", tmp_path)
    heat.send_keys(Keys.ARROW_RIGHT)
    status = driver.find_elements(By.CSS_SELECTOR, ".evalcorr-status")[-1].text
    assert status.startswith("trained on: t1; evaluated on: t2; pp improvement = ")
    assert errors_since(driver) == []


def test_data_links_hold_what_the_figures_and_table_show(fixture_site):
    _, site = fixture_site
    html = (site / "chapters" / "results.html").read_text()
    for name in ("fig-linked.csv", "fig-linked-scores.csv", "fig-transfer.csv", "fig-histogram.csv", "tbl-pairs.csv"):
        assert f'href="../downloads/results/{name}" download' in html
        assert (site / "downloads" / "results" / name).stat().st_size > 50
    table = pd.read_csv(site / "downloads" / "results" / "tbl-pairs.csv")
    block = html[html.index('id="tbl-pairs"'):]
    shown = re.findall(r"<td[^>]*>(.*?)</td>", block[:block.index("</table>")])
    expected = [text for row in table.itertuples() for text in (row.task_a, row.task_b, str(row.n), f"{row.r:.3f}")]
    assert shown == expected  # the CSV holds every number of the table (at full precision)
    histogram = pd.read_csv(site / "downloads" / "results" / "fig-histogram.csv")
    assert set(histogram["panel"]) == {"between families", "within a family"}
    assert histogram["pairs"].sum() == 28  # every pair of 8 tasks, counted once


def test_the_real_leaderboard_page(driver, tmp_path):
    site = rendered_real_project()
    page = visit(driver, site / "chapters" / "open-llm-leaderboard.html")
    assert page.errors == [] and page.off_disk == []
    figures = driver.find_elements(By.CSS_SELECTOR, "[data-evalcorr='linked-matrix']")
    assert len(figures) == 2  # the full and the partial correlation matrix
    matrix = figures[0].find_element(By.CSS_SELECTOR, ".evalcorr-matrix")
    scatter = figures[0].find_element(By.CSS_SELECTOR, ".evalcorr-scatter")
    ActionChains(driver).move_to_element_with_offset(matrix, *_cell_offset(driver, matrix, 3, 20)).click().perform()
    a, b = scatter.get_attribute("data-pair").split("|")
    pairs = pd.read_csv(site / "downloads" / "open-llm-leaderboard" / "fig-matrix-interactive.csv")
    row = pairs[((pairs.task_a == a) & (pairs.task_b == b)) | ((pairs.task_a == b) & (pairs.task_b == a))].iloc[0]
    assert int(scatter.get_attribute("data-points")) == row.n == _points(driver, scatter) > 1000
    _shot(driver, "leaderboard-click", tmp_path)
    assert errors_since(driver) == []


def test_every_transfer_heatmap_of_the_report_prints_its_cells(driver):
    # Captions say the cells are annotated: side by side a 10 x 10 heatmap is too narrow for its numbers,
    # so the page lays such figures out one heatmap per row; every panel must print a number in each cell.
    site = rendered_real_project()
    for page_name in ("transfer", "controlled-experiment"):
        page = visit(driver, site / "chapters" / f"{page_name}.html")
        assert page.errors == [] and page.off_disk == []
        heatmaps = driver.find_elements(By.CSS_SELECTOR, ".evalcorr-heatmap")
        assert heatmaps, page_name
        for heat in heatmaps:
            # the cells the static figure annotates (non-empty labels), against the numbers drawn
            labelled, printed = driver.execute_script(
                "var d = arguments[0], t = d.data[0]; var n = 0;"
                "t.text.forEach(function (r) { r.forEach(function (s) { if (s) n++; }); });"
                "return [n, d.querySelectorAll('.heatmaplayer text').length];", heat)
            assert printed >= labelled > 0, (page_name, heat.get_attribute("aria-label"))
