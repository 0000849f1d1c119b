"""Tests of evalcorr.figures.factors: the figures draw what the tables hold."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evalcorr.errors import EvalcorrError  # noqa: E402
from evalcorr.figures.factors import congruence_plot, loadings_heatmap, scree_plot  # noqa: E402
from evalcorr.stats.factors import bootstrap_congruence, factor_loadings, parallel_analysis, scree  # noqa: E402


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(0)
    n = 300
    f, g = rng.normal(size=(2, n))
    data = {f"a{i}": f + rng.normal(scale=0.7, size=n) for i in range(4)}
    data |= {f"b{i}": g + rng.normal(scale=0.7, size=n) for i in range(3)}
    return pd.DataFrame(data)


@pytest.fixture(scope="module")
def families():
    return pd.DataFrame({"task": [f"a{i}" for i in range(4)] + [f"b{i}" for i in range(3)],
                         "family": ["A"] * 4 + ["B"] * 3,
                         "display": [f"task A{i}" for i in range(4)] + [f"task B{i}" for i in range(3)]})


def test_scree_plot_bars_are_the_variance_shares_and_retained_ones_are_coloured(wide, tmp_path):
    table = scree(wide)
    pa = parallel_analysis(wide, n_iter=30)
    fig = scree_plot(table, pa.table, n_show=5)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, 100 * table["variance_ratio"].head(5))
    colours = {p.get_facecolor() for p in ax.patches[: pa.n_factors]}
    assert len(colours) == 1 and ax.patches[pa.n_factors].get_facecolor() not in colours
    threshold = ax.lines[0].get_ydata()
    np.testing.assert_allclose(threshold, 100 * pa.table["random_quantile"].head(5) / table["eigenvalue"].sum())
    fig.savefig(tmp_path / "scree.png")
    assert (tmp_path / "scree.png").stat().st_size > 1000
    plt.close(fig)


def test_scree_plot_rejects_a_wrong_table():
    with pytest.raises(EvalcorrError, match="missing column"):
        scree_plot(pd.DataFrame({"x": [1]}))


def test_loadings_heatmap_groups_by_family_with_display_names(wide, families, tmp_path):
    loadings = factor_loadings(wide[["b0", "a0", "b1", "a1", "a2", "b2", "a3"]], 2)
    fig = loadings_heatmap(loadings, families, title="toy")
    heat = fig.axes[0]
    image = heat.images[0]
    assert image.get_array().shape == (7, 2)
    assert image.norm.vmin == -1 and image.norm.vmax == 1  # centred at 0
    bar = next(a for a in heat.child_axes if a.get_label() == "family-bar")
    labels = [t.get_text() for t in bar.get_yticklabels()]
    assert labels[:3] == ["task B0", "task B1", "task B2"]  # first family first, display names
    assert sorted(labels[3:]) == [f"task A{i}" for i in range(4)]
    np.testing.assert_allclose(image.get_array()[0], loadings.loc["b0"])
    fig.savefig(tmp_path / "loadings.png")
    plt.close(fig)
    with pytest.raises(EvalcorrError, match="no family"):
        loadings_heatmap(loadings.rename(index={"a0": "zz"}), families)


def test_congruence_plot_one_box_per_group_and_factor(wide):
    boot = pd.concat([bootstrap_congruence(wide, 2, n_boot=10).assign(source=s) for s in ("X", "Y")])
    fig = congruence_plot(boot, group="source")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["X\nF1", "X\nF2", "Y\nF1", "Y\nF2"]
    assert ax.get_ylim()[1] == pytest.approx(1.005)
    plt.close(fig)
    with pytest.raises(EvalcorrError, match="missing column"):
        congruence_plot(boot, group="nope")
