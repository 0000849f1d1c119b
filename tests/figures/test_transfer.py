"""Tests of evalcorr.figures.transfer: annotated heatmaps that show the released numbers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evalcorr.figures.style import CellLabels  # noqa: E402
from evalcorr.figures.transfer import (asymmetry_heatmap, biplot, compact, dendrogram_pair,  # noqa: E402
                                       heatmap, loadings_heatmap, similarity_dendrogram, view_grid)
from evalcorr.stats.latent import transfer_pca  # noqa: E402
from evalcorr.stats.transfer import asymmetry, similarity  # noqa: E402

TASKS = ["addition", "subtraction", "spanish", "division"]


@pytest.fixture
def pp():
    values = np.array([[0.27, 0.12, 0.0, 0.32], [0.04, 0.36, 0.0, 0.12], [0.0, 0.01, 0.11, -0.01],
                       [0.08, 0.10, 0.0, 0.60]])
    return pd.DataFrame(values, index=TASKS, columns=TASKS)


def _texts(ax):
    """The cell labels of a heatmap's axes, row by row."""
    return [label for t in ax.texts if isinstance(t, CellLabels) for label in t.labels()]


def test_compact_labels():
    assert compact(0.27) == ".27"
    assert compact(-0.05) == "-.05"
    assert compact(1.0) == "1.00"
    assert compact(0.0) == "0" and compact(-0.001) == "0"
    assert compact(np.nan) == ""


def test_heatmap_annotates_every_cell_and_centres_the_diverging_scale(pp):
    fig = heatmap(pp)
    ax = fig.axes[0]
    assert _texts(ax) == [compact(v) for v in pp.to_numpy().ravel()]
    image = ax.images[0]
    assert image.norm.vmin == -image.norm.vmax == pytest.approx(-0.60)
    assert image.norm(0.0) == pytest.approx(0.5)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["addition", "subtraction", "Spanish", "division"]
    assert ax.get_ylabel() == "trained on" and ax.get_xlabel() == "evaluated on"


def test_accuracy_heatmap_is_sequential_from_zero(pp):
    fig = heatmap(pp.abs(), diverging=False, limit=1.0)
    norm = fig.axes[0].images[0].norm
    assert (norm.vmin, norm.vmax) == (0.0, 1.0)


def test_nan_cells_stay_blank(pp):
    with_gap = pp.copy()
    with_gap.iloc[0, 0] = np.nan
    fig = heatmap(with_gap)
    assert len(_texts(fig.axes[0])) == 15


def test_view_grid_has_four_titled_panels(pp):
    fig = view_grid({"raw": pp.abs(), "after": pp.abs(), "pp": pp, "relative": pp * 3})
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 4 and titles[2].startswith("improvement")
    assert fig.axes[0].images[0].norm.vmax == 1.0


def test_asymmetry_dendrogram_and_loadings_figures(pp, tmp_path):
    fig = asymmetry_heatmap(asymmetry(pp))
    assert fig.axes[0].images[0].norm(0.0) == pytest.approx(0.5)
    fig = similarity_dendrogram(similarity(pp))
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} == {"addition", "subtraction", "Spanish",
                                                                     "division"}
    dendrogram_pair({"one": similarity(pp), "two": similarity(pp.T)}).savefig(tmp_path / "d.png")
    result = transfer_pca(pp)
    fig = loadings_heatmap(result.loadings.iloc[:, :2])
    assert len(_texts(fig.axes[0])) == 8
    fig = biplot(result.scores, result.loadings)
    fig.savefig(tmp_path / "b.png")
    assert (tmp_path / "b.png").stat().st_size > 1000


def test_annotate_min_keeps_only_notable_cells(pp):
    fig = heatmap(pp, annotate_min=0.1)
    assert sorted(_texts(fig.axes[0])) == sorted(compact(v) for v in pp.to_numpy().ravel() if abs(v) >= 0.1)


def test_unlabelled_columns(pp):
    ax = heatmap(pp, xticklabels=False).axes[0]
    assert list(ax.get_xticks()) == []
    assert len(ax.get_yticklabels()) == 4


def test_small_multiples_share_one_clipped_scale(pp):
    from evalcorr.figures.transfer import small_multiples

    fig = small_multiples({"a": pp, "b": -pp, "c": pp * 2}, ncols=2, limit=0.5)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.images]
    assert [ax.get_title() for ax in panels] == ["a", "b", "c"]
    assert all(ax.images[0].norm.vmax == 0.5 and ax.images[0].norm(0.0) == 0.5 for ax in panels)
    assert sum(not ax.get_visible() for ax in fig.axes) == 1


def test_heatmap_hatches_the_marked_cells(pp):
    mark = pp.abs() < 0.05
    fig = heatmap(pp, mark=mark)
    hatched = [c for c in fig.axes[0].collections if c.get_hatch()]
    assert len(hatched) == 1                                    # one artist for every marked cell
    cells = hatched[0].get_paths()
    assert len(cells) == int(mark.to_numpy().sum())
    corners = {tuple(np.round(path.vertices.min(axis=0) + 0.5).astype(int)) for path in cells}
    assert corners == {(j, i) for i, j in zip(*np.nonzero(mark.to_numpy()))}
    assert all(np.allclose(np.ptp(path.vertices, axis=0), 1.0) for path in cells)   # whole cells
    assert _texts(fig.axes[0]).count(".12") == 2               # annotations stay


def test_scale_grid_shares_one_limit_per_scale(pp):
    from evalcorr.figures.transfer import scale_grid

    fig = scale_grid({"Babbage": {"headroom": pp, "logodds": 3 * pp},
                      "Davinci": {"headroom": pp / 2, "logodds": pp}},
                     marks={"Babbage": {"headroom": pp < 0.05}})
    heat = [ax for ax in fig.axes if ax.images]
    assert len(heat) == 4
    limits = [ax.images[0].norm.vmax for ax in heat]
    assert limits[0] == limits[2] == pytest.approx(0.6) and limits[1] == limits[3] == pytest.approx(1.8)
    assert "Babbage: share of the baseline's headroom closed" == heat[0].get_title()
