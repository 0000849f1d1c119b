"""Tests of evalcorr.figures.signatures: the figures draw what the tables hold."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evalcorr.errors import EvalcorrError  # noqa: E402
from evalcorr.figures.signatures import coefficient_heatmap, cv_r2_plot, overlap_scatter  # noqa: E402
from evalcorr.stats.overlap import overlap_three_ways  # noqa: E402
from evalcorr.stats.signatures import signature_summary, signature_table, signatures  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 400
    f, g = rng.normal(size=(2, n))
    wide = pd.DataFrame({"b0": g + rng.normal(scale=0.5, size=n), "a0": f + rng.normal(scale=0.5, size=n),
                         "a1": f + rng.normal(scale=0.5, size=n), "b1": g + rng.normal(scale=0.5, size=n),
                         "a2": f + rng.normal(scale=0.5, size=n)})
    families = pd.DataFrame({"task": ["a0", "a1", "a2", "b0", "b1"], "family": ["A"] * 3 + ["B"] * 2,
                             "display": ["A zero", "A one", "A two", "B zero", "B one"]})
    meta = pd.DataFrame({"log10_params_b": f + rng.normal(scale=0.3, size=n)})
    results = signatures(wide, features="tasks+metadata", metadata=meta, max_features=2)
    return wide, families, results


def test_coefficient_heatmap_cells_are_the_standardised_coefficients(data, tmp_path):
    wide, families, results = data
    table = signature_table(results)
    fig = coefficient_heatmap(table, families)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    image = ax.images[0].get_array()
    rows = [t.get_text() for t in next(a for a in ax.child_axes if a.get_label() == "target-families").get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    # targets grouped by family in order of first appearance (B first: b0 is the first column)
    assert rows == ["B zero", "B one", "A zero", "A one", "A two"]
    assert cols[-1] == "log10_params_b" or "log10_params_b" not in table["feature"].tolist()
    name_of = dict(zip(families["display"], families["task"]))
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            selected = table[(table["target"] == name_of[row]) & (table["feature"] == name_of.get(col, col))]
            if len(selected):
                assert image[i, j] == pytest.approx(selected["beta"].iloc[0])
            else:
                assert np.ma.is_masked(image[i, j]) or np.isnan(image[i, j])
    norm = ax.images[0].norm
    assert norm.vmin == -norm.vmax  # centred at 0
    fig.savefig(tmp_path / "coef.png")
    plt.close(fig)
    with pytest.raises(EvalcorrError, match="missing column"):
        coefficient_heatmap(table.drop(columns="beta"), families)


def test_cv_r2_plot_one_series_per_feature_set(data):
    wide, families, results = data
    only_tasks = signatures(wide, max_features=1)
    summaries = {"tasks + metadata": signature_summary(results), "tasks": signature_summary(only_tasks)}
    fig = cv_r2_plot(summaries, families)
    ax = fig.axes[0]
    assert len(ax.collections) == 2
    offsets = ax.collections[1].get_offsets()
    np.testing.assert_allclose(np.sort(offsets[:, 0]), np.sort(summaries["tasks"]["cv_r2"]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(summaries)
    plt.close(fig)
    with pytest.raises(EvalcorrError, match="at least one"):
        cv_r2_plot({}, families)


def test_overlap_scatter_colours_pairs_by_family(data):
    wide, families, results = data
    from itertools import combinations
    fam = families.set_index("task")["family"]
    pairs = pd.DataFrame([(a, b, fam[a], fam[b], fam[a] == fam[b], wide[a].corr(wide[b]))
                          for a, b in combinations(wide.columns, 2)],
                         columns=["task_a", "task_b", "family_a", "family_b", "same_family", "r"])
    table = overlap_three_ways(pairs, results)
    fig = overlap_scatter(table)
    ax = fig.axes[0]
    between, within = ax.collections
    assert len(within.get_offsets()) == int(table["same_family"].sum())
    assert len(between.get_offsets()) == int((~table["same_family"].astype(bool)).sum())
    assert ax.get_xlabel().startswith("performance correlation")
    plt.close(fig)
