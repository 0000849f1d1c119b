"""The linked matrix shows the static figure's matrix, the pairs' intervals and n, and the scatter's points."""

import base64

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.figures.correlation import clustered_heatmap
from evalcorr.figures.transfer import heatmap_row
from evalcorr.site.linked import linked_matrix
from evalcorr.stats.clustering import cluster_order
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs


def _decode(array):
    return np.frombuffer(base64.b64decode(array["b64"]), dtype="<" + array["dtype"]).reshape(array["shape"])


@pytest.fixture(scope="module")
def data():
    wide, family_of = latent_factor_matrix(n_models=80, missing=0.15, seed=1)
    families = pd.DataFrame({"task": family_of.index, "family": family_of.to_numpy(),
                             "display": [t.upper() for t in family_of.index]})
    return wide, families, correlation_pairs(wide, families=families), correlation_matrix(wide)


def test_the_matrix_order_names_and_values_are_the_static_figures(data):
    wide, families, pairs, corr = data
    order = cluster_order(corr)
    spec = linked_matrix(clustered_heatmap(corr, families, order=order), wide, pairs, name="fig-m").spec["panels"][0]
    assert spec["tasks"] == order and spec["names"] == [t.upper() for t in order]
    assert spec["groups"] == [families.set_index("task").loc[t, "family"] for t in order]
    r = _decode(spec["r"])
    assert np.allclose(r, corr.loc[order, order].to_numpy(), atol=1e-6)  # float32
    n = _decode(spec["n"])
    for row in pairs.itertuples():
        i, j = order.index(row.task_a), order.index(row.task_b)
        assert n[i, j] == n[j, i] == row.n
        assert _decode(spec["lo"])[i, j] == pytest.approx(row.ci_low, abs=1e-6)
    # the scatter of a pair has n points: the units with both scores
    scores = _decode(spec["scores"])
    assert scores.shape == (len(order), len(spec["units"]))
    i, j = order.index("a_0"), order.index("c_2")
    both = np.isfinite(scores[i]) & np.isfinite(scores[j])
    assert both.sum() == n[i, j] == wide[["a_0", "c_2"]].dropna().shape[0]
    # the initial pair is the most correlated one
    a, b = spec["initial"]
    assert r[a, b] == np.max(np.where(np.eye(len(order), dtype=bool), -np.inf, r))


def test_downloads_hold_the_cells_and_the_points(data):
    wide, families, pairs, corr = data
    figure = linked_matrix(clustered_heatmap(corr, families), wide, pairs, name="fig-m")
    (_, _, cells, _), (part, _, points, index) = figure.downloads
    assert part == "scores" and index
    merged = cells.merge(pairs, on=["task_a", "task_b"], suffixes=("", "_pairs"))
    assert len(merged) == len(pairs) and np.allclose(merged["r"], merged["r_pairs"])
    assert (merged["n"] == merged["n_pairs"]).all()
    assert points.shape == wide.shape and points.index.name == "model"


def test_pairs_that_disagree_with_the_matrix_or_the_scores_are_refused(data):
    wide, families, pairs, corr = data
    static = clustered_heatmap(corr, families)
    wrong_r = pairs.assign(r=pairs["r"] + 0.01)
    with pytest.raises(EvalcorrError, match="pairs table gives r"):
        linked_matrix(static, wide, wrong_r, name="fig-m")
    with pytest.raises(EvalcorrError, match="models have scores on both"):
        linked_matrix(static, wide.iloc[:40], pairs, name="fig-m")
    with pytest.raises(EvalcorrError, match="not columns of `scores`"):
        linked_matrix(static, wide.drop(columns="a_0"), pairs, name="fig-m")
    with pytest.raises(EvalcorrError, match="initial pair"):
        linked_matrix(static, wide, pairs, name="fig-m", initial=("a_0", "zz"))
    with pytest.raises(EvalcorrError, match="1 matrix panel"):
        linked_matrix(static, [wide, wide], [pairs, pairs], name="fig-m")


def test_one_linked_view_per_panel_of_a_heatmap_row(data):
    wide, families, pairs, corr = data
    other = wide.iloc[:50]
    static = heatmap_row({"all": corr, "first 50": correlation_matrix(other)}, annotate=False)
    figure = linked_matrix(static, [wide, other], [pairs, correlation_pairs(other)], name="fig-two", unit="run")
    assert [p["title"] for p in figure.spec["panels"]] == ["all", "first 50"]
    assert [d[0] for d in figure.downloads] == ["all", "all-scores", "first-50", "first-50-scores"]
    assert "one point per run" in figure.description
