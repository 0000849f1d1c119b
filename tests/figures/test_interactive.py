"""The interactive matrix: one titled cell per pair, CI and n in the tooltips, deterministic output."""

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from evalcorr.errors import EvalcorrError
from evalcorr.figures.interactive import interactive_heatmap_html


@pytest.fixture(scope="module")
def data():
    tasks = ["math_algebra_hard", "math_geometry_hard", "bbh_snarks", "bbh_navigate"]
    r = np.array([[1.0, 0.9, 0.3, -0.2], [0.9, 1.0, 0.25, 0.1], [0.3, 0.25, 1.0, 0.6], [-0.2, 0.1, 0.6, 1.0]])
    corr = pd.DataFrame(r, index=tasks, columns=tasks)
    families = pd.DataFrame({"task": tasks, "family": ["MATH", "MATH", "BBH", "BBH"],
                             "display": ["MATH algebra", "MATH geometry", "BBH snarks", "BBH navigate <&>"]})
    rows = [{"task_a": a, "task_b": b, "n": 100 + 10 * i + j, "r": r[i, j],
             "ci_low": r[i, j] - 0.1, "ci_high": r[i, j] + 0.05}
            for i, a in enumerate(tasks) for j, b in enumerate(tasks) if i < j]
    return corr, families, pd.DataFrame(rows)


def _cells(html):
    block = html[html.index('<g class="cells"'):]
    block = block[:block.index("</g>")]
    return re.findall(r'<rect x="(\d+)" y="(\d+)"[^>]*fill="(#[0-9a-f]{6})"><title>(.*?)</title></rect>',
                      block, flags=re.S)


def test_one_cell_per_pair_with_r_ci_and_n(data):
    corr, families, pairs = data
    html = interactive_heatmap_html(corr, pairs, families)
    cells = _cells(html)
    assert len(cells) == 16
    titles = [c[3] for c in cells]
    # row 0, column 2: math_algebra_hard x bbh_snarks
    assert titles[2] == "MATH algebra \u00d7 BBH snarks\nr = 0.30\n95% CI [0.20, 0.35]\nn = 102 models"
    # the lower triangle looks up the same pair in the other orientation
    assert titles[8] == "BBH snarks \u00d7 MATH algebra\nr = 0.30\n95% CI [0.20, 0.35]\nn = 102 models"
    assert all("r = " in t for t in titles)
    assert sum("n = " in t for t in titles) == 12  # the diagonal has no pair row
    assert "BBH navigate &lt;&amp;&gt;" in html  # labels are escaped
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_colours_are_centred_at_zero(data):
    corr, families, pairs = data
    cells = _cells(interactive_heatmap_html(corr, pairs, families))
    cmap = matplotlib.colormaps["RdBu_r"]
    assert cells[0][2] == to_hex(cmap(1.0))  # r = +1 at the top of the map
    assert cells[3][2] == to_hex(cmap(0.4))  # r = -0.2 -> (1 - 0.2) / 2
    zero = interactive_heatmap_html(corr * 0, None, families)
    assert {c[2] for c in _cells(zero)} == {to_hex(cmap(0.5))}


def test_order_is_applied_and_output_is_deterministic(data):
    corr, families, pairs = data
    order = ["bbh_navigate", "bbh_snarks", "math_geometry_hard", "math_algebra_hard"]
    first = interactive_heatmap_html(corr, pairs, families, order=order)
    assert first == interactive_heatmap_html(corr, pairs, families, order=order)
    assert _cells(first)[0][3].startswith("BBH navigate &lt;&amp;&gt; \u00d7 BBH navigate")
    assert first != interactive_heatmap_html(corr, pairs, families)


def test_rejects_a_non_square_matrix(data):
    corr, families, pairs = data
    with pytest.raises(EvalcorrError, match="square"):
        interactive_heatmap_html(corr.iloc[:, :3], pairs, families)


def test_integer_task_labels_work_and_an_order_of_labels_is_not_read_as_positions():
    labels = [10, 0, 2]
    r = np.array([[1.0, 0.5, -0.3], [0.5, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    corr = pd.DataFrame(r, index=labels, columns=labels)
    html = interactive_heatmap_html(corr, order=[2, 0, 10])
    titles = [cell[3] for cell in _cells(html)]
    assert len(titles) == 9 and titles[0].startswith("2 \u00d7 2") and titles[1].startswith("2 \u00d7 0")
    positions = interactive_heatmap_html(pd.DataFrame(r, index=[0, 1, 2], columns=[0, 1, 2]), order=[2, 1, 0])
    assert [cell[3] for cell in _cells(positions)][0].startswith("2 \u00d7 2")


@pytest.mark.parametrize("limit", [0, -1, float("nan"), float("inf")])
def test_a_colour_limit_that_is_not_positive_is_a_clear_error(data, limit):
    corr, families, pairs = data
    with pytest.raises(EvalcorrError, match=r"limit: the colour scale spans \[-limit, limit\]; give a positive number"):
        interactive_heatmap_html(corr, pairs, families, limit=limit)
