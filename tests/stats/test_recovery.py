"""Recovery scores against hand-computed values, closed forms and planted structure."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu
from sklearn.metrics import adjusted_rand_score

from evalcorr.stats import recovery as R

TASKS = list("abcdef")
USES = pd.DataFrame({"p": [1, 1, 1, 0, 0, 0], "q": [0, 0, 0, 1, 1, 0], "s": [0, 0, 0, 0, 0, 1]}, index=TASKS)


def _corr(values, tasks=TASKS):
    m = np.array(values, dtype=float)
    return pd.DataFrame(m, index=tasks, columns=tasks)


def _random_corr(seed, k=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, k)) @ rng.normal(size=(k, k))
    return pd.DataFrame(np.corrcoef(x.T), index=TASKS[:k], columns=TASKS[:k])


def test_uses_table_keeps_real_tasks_in_order():
    truth = pd.DataFrame({"task": ["x", "y", "z"], "surface": ["w", "w", "a"], "control": ["", "", "copy"],
                          "control_of": ["", "", "x"], "template": [""] * 3, "description": [""] * 3,
                          "c1": [1, 0, 1], "c2": [0, 1, 0]})
    assert R.uses_table(truth).index.tolist() == ["x", "y"]
    assert R.uses_table(truth, ["y", "z"]).to_dict("list") == {"c1": [0, 1], "c2": [1, 0]}
    with pytest.raises(R.RecoveryError, match="not in the ground-truth"):
        R.uses_table(truth, ["nope"])


def test_pair_auc_is_the_mann_whitney_probability():
    corr = _random_corr(1)
    upper = np.triu(np.ones((6, 6), bool), 1)
    shared = R.shared_pairs(USES).to_numpy()
    inside, outside = corr.to_numpy()[upper & shared], corr.to_numpy()[upper & ~shared]
    u = mannwhitneyu(inside, outside).statistic
    assert R.pair_auc(corr, USES) == pytest.approx(u / (len(inside) * len(outside)))
    assert len(inside) == 3 + 1            # (a,b), (a,c), (b,c) share p; (d,e) share q


def test_pair_auc_needs_both_kinds_of_pair():
    uses = pd.DataFrame({"p": [1, 1, 1]}, index=list("abc"))
    with pytest.raises(R.RecoveryError, match="share none"):
        R.pair_auc(_corr(np.eye(3), list("abc")), uses)


def test_cluster_ari_against_sklearn():
    blocks = np.full((6, 6), 0.1)
    blocks[:3, :3] = blocks[3:5, 3:5] = 0.8
    np.fill_diagonal(blocks, 1.0)
    assert R.cluster_ari(_corr(blocks), USES) == pytest.approx(1.0)
    corr = _random_corr(3)
    from evalcorr.stats.clustering import cluster_labels
    labels = cluster_labels(corr, 3)
    groups = R.single_primitive(USES)
    assert R.cluster_ari(corr, USES) == pytest.approx(adjusted_rand_score(groups, labels.loc[groups.index]))


def test_single_primitive_leaves_out_composite_tasks():
    uses = pd.DataFrame({"p": [1, 1, 0], "q": [0, 1, 1]}, index=list("abc"))
    assert R.single_primitive(uses).to_dict() == {"a": "p", "c": "q"}


def test_category_means_by_hand():
    uses = pd.DataFrame({"p": [1, 1, 0, 0]}, index=list("abcd"))
    surface = pd.Series({"a": "x", "b": "y", "c": "x", "d": "y"})
    corr = _corr([[1, .6, .5, .1], [.6, 1, .2, .3], [.5, .2, 1, .4], [.1, .3, .4, 1]], list("abcd"))
    means = R.category_means(corr, uses, surface)
    assert means["shared primitive"] == pytest.approx(0.6)              # (a, b)
    assert means["same surface only"] == pytest.approx((0.5 + 0.3) / 2)  # (a, c), (b, d)
    assert means["neither"] == pytest.approx((0.1 + 0.2 + 0.4) / 3)      # (a, d), (b, c), (c, d)
    assert means["surface block"] == pytest.approx(0.4 - 0.7 / 3)


def test_loading_congruence_by_hand_and_matching():
    uses = pd.DataFrame({"p": [1, 1, 0, 0], "q": [0, 0, 1, 1]}, index=list("abcd"))
    loadings = pd.DataFrame({"F1": [0, 0.5, 1, 1], "F2": [-1, -0.5, 0, -0.5]}, index=list("abcd"))
    table = R.loading_congruence(loadings, uses).set_index("primitive")
    # p matches F2 flipped: (1 + .5) / sqrt(2 * 1.5); q matches F1: 2 / sqrt(2 * 2.25)
    assert table.loc["p", "factor"] == "F2" and table.loc["q", "factor"] == "F1"
    assert table.loc["p", "congruence"] == pytest.approx(1.5 / np.sqrt(3.0))
    assert table.loc["q", "congruence"] == pytest.approx(2 / np.sqrt(4.5))
    one = R.loading_congruence(loadings[["F1"]], uses)
    assert one["congruence"].isna().sum() == 1
    assert R.mean_congruence(loadings[["F1"]], uses) == pytest.approx(2 / np.sqrt(4.5) / 2)


def test_permutation_null_matches_the_exact_share():
    """Two blocks of two tasks: 8 of the 24 relabellings keep the partition, so p is about 1/3."""
    uses = pd.DataFrame({"p": [1, 1, 0, 0], "q": [0, 0, 1, 1]}, index=list("abcd"))
    corr = _corr([[1, .9, .1, .1], [.9, 1, .1, .1], [.1, .1, 1, .9], [.1, .1, .9, 1]], list("abcd"))
    result = R.permutation_null(lambda u: R.pair_auc(corr, u), uses, n_perm=4000, seed=1)
    assert result["observed"] == 1.0
    assert result["p"] == pytest.approx(8 / 24, abs=0.03)


def test_cluster_bootstrap_counts_copies_once():
    """Each model repeated five times: resampling the copies as groups gives the original spread."""
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"x": rng.normal(size=60), "y": rng.normal(size=60)},
                        index=[f"m{i}" for i in range(60)])
    copies = pd.concat([base.set_axis([f"{m}-{c}" for m in base.index]) for c in range(5)])
    groups = pd.Series([m.split("-")[0] for m in copies.index], index=copies.index)
    mean_x = lambda w: {"mean": float(w["x"].mean())}
    plain = R.cluster_bootstrap(base, None, mean_x, n_boot=2000, seed=1).iloc[0]
    naive = R.cluster_bootstrap(copies, None, mean_x, n_boot=2000, seed=1).iloc[0]
    cluster = R.cluster_bootstrap(copies, groups, mean_x, n_boot=2000, seed=1).iloc[0]
    closed = base["x"].std(ddof=0) / np.sqrt(60)
    assert plain["se"] == pytest.approx(closed, rel=0.1)
    assert cluster["se"] == pytest.approx(closed, rel=0.1)
    assert naive["se"] == pytest.approx(closed / np.sqrt(5), rel=0.1)
    assert cluster["n_groups"] == 60 and cluster["ci_low"] < cluster["estimate"] < cluster["ci_high"]


def test_replicate_coverage_naive_intervals_miss_when_lineages_dominate():
    """Scores = a base model's task effects (shared by its fine-tunes) + small noise: within a
    leaderboard of few bases the naive intervals are far too narrow; resampling bases widens them."""
    rng = np.random.default_rng(5)
    tasks = ["t1", "t2", "t3", "t4"]
    rows, replicate, group = [], [], []
    for board in range(6):
        for base in range(6):
            effect = rng.normal(size=4)
            for k in range(10):
                rows.append(effect + 0.3 * rng.normal(size=4))
                replicate.append(board)
                group.append(f"{board}-{base}")
    index = [f"m{i}" for i in range(len(rows))]
    wide = pd.DataFrame(rows, index=index, columns=tasks)
    families = pd.Series({"t1": "A", "t2": "A", "t3": "B", "t4": "B"})
    coverage = R.replicate_coverage(wide, pd.Series(replicate, index), pd.Series(group, index), families,
                                    n_boot=200, min_periods=10)
    summary = R.coverage_summary(coverage).set_index("grouping")
    assert summary.loc["models (naive)", "n_intervals"] == 6 * 6
    assert summary.loc["models (naive)", "coverage"] < 0.7
    assert summary.loc["base model", "coverage"] > summary.loc["models (naive)", "coverage"] + 0.2
    assert summary.loc["base model", "median_width"] > 2 * summary.loc["models (naive)", "median_width"]


def test_factor_drivers_finds_the_planted_driver():
    rng = np.random.default_rng(2)
    driver, other = rng.normal(size=200), rng.normal(size=200)
    wide = pd.DataFrame({t: driver + 0.3 * rng.normal(size=200) for t in "abcd"})
    covariates = pd.DataFrame({"driver": driver, "other": other})
    table = R.factor_drivers(wide, covariates).set_index("predictors")
    assert table.loc["driver", "r2"] > 0.9 and table.loc["other", "r2"] < 0.05
    assert table.loc["driver + other", "r2"] >= table.loc["driver", "r2"]
    assert table["pc1_share"].nunique() == 1


def test_signature_recovery_by_hand():
    token_primitive = pd.Series({"a": "p", "b": "p", "c": "q", ".": "format"})
    uses = pd.DataFrame({"p": [1, 0], "q": [0, 1]}, index=["tp", "tq"])
    table = R.signature_recovery({"tp": ["a", "c"], "tq": ["c"]}, uses, token_primitive).set_index("task")
    assert table.loc["tp", "n_own"] == 1 and table.loc["tp", "own_share"] == 0.5
    assert table.loc["tp", "chance_share"] == 0.5 and table.loc["tq", "chance_share"] == 0.25
    assert table.loc["tp", "first_own"] and table.loc["tq", "first_own"]


def test_signature_null_exact_share():
    """One task picks one of two tokens: a random relabelling makes it its own half of the time."""
    token_primitive = pd.Series({"a": "p", "b": "q"})
    uses = pd.DataFrame({"p": [1], "q": [0]}, index=["tp"])
    result = R.signature_null({"tp": ["a"]}, uses, token_primitive, n_perm=4000, seed=0)
    assert result["observed"] == 1.0
    assert result["null_mean"] == pytest.approx(0.5, abs=0.03)
    assert result["p"] == pytest.approx(0.5, abs=0.03)


def test_signature_null_is_the_share_under_each_permutation_of_the_labels():
    """The null is the own share recomputed, by definition, under each shuffle of the token labels."""
    rng = np.random.default_rng(3)
    tokens = [f"t{i}" for i in range(12)]
    token_primitive = pd.Series(rng.choice(["p", "q", "r"], size=12), index=tokens)
    uses = pd.DataFrame({"p": [1, 0, 1], "q": [0, 1, 1], "r": [0, 0, 0]}, index=["ta", "tb", "tc"])
    selected = {"ta": ["t0", "t3", "t5"], "tb": ["t3", "t7"], "tc": ["t11"]}
    result = R.signature_null(selected, uses, token_primitive, n_perm=200, seed=5)

    def share(labels):
        hits = [labels[tokens.index(t)] in [p for p in uses.columns if uses.loc[task, p]]
                for task, chosen in selected.items() for t in chosen]
        return sum(hits) / len(hits)

    draws = np.random.default_rng(5)
    null = np.array([share(draws.permutation(token_primitive.to_numpy())) for _ in range(200)])
    expected = R.null_summary(share(token_primitive.to_numpy()), null)
    assert result == pytest.approx(expected, abs=0, rel=0)


def test_bootstrap_rows_keep_their_model_names():
    wide = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}, index=list("abcd"))
    seen = []

    def statistic(w):
        seen.append(list(w.index))
        return {"n": float(len(w))}

    R.cluster_bootstrap(wide, None, statistic, n_boot=20, seed=0)
    for labels in seen[1:]:
        assert len(set(labels)) == len(labels)                     # every row a model of its own
        assert {label.rsplit("#", 1)[0] for label in labels} <= set("abcd")
    assert R.aligned_to_rows(pd.Series({"a": 1.0, "b": 2.0}), pd.Index(["b#0", "a#1", "a"])).tolist() == [2.0, 1.0, 1.0]


def test_steps_effect_means_and_spearman():
    from scipy.stats import spearmanr

    from evalcorr.stats.method_recovery import steps_effect

    steps = pd.Series([25, 25, 50, 200, 200, 100], index=list("mnopqr"), name="steps")
    wide = pd.DataFrame({"up": [0.1, 0.2, 0.3, 0.8, 0.9, 0.5], "flat": [0.5, 0.4, 0.6, 0.5, 0.4, 0.6]}, index=steps.index)
    table = steps_effect(wide, steps.to_frame()).set_index("task")
    assert table.loc["up", "mean_low"] == pytest.approx(0.15) and table.loc["up", "mean_high"] == pytest.approx(0.85)
    assert table.loc["up", "rho"] == pytest.approx(spearmanr(steps, wide["up"]).statistic)
    assert table.loc["flat", "p"] == pytest.approx(spearmanr(steps, wide["flat"]).pvalue)
    assert (table["low_steps"] == 25).all() and (table["high_steps"] == 200).all()


def test_attainable_coverage_by_simulation():
    """Correct 95% intervals checked against a noisy truth cover it as often as the closed form says."""
    rng = np.random.default_rng(0)
    s, t = 0.08, 0.06
    estimate, truth = rng.normal(0, s, 200_000), rng.normal(0, t, 200_000)
    covered = np.abs(estimate - truth) <= 1.959964 * s
    assert R.attainable_coverage(2 * 1.959964 * s, t) == pytest.approx(covered.mean(), abs=0.005)
    assert R.attainable_coverage(0.3, 0.0) == pytest.approx(0.95)


def _relabelled_null(score, uses, n_perm, seed):
    """The null by definition: each permutation hands the truth rows to other task labels."""
    rng = np.random.default_rng(seed)
    return np.array([score(uses.set_axis(uses.index[rng.permutation(len(uses))], axis=0)) for _ in range(n_perm)])


@pytest.mark.parametrize("kind", ["auc", "ari", "congruence"])
def test_scorers_on_truth_arrays_give_the_relabelled_null(kind):
    corr = _random_corr(7)
    if kind == "auc":
        table_score, scorer = (lambda u: R.pair_auc(corr, u)), R.pair_auc_scorer(corr, USES)
    elif kind == "ari":
        from evalcorr.stats.clustering import cluster_labels
        labels = cluster_labels(corr, 3)
        table_score, scorer = (lambda u: R.labels_ari(labels, u)), R.labels_ari_scorer(labels, USES)
    else:
        loadings = pd.DataFrame(np.linalg.eigh(corr.to_numpy())[1][:, -2:], index=TASKS, columns=["F1", "F2"])
        table_score, scorer = (lambda u: R.mean_congruence(loadings, u)), R.mean_congruence_scorer(loadings, USES)
    expected = _relabelled_null(table_score, USES, 300, 5)
    result = R.permutation_null_rows(scorer, USES, n_perm=300, seed=5)
    assert result["observed"] == pytest.approx(table_score(USES), abs=1e-15)
    assert result["null_mean"] == pytest.approx(expected.mean(), abs=1e-12)
    assert result["p"] == pytest.approx((1 + np.sum(expected >= result["observed"] - 1e-12)) / 301)
    assert R.permutation_null(table_score, USES, n_perm=300, seed=5) == result


def test_cluster_bootstrap_by_counts_is_the_bootstrap_of_rows():
    """A weighted mean of the table under the counts is the mean of the repeated rows, resample by resample."""
    rng = np.random.default_rng(2)
    wide = pd.DataFrame({"x": rng.normal(size=30)}, index=[f"m{i}" for i in range(30)])
    groups = pd.Series([f"g{i // 3}" for i in range(30)], index=wide.index)
    rows = R.cluster_bootstrap(wide, groups, lambda w: {"mean": float(w["x"].mean())}, n_boot=200, seed=4)
    counts = R.cluster_bootstrap(wide, groups, lambda w, c: {"mean": float(np.average(w["x"], weights=c))},
                                 n_boot=200, seed=4, counts=True)
    pd.testing.assert_frame_equal(rows, counts, rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_truth_scores_on_arrays_are_the_scores_of_the_frames(seed):
    """TruthScores (a bootstrap's path) gives pair_auc, cluster_ari and mean_congruence exactly."""
    rng = np.random.default_rng(seed)
    tasks = [f"t{i}" for i in range(9)]
    uses = pd.DataFrame(rng.integers(0, 2, size=(9, 3)), index=tasks, columns=["p", "q", "r"])
    uses.iloc[0] = [1, 0, 0]
    uses.iloc[1] = [0, 0, 0]                   # sharing pairs and non-sharing pairs both exist
    order = list(rng.permutation(tasks))       # the matrix's task order differs from the truth's
    x = rng.normal(size=(60, 9)) + rng.normal(size=(60, 1))
    corr = pd.DataFrame(np.corrcoef(x.T), index=order, columns=order)
    loadings = pd.DataFrame(rng.normal(size=(9, 2)), index=order)
    scores = R.TruthScores(uses, order)
    assert scores.pair_auc(corr.to_numpy()) == R.pair_auc(corr, uses)
    assert scores.cluster_ari(corr.to_numpy()) == R.cluster_ari(corr, uses)
    assert scores.mean_congruence(loadings.to_numpy()) == R.mean_congruence(loadings, uses)


@pytest.mark.parametrize("seed", range(4))
def test_scorers_score_many_truths_as_one_at_a_time(seed):
    """BatchScorer.many (the permutation null's path) gives each truth's score exactly, with tied and
    NaN correlations, tasks of several primitives and the matrix in another task order."""
    rng = np.random.default_rng(seed)
    tasks = [f"t{i}" for i in range(12)]
    uses = pd.DataFrame(rng.integers(0, 2, size=(12, 4)), index=tasks, columns=list("pqrs"))
    uses.iloc[0], uses.iloc[1], uses.iloc[2] = [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]
    order = list(rng.permutation(tasks))
    x = rng.normal(size=(50, 12)) + rng.normal(size=(50, 1))
    values = np.round(np.corrcoef(x.T), 1)             # rounded: many tied pairs
    values[3, 5] = values[5, 3] = np.nan
    corr = pd.DataFrame(values, index=order, columns=order)
    from evalcorr.stats.clustering import cluster_labels
    labels = cluster_labels(pd.DataFrame(np.corrcoef(x.T), index=order, columns=order), 4)
    truth = uses.to_numpy()
    truths = np.stack([truth[rng.permutation(12)] for _ in range(200)])
    truths = truths[[R._shared(t).any() and not R._shared(t)[np.triu_indices(12, 1)].all()
                     for t in truths]]       # each with sharing and non-sharing pairs
    for scorer in (R.pair_auc_scorer(corr, uses), R.labels_ari_scorer(labels, uses)):
        one_at_a_time = np.array([scorer(t) for t in truths])
        assert np.array_equal(scorer.many(truths), one_at_a_time)
    assert len(np.unique(R.pair_auc_scorer(corr, uses).many(truths))) > 10      # the truths do differ


def test_pair_auc_of_many_truths_needs_both_kinds_of_pair():
    uses = pd.DataFrame({"p": [1, 1, 1]}, index=list("abc"))
    scorer = R.pair_auc_scorer(_corr(np.eye(3), list("abc")), uses)
    with pytest.raises(R.RecoveryError, match="share none"):
        scorer.many(np.stack([uses.to_numpy()] * 2))


def test_pair_auc_of_many_truths_needs_a_sharing_pair():
    uses = pd.DataFrame({"p": [1, 0, 0], "q": [0, 1, 0]}, index=list("abc"))      # no two tasks share
    scorer = R.pair_auc_scorer(_random_corr(2, k=3).set_axis(list("abc"), axis=0).set_axis(list("abc"), axis=1), uses)
    with pytest.raises(R.RecoveryError, match="share none"):
        scorer.many(np.stack([uses.to_numpy()] * 2))


@pytest.mark.parametrize("labels", [["x", "x", "y", "y", "z", "z"], [10, 10, 500, 500, -3, -3], [1.5, 1.5, 2.0, 2.0, 7.0, 7.0]])
def test_ari_of_many_truths_with_any_cluster_names(labels):
    """Cluster labels that are strings, large or negative numbers: the same scores as one at a time."""
    clusters = pd.Series(labels, index=TASKS)
    scorer = R.labels_ari_scorer(clusters, USES)
    rng = np.random.default_rng(1)
    truths = np.stack([USES.to_numpy()[rng.permutation(6)] for _ in range(50)])
    assert np.array_equal(scorer.many(truths), [scorer(t) for t in truths])
    none_single = np.ones((3, 6, 3), dtype=int)              # no single-primitive task: ARI of nothing is 1
    assert np.array_equal(scorer.many(none_single), [1.0, 1.0, 1.0])


def test_ari_of_many_truths_refuses_a_task_without_a_cluster_as_one_truth_does():
    clusters = pd.Series([1, 1, 2, 2, 3, np.nan], index=TASKS)
    scorer = R.labels_ari_scorer(clusters, USES)
    truth = USES.to_numpy()                                  # task f uses one primitive and has no cluster
    with pytest.raises(ValueError):
        scorer(truth)
    with pytest.raises(ValueError):
        scorer.many(np.stack([truth, truth]))
    both = truth.copy()
    both[5] = [1, 1, 0]                                      # f uses two primitives: it is not scored
    assert np.array_equal(scorer.many(np.stack([both, both])), [scorer(both)] * 2)
