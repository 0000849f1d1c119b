"""Figures of the controlled experiment (evalcorr.figures.controlled) and the formatters they use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.figures import controlled as cfig
from evalcorr.figures.style import figure_data
from evalcorr.figures.transfer import heatmap_row, points, scale_grid, short


def test_pair_category_map_draws_each_category_in_its_colour():
    pairs = pd.DataFrame({"train_task": ["a", "b", "a", "c"], "eval_task": ["b", "a", "c", "a"],
                          "category": ["shared primitive, other surface", "shared primitive, other surface",
                                       "same surface only", "neither"]})
    fig = cfig.pair_category_map(pairs, ["a", "b", "c"])
    data = figure_data(fig)
    assert len(data) == 4 and set(data["category"]) == set(pairs["category"])
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    assert image.mask[0, 0] and image[0, 1] == image[1, 0] != image[0, 2]       # same category, same code
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "shared primitive, other surface", "same surface only", "neither"]
    with pytest.raises(EvalcorrError, match="unknown categor"):
        cfig.pair_category_map(pairs.assign(category="twins"), ["a", "b", "c"])


def test_category_means_plot_shows_every_size_with_its_interval():
    means = pd.DataFrame({"model": ["s", "s", "l", "l"], "category": ["x, y", "z"] * 2, "n_pairs": [16, 10] * 2,
                          "mean": [0.1, -0.02, 0.12, -0.01], "ci_low": [0.08, -0.03, 0.09, -0.02],
                          "ci_high": [0.13, -0.01, 0.15, 0.0]})
    fig = cfig.category_means_plot(means, {"s": "small"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["small", "l"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x,\ny\n(16 pairs)", "z\n(10 pairs)"]
    small, large = (np.asarray(c.lines[0].get_ydata(), dtype=float) for c in ax.containers)
    assert small.tolist() == [0.1, -0.02] and large.tolist() == [0.12, -0.01]
    bars = ax.containers[0].lines[2][0].get_segments()      # the interval of the first point
    assert [tuple(np.round(p, 6)) for p in bars[0]] == [(bars[0][0][0], 0.08), (bars[0][0][0], 0.13)]
    assert figure_data(fig).equals(means)
    with pytest.raises(EvalcorrError, match="missing column"):
        cfig.category_means_plot(means.drop(columns="ci_low"))


def test_seed_strip_has_one_row_per_cell_and_a_dot_per_seed():
    per_seed = pd.DataFrame({"model": "l", "train_task": ["a"] * 3 + ["b"] * 3, "eval_task": ["b"] * 3 + ["a"] * 3,
                             "seed": [0, 1, 2] * 2, "improvement": [0.0, 0.8, 0.9, 0.1, 0.2, 0.3]})
    fig = cfig.seed_strip(per_seed, {"l": "large"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b → a (large)", "a → b (large)"]
    dots = [c for c in ax.collections]
    assert len(dots) == 2 and all(len(c.get_offsets()) == 3 for c in dots)
    means = sorted(line.get_xdata()[0] for line in ax.lines if len(set(line.get_xdata())) == 1 and line.get_xdata()[0] != 0)
    assert means == pytest.approx([0.2, (0.8 + 0.9) / 3])
    with pytest.raises(EvalcorrError, match="no cell"):
        cfig.seed_strip(per_seed.iloc[:0])


def test_formatters_for_small_cells():
    assert points(0.127) == "13" and points(-0.004) == "0" and points(np.nan) == ""
    assert short(0.63) == ".6" and short(-0.05) == "-.1" and short(-8.14) == "-8" and short(24.3) == "24"
    assert short(-0.96) == "-1" and short(np.nan) == ""


def test_scale_grid_records_panels_in_reading_order_and_heatmap_row_takes_marks():
    m = pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"])
    fig = scale_grid({"s": {"headroom": m, "logodds": 2 * m}, "l": {"headroom": m, "logodds": m}},
                     fmts={"logodds": short})
    keys = [p.key for p in fig._evalcorr_panels]
    assert keys == [("s", "headroom"), ("s", "logodds"), ("l", "headroom"), ("l", "logodds")]
    logodds = fig._evalcorr_panels[1]
    assert logodds.meta["annotations"] == ["2", "0", "0", "2"]
    row = heatmap_row({"s": m, "l": m}, marks={"l": m > 0.5}, fmt=points)
    panels = row._evalcorr_panels
    assert [p.key for p in panels] == ["s", "l"]
    assert "marked" not in panels[0].data and panels[1].data["marked"].tolist() == [True, False, False, True]
    assert panels[0].meta["annotations"] == ["100", "0", "0", "100"]


def test_heatmap_row_names_shared_rows_once_and_different_rows_on_every_panel():
    m = pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"])

    def row_names(fig):
        heatmaps = [ax for ax in fig.axes if ax.get_title()]      # the colour bars have no title
        return [[t.get_text() for t in ax.get_yticklabels() if t.get_visible()] for ax in heatmaps]

    assert row_names(heatmap_row({"s": m, "l": m})) == [["a", "b"], []]
    flipped = m.loc[["b", "a"], ["b", "a"]]
    assert row_names(heatmap_row({"s": m, "l": flipped})) == [["a", "b"], ["b", "a"]]
