"""Tests of evalcorr.stats.overlap: signature overlap by hand, agreement against scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu, spearmanr

from evalcorr.errors import EvalcorrError
from evalcorr.stats.overlap import (
    closed_signature, overlap_by_family, overlap_rank_agreement, overlap_three_ways, signature_overlap,
)
from evalcorr.stats.signatures import SignatureResult, signatures


def fake(target, betas):
    """A SignatureResult with the given selected features and standardised coefficients."""
    features = list(betas)
    return SignatureResult(
        target=target, selected=features,
        steps=pd.DataFrame({"step": range(len(features) + 1), "feature": ["", *features],
                            "cv_r2": np.linspace(0, 0.5, len(features) + 1), "cv_r2_gain": np.nan}),
        coefficients=pd.DataFrame({"feature": features, "coef": list(betas.values()), "beta": list(betas.values())}),
        intercept=0.0, r2=0.5, n=100, n_dropped=0, cv=5, seed=0, stop="cv-r2-gain", min_gain=0.005,
        max_features=10)


def test_closed_signature_weights():
    weights = closed_signature(fake("a", {"b": -0.5, "c": 0.5}))
    assert weights.to_dict() == {"a": 0.5, "b": 0.25, "c": 0.25}


def test_signature_overlap_by_hand():
    results = {
        "a": fake("a", {"b": 0.9}),
        "b": fake("b", {"a": 0.9}),
        "c": fake("c", {"x": 1.0}),
    }
    table = signature_overlap(results).set_index(["task_a", "task_b"])
    # a and b are each other's predictor: the closed sets are equal
    assert table.loc[("a", "b"), "jaccard"] == pytest.approx(1.0)
    assert table.loc[("a", "b"), "shared_weight"] == pytest.approx(1.8 / 2.0)
    # a = {a, b}, c = {c, x}: nothing shared
    assert table.loc[("a", "c"), "jaccard"] == 0.0
    assert table.loc[("a", "c"), "shared_weight"] == 0.0
    partial = signature_overlap({"p": fake("p", {"x": 1.0}), "q": fake("q", {"x": 1.0, "y": 2.0})})
    # p = {p: .5, x: .5}; q = {q: .25, x: .25, y: .5}; union {p, q, x, y}
    assert partial["jaccard"].iloc[0] == pytest.approx(1 / 4)
    assert partial["shared_weight"].iloc[0] == pytest.approx(0.25 / (0.5 + 0.25 + 0.5 + 0.5))


def pairs_table():
    return pd.DataFrame({
        "task_b": ["b", "c", "c"], "task_a": ["a", "a", "b"],  # order of columns and of a/b is free
        "family_a": ["F", "F", "F"], "family_b": ["F", "G", "G"], "same_family": [True, False, False],
        "r": [0.9, 0.2, 0.3], "n": [100, 100, 100],
    })


def test_overlap_three_ways_merges_unordered_pairs():
    results = {"a": fake("a", {"b": 0.9}), "b": fake("b", {"a": 0.9}), "c": fake("c", {"a": 1.0})}
    pairs = pairs_table()
    pairs.loc[2, ["task_a", "task_b"]] = ["c", "b"]  # reversed order still matches
    table = overlap_three_ways(pairs, results).set_index(["task_a", "task_b"])
    assert len(table) == 3
    assert table.loc[("a", "b"), "jaccard"] == pytest.approx(1.0)
    assert table.loc[("a", "c"), "jaccard"] == pytest.approx(1 / 3)
    assert table.loc[("c", "b"), "r"] == 0.3
    with pytest.raises(EvalcorrError, match="lacks columns"):
        overlap_three_ways(pairs.drop(columns="same_family"), results)


def test_agreement_against_scipy():
    rng = np.random.default_rng(0)
    n = 60
    table = pd.DataFrame({
        "same_family": rng.random(n) < 0.3,
        "r": rng.random(n), "jaccard": rng.random(n), "shared_weight": rng.random(n),
    })
    table.loc[table["same_family"], "r"] += 0.8
    by_family = overlap_by_family(table).set_index("measure")
    within, between = table.loc[table.same_family, "r"], table.loc[~table.same_family, "r"]
    assert by_family.loc["r", "within"] == pytest.approx(within.mean())
    assert by_family.loc["r", "difference"] == pytest.approx(within.mean() - between.mean())
    u = mannwhitneyu(within, between)
    assert by_family.loc["r", "auc"] == pytest.approx(u.statistic / (len(within) * len(between)))
    assert by_family.loc["r", "p"] == pytest.approx(u.pvalue)
    assert by_family.loc["r", "auc"] > 0.8 > by_family.loc["jaccard", "auc"]
    ranks = overlap_rank_agreement(table).set_index(["measure_a", "measure_b"])
    rho, p = spearmanr(table["r"], table["jaccard"])
    assert ranks.loc[("r", "jaccard"), "rho"] == pytest.approx(rho)
    assert ranks.loc[("r", "jaccard"), "p"] == pytest.approx(p)
    with pytest.raises(EvalcorrError, match="within and between"):
        overlap_by_family(table.assign(same_family=True))


def test_blocks_agree_across_the_three_views():
    """Two families of tasks, each driven by its own factor: all three views put the blocks together."""
    rng = np.random.default_rng(3)
    n = 600
    f, g = rng.normal(size=(2, n))
    columns = {}
    for i in range(4):
        columns[f"f{i}"] = f + rng.normal(scale=0.6, size=n)
        columns[f"g{i}"] = g + rng.normal(scale=0.6, size=n)
    wide = pd.DataFrame(columns)
    results = signatures(wide, max_features=3)
    families = pd.Series({c: c[0] for c in wide.columns})
    from itertools import combinations
    pairs = pd.DataFrame([(a, b, families[a], families[b], families[a] == families[b],
                           np.corrcoef(wide[a], wide[b])[0, 1]) for a, b in combinations(wide.columns, 2)],
                         columns=["task_a", "task_b", "family_a", "family_b", "same_family", "r"])
    table = overlap_three_ways(pairs, results)
    by_family = overlap_by_family(table).set_index("measure")
    assert (by_family["auc"] == 1.0).all()
    assert (by_family["difference"] > 0.3).all()
    assert (overlap_rank_agreement(table)["rho"] > 0.5).all()
