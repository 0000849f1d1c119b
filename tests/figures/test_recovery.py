"""Recovery figures draw what they are given and record it."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evalcorr.errors import EvalcorrError
from evalcorr.figures import recovery as F
from evalcorr.figures.style import figure_data, figure_panels


def _table(shift=0.0):
    return pd.DataFrame({"method": ["correlation", "partial: PC1", "factors: 3"],
                         "score": ["pair AUC", "pair AUC", "factor congruence"],
                         "estimate": [0.4 + shift, 0.7, 0.8], "ci_low": [0.3, 0.6, 0.7], "ci_high": [0.5, 0.8, 0.9],
                         "null_mean": [0.5, 0.5, 0.6], "null_q95": [0.7, 0.7, 0.75]})


def test_recovery_plot_records_every_dot():
    fig = F.recovery_plot({"independent": _table(), "co-training": _table(0.1)})
    assert isinstance(fig, Figure) and len(figure_panels(fig)) == 4      # 2 scores x 2 regimes
    data = figure_data(fig)
    row = data[(data["regime"] == "co-training") & (data["method"] == "correlation")].iloc[0]
    assert row["estimate"] == pytest.approx(0.5) and row["score"] == "pair AUC"
    with pytest.raises(EvalcorrError, match="recovery_table"):
        F.recovery_plot({"x": _table().drop(columns="null_q95")})


def test_block_plot_one_panel_per_control():
    rows = [{"regime": r, "control": c, "category": k, "estimate": 0.1, "ci_low": 0.0, "ci_high": 0.2}
            for r in ("independent", "co-training") for c in ("none", "PC1")
            for k in ("shared primitive", "same surface only", "neither", "surface block")]
    fig = F.block_plot(pd.DataFrame(rows))
    assert len(fig.axes) == 2 and len(figure_data(fig)) == len(rows)


def test_coverage_plot_and_scores_by_steps():
    summary = pd.DataFrame({"grouping": ["models (naive)", "base model"], "coverage": [0.6, 0.9],
                            "ci_low": [0.5, 0.8], "ci_high": [0.7, 0.95], "nominal": [0.95, 0.95], "attainable": [0.88, 0.9],
                            "median_width": [0.1, 0.3]})
    fig = F.coverage_plot({"independent": summary})
    assert figure_data(fig)["coverage"].tolist() == [0.6, 0.9]
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.random((12, 3)), columns=["a", "b", "c"], index=[f"m{i}" for i in range(12)])
    models = pd.DataFrame({"steps": [25, 50, 100] * 4, "size": ["s", "l"] * 6, "params": [1, 2] * 6},
                          index=wide.index)
    fig = F.scores_by_steps(wide, models, ncols=2)
    data = figure_data(fig)
    assert len(data) == 36 and set(data["size"]) == {"s", "l"}
    assert data.set_index(["model", "task"]).loc[("m3", "b"), "score"] == pytest.approx(wide.loc["m3", "b"])
