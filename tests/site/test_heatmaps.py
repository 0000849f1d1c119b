"""Transfer heatmaps: the static panels, with each cell's interval and baseline for the hover."""

import base64

import numpy as np
import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.figures.transfer import heatmap, view_grid
from evalcorr.site.heatmaps import transfer_heatmaps

TASKS = ["t1", "t2", "t3"]


def _decode(array):
    return np.frombuffer(base64.b64decode(array["b64"]), dtype="<" + array["dtype"]).reshape(array["shape"])


def _cells(shift=0.0):
    values = np.arange(9, dtype=float).reshape(3, 3) / 10 - 0.3
    rows = [{"train_task": a, "eval_task": b, "value": values[i, j] + shift, "ci_low": values[i, j] - 0.05,
             "ci_high": values[i, j] + 0.05, "baseline": 0.2 + j / 10, "after": 0.2 + j / 10 + values[i, j],
             "n_items": 200} for i, a in enumerate(TASKS) for j, b in enumerate(TASKS)]
    matrix = pd.DataFrame(values, index=TASKS, columns=TASKS)
    return pd.DataFrame(rows), matrix


def test_hover_columns_are_aligned_with_the_drawn_cells():
    cells, matrix = _cells()
    marks = (cells.set_index(["train_task", "eval_task"])["ci_low"] <= 0).unstack()
    figure = transfer_heatmaps(heatmap(matrix, mark=marks, key="pp", title="pp"), {"pp": cells}, name="fig-t")
    panel = figure.spec["panels"][0]
    assert np.allclose(_decode(panel["z"]), matrix.to_numpy(), atol=1e-7)
    assert np.allclose(_decode(panel["extra"]["baseline"]), [[0.2, 0.3, 0.4]] * 3, atol=1e-7)
    assert np.array_equal(_decode(panel["marked"]).astype(bool), marks.loc[TASKS, TASKS].to_numpy())
    assert "value" not in panel["extra"]  # same values as drawn: nothing recomputed to show
    data = figure.downloads[0][2]
    assert list(data.columns[:5]) == ["panel", "trained on", "evaluated on", "value", "marked"]
    assert np.allclose(data["baseline"], cells["baseline"])


def test_a_recomputed_value_is_shown_within_the_tolerance_and_refused_beyond():
    cells, matrix = _cells(shift=0.004)
    with pytest.raises(EvalcorrError, match="differ from the values the heatmap shows"):
        transfer_heatmaps(heatmap(matrix, key="pp"), {"pp": cells}, name="fig-t")
    figure = transfer_heatmaps(heatmap(matrix, key="pp"), {"pp": cells}, name="fig-t", tolerance=0.005)
    assert np.allclose(_decode(figure.spec["panels"][0]["extra"]["value"]), matrix.to_numpy() + 0.004, atol=1e-6)


def test_panels_of_a_view_grid_are_matched_by_view():
    cells, matrix = _cells()
    accuracy = matrix + 0.5
    static = view_grid({"raw": accuracy, "after": accuracy, "pp": matrix, "relative": matrix})
    figure = transfer_heatmaps(static, {"pp": cells}, name="fig-grid", baseline_note="no baseline here")
    panels = figure.spec["panels"]
    assert len(panels) == 4 and [bool(p["extra"]) for p in panels] == [False, False, True, False]
    assert panels[0]["note"] == "no baseline here" and "note" not in panels[2]
    assert panels[0]["colorscale"] != panels[2]["colorscale"]  # accuracies sequential, improvements diverging
    with pytest.raises(EvalcorrError, match="no panel of the figure has the key"):
        transfer_heatmaps(static, {"logodds": cells}, name="fig-grid")
