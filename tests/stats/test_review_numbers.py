"""The numbers of the independent statistical review (issue 13), recomputed by the package on the real data.

The review recomputed them from the raw mirror without evalcorr; these tests pin the package to them
(to the review's rounding).
"""

import numpy as np
import pandas as pd
import pytest

import evalcorr
from evalcorr.stats.clustering import agreement_over_k
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.cross_source import correlations_with
from evalcorr.stats.lineage import lineage_groups
from evalcorr.stats.nearest import eigen_check
from evalcorr.stats.partial import block_survival
from evalcorr.stats.robustness import model_metadata
from evalcorr.stats.uncertainty import interval_comparison

SOURCE = "open-llm-leaderboard-v2"


@pytest.fixture(scope="module")
def leaderboard():
    wide = evalcorr.load_wide(SOURCE)
    return wide, evalcorr.load_wide(SOURCE, min_models=len(wide) // 2), evalcorr.load_families(SOURCE)


def test_block_survival_under_each_control(leaderboard):
    _, dense, families = leaderboard
    table = block_survival(dense, families, {"pc1": "pc1", "mmlu": "task:mmlu_pro", "fm": "family-means",
                                             "rest": "pc1-excluding:{family}"})
    kept = table.pivot(index="control", columns="family", values="kept")
    assert kept.loc["pc1", "BBH"] == pytest.approx(0.10, abs=0.005)
    assert kept.loc["mmlu", "BBH"] == pytest.approx(0.20, abs=0.005)
    assert kept.loc["fm", "BBH"] == pytest.approx(0.28, abs=0.005)
    assert kept.loc["rest", "BBH"] == pytest.approx(0.65, abs=0.005)
    assert kept.loc[["pc1", "mmlu", "fm", "rest"], "MATH"].between(0.85, 1.0).all()      # "about 90%"
    overall = table[table["family"] == "all"].set_index("control")["difference"]
    assert overall["none"] == pytest.approx(0.13, abs=0.005) and overall["pc1"] == pytest.approx(0.24, abs=0.005)


def test_the_pairwise_matrix_is_not_a_correlation_matrix_and_ari_swings_with_k(leaderboard):
    wide, dense, families = leaderboard
    assert eigen_check(correlation_matrix(wide))["smallest"] == pytest.approx(-0.27, abs=0.005)
    ari = agreement_over_k(correlation_matrix(dense), families, ks=range(5, 10))["ari"]
    np.testing.assert_allclose(ari, [0.06, 0.49, 0.55, 0.46, 0.52], atol=0.005)


def test_cluster_intervals_are_about_four_times_the_naive_ones(leaderboard):
    wide, _, families = leaderboard
    groups = lineage_groups(model_metadata(evalcorr.load_scores(SOURCE)), wide, "architecture-size")
    assert groups.value_counts().max() == 489
    summary = interval_comparison(wide, families, {"arch": groups}, n_boot=300).summary.set_index("grouping")
    assert 3.5 < summary.loc["arch", "width_ratio"] < 5.5


def test_abstract_algebra_against_helm_lite():
    mmlu, lite = evalcorr.load_wide("helm-mmlu"), evalcorr.load_wide("helm-lite")
    assert len(mmlu.index.intersection(lite.index)) == 72
    table = correlations_with(mmlu, lite[["math", "gsm8k"]])
    aa = table[table["task"] == "abstract_algebra"].set_index("measure")
    assert aa.loc["math", "r"] == pytest.approx(0.72, abs=0.005)
    assert aa.loc["math", "r"] > table.loc[table["measure"] == "math", "r"].median()
    assert aa.loc["gsm8k", "r"] == pytest.approx(0.62, abs=0.005)
    assert aa.loc["gsm8k", "rank_from_bottom"] == 8 and aa.loc["gsm8k", "n_tasks"] == 57


def test_usable_parameter_counts():
    params = evalcorr.load_scores(SOURCE).drop_duplicates("model").set_index("model")["params_b"]
    assert params.notna().sum() == 1858 and (params > 0).sum() == 1855
    assert sorted(params[params <= 0]) == [-1.0, 0.0, 0.0]
