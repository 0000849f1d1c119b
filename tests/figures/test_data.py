"""Every figure records the numbers it draws (its data download), and they are the numbers of its input."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.figures import factors, signatures, transfer
from evalcorr.figures.correlation import clustered_heatmap, correlation_histogram, pair_scatter_grid
from evalcorr.figures.style import figure_data, figure_panels, subplots
from evalcorr.stats.clustering import cluster_order
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
from evalcorr.stats.factors import bootstrap_congruence, factor_loadings, parallel_analysis, scree


@pytest.fixture(scope="module")
def data():
    wide, family_of = latent_factor_matrix(n_models=90, missing=0.1, seed=2)
    families = pd.DataFrame({"task": family_of.index, "family": family_of.to_numpy(), "display": family_of.index})
    return wide, families, correlation_pairs(wide, families=families), correlation_matrix(wide)


def test_a_clustered_matrix_records_its_cells_in_drawing_order(data):
    wide, families, _, corr = data
    order = cluster_order(corr)
    cells = figure_data(clustered_heatmap(corr, families, order=order))
    assert list(cells.columns) == ["task_a", "task_b", "Pearson r"]
    assert list(cells["task_a"][:: len(order)]) == order
    assert np.allclose(cells["Pearson r"].to_numpy().reshape(len(order), -1), corr.loc[order, order].to_numpy())


def test_scatter_panels_hold_the_n_points_of_each_pair(data):
    wide, families, pairs, _ = data
    chosen = pairs.head(3)
    fig = pair_scatter_grid(wide, chosen, families)
    table = figure_data(fig)
    for (pair, points), row in zip(table.groupby("panel", sort=False), chosen.itertuples()):
        assert len(points) == row.n and pair.startswith(f"{row.task_a} vs {row.task_b}")
        assert np.allclose(points["x"], wide.loc[points["model"], row.task_a])


def test_histogram_counts_every_pair_once(data):
    _, _, pairs, _ = data
    table = figure_data(correlation_histogram(pairs))
    assert table["pairs"].sum() == pairs["r"].notna().sum()
    within = table[table["panel"] == "within a family"]
    assert within["median"].iloc[0] == pytest.approx(pairs.loc[pairs["same_family"], "r"].median())


def test_transfer_figures_record_cells_marks_keys_and_merges():
    rng = np.random.default_rng(0)
    tasks = ["a", "b", "c", "d"]
    matrix = pd.DataFrame(rng.normal(size=(4, 4)), index=tasks, columns=tasks)
    marks = matrix.abs() < 0.5
    grid = transfer.view_grid({"raw": matrix.abs() / 3, "after": matrix.abs() / 3, "pp": matrix, "relative": matrix},
                              marks={"pp": marks})
    panels = figure_panels(grid)
    assert [p.key for p in panels] == ["raw", "after", "pp", "relative"]
    assert np.array_equal(panels[2].data["marked"].to_numpy().reshape(4, 4), marks.to_numpy())
    assert panels[0].meta["diverging"] is False and panels[2].meta["vmin"] == -panels[2].meta["vmax"]
    sim = pd.DataFrame(np.abs(rng.normal(size=(4, 4))), index=tasks, columns=tasks)
    sim = (sim + sim.T) / 2
    merges = figure_data(transfer.dendrogram_pair({"one": sim}))
    assert len(merges) == 3 and set(merges["joins"]).union(merges["with"]) >= set(tasks)
    scores = pd.DataFrame(rng.normal(size=(4, 2)), index=tasks, columns=["PC1", "PC2"])
    biplot = figure_data(transfer.biplot(scores, scores * 0.1))
    assert len(biplot) == 8 and np.allclose(biplot.loc[:3, "PC1"], scores["PC1"])


def test_factor_and_signature_figures_record_their_numbers(data):
    wide, families, pairs, _ = data
    complete = wide.dropna()
    table = scree(complete)
    fig = factors.scree_plot(table, parallel_analysis(complete, n_iter=20, seed=0).table)
    shown = figure_data(fig)
    assert np.allclose(shown["variance_percent"], 100 * table["variance_ratio"].head(len(shown)))
    loadings = factor_loadings(complete, 2)
    cells = figure_data(factors.loadings_heatmap(loadings, families))
    assert len(cells) == loadings.size and np.isclose(cells["loading"].abs().sum(), loadings.abs().to_numpy().sum())
    boot = bootstrap_congruence(complete, 2, n_boot=5, seed=0)
    assert len(figure_data(factors.congruence_plot(boot))) == len(boot)
    overlap = pairs.assign(jaccard=0.5)
    assert len(figure_data(signatures.overlap_scatter(overlap))) == len(pairs)


def test_a_figure_drawn_by_hand_has_no_data():
    fig, ax = subplots()
    ax.plot([1, 2])
    with pytest.raises(EvalcorrError, match="records no data"):
        figure_data(fig)
