"""Model subset rules and the side-by-side robustness table."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.data.loaders import identical_score_models
from evalcorr.stats.clustering import cluster_family_agreement
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
from evalcorr.stats.pca import principal_components
from evalcorr.stats.robustness import (
    HEADLINE_COLUMNS,
    chance_normalise,
    deduplicate_models,
    headline_statistics,
    model_metadata,
    near_duplicate_pairs,
    robustness_table,
    snapshot_comparison,
    subset_models,
)
from evalcorr.stats.summary import correlation_summary


@pytest.fixture()
def small_metadata():
    models = ["org/Base-7B", "org/Base-7B-Instruct", "org/chat-1b", "org/gemma-2b-it", "org/merge-70b",
              "org/declared-base-dpo", "org/mystery"]
    return pd.DataFrame({
        "params_b": [7.0, 7.0, 1.0, 2.0, 70.0, 3.0, np.nan],
        "architecture": ["Llama", "Llama", "Llama", "Gemma", "Llama", "Qwen", "?"],
        "base_family": [np.nan, np.nan, "chat", np.nan, np.nan, "qwen", np.nan],
        "model_type": [np.nan, np.nan, np.nan, np.nan, np.nan, "base", np.nan],
    }, index=pd.Index(models, name="model"))


def test_type_rule_uses_model_type_then_the_name(small_metadata):
    groups = subset_models(small_metadata, "type")
    assert groups["instruct/chat"] == ["org/Base-7B-Instruct", "org/chat-1b", "org/gemma-2b-it"]
    # A declared base model stays base even with "dpo" in its name; unlabelled ids without a marker are base.
    assert groups["base"] == ["org/Base-7B", "org/declared-base-dpo", "org/merge-70b", "org/mystery"]


def test_size_rule_splits_at_the_median(small_metadata):
    groups = subset_models(small_metadata, "size")
    assert groups == {"small (<= 5.0B)": ["org/chat-1b", "org/declared-base-dpo", "org/gemma-2b-it"],
                      "large (> 5.0B)": ["org/Base-7B", "org/Base-7B-Instruct", "org/merge-70b"]}


def test_dedup_keeps_the_most_complete_model_per_bucket(small_metadata):
    wide = pd.DataFrame({"t1": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                         "t2": [np.nan, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]}, index=small_metadata.index)
    groups = subset_models(model_metadata(small_metadata.reset_index()), "dedup", wide)
    # The two Llama 4-8B models share a bucket; the instruct one has more scores. "?" architecture is unknown.
    assert groups == {"one per architecture x size": ["org/Base-7B-Instruct", "org/chat-1b", "org/declared-base-dpo",
                                                      "org/gemma-2b-it", "org/merge-70b"]}
    assert subset_models(small_metadata, "base-family", wide) == {"one per base family": ["org/chat-1b",
                                                                                          "org/declared-base-dpo"]}
    # Ties are broken by the first model id in sorted order.
    assert subset_models(small_metadata, "dedup")["one per architecture x size"][0] == "org/Base-7B"


def test_missing_metadata_gives_an_empty_rule_and_unknown_rule_an_error(small_metadata):
    assert subset_models(small_metadata.drop(columns="params_b"), "size") == {}
    assert subset_models(small_metadata.drop(columns="architecture"), "dedup") == {}
    with pytest.raises(EvalcorrError, match="unknown subset rule"):
        subset_models(small_metadata, "colour")


def test_model_metadata_cleans_placeholders():
    scores = pd.DataFrame({"model": ["a", "a", "b", "c"], "task": ["x", "y", "x", "x"],
                           "params_b": [7.0, 7.0, -1.0, 3.0], "architecture": ["Llama", "Llama", "Unknown", ""]})
    meta = model_metadata(scores)
    assert list(meta.index) == ["a", "b", "c"]
    assert meta["params_b"].isna().tolist() == [False, True, False]
    assert meta["architecture"].isna().tolist() == [False, True, True]


def test_headline_statistics_match_their_parts():
    wide, families = latent_factor_matrix(n_models=200, missing=0.02, seed=30)
    wide["sparse"] = wide["a_0"].where(np.arange(200) < 40)
    families["sparse"] = "A"
    out = headline_statistics(wide, families)
    dense = wide.drop(columns="sparse")
    summary = correlation_summary(correlation_pairs(dense, families=families))
    assert out["n_tasks"] == 10 and "sparse" in out["note"]
    for key in ("n_pairs", "share_positive", "median_r", "median_within", "median_between"):
        assert out[key] == summary[key], key          # the same numbers as the pairs table gives, exactly
    assert out["pc1_share"] == pytest.approx(principal_components(dense).explained_variance_ratio["PC1"])
    assert out["pc1_models"] == len(dense.dropna())
    assert out["ari"] == cluster_family_agreement(correlation_matrix(dense), families)


def test_headline_statistics_pair_summary_with_unknown_families_and_short_pairs():
    # Pairs below min_periods and tasks without a family: counted as correlation_summary counts them.
    wide, families = latent_factor_matrix(n_models=120, missing=0.3, seed=32)
    families = families.astype(object)
    families[["a_1", "b_0"]] = None
    out = headline_statistics(wide, families, min_periods=60, min_coverage=0.0)
    summary = correlation_summary(correlation_pairs(wide, min_periods=60, families=families))
    assert summary["n_pairs"] < 45                    # some pairs have fewer than 60 common models
    for key in ("n_pairs", "share_positive", "median_r", "median_within", "median_between"):
        assert out[key] == summary[key], key
    spearman = headline_statistics(wide, families, method="spearman", min_periods=60, min_coverage=0.0)
    expected = correlation_summary(correlation_pairs(wide, method="spearman", min_periods=60, families=families))
    assert spearman["median_within"] == expected["median_within"] != out["median_within"]


def test_robustness_table_side_by_side():
    wide, families = latent_factor_matrix(n_models=240, seed=31)
    rng = np.random.default_rng(0)
    names = [f"org/model-{i}{'-instruct' if i % 3 == 0 else ''}" for i in range(240)]
    wide.index = pd.Index(names, name="model")
    metadata = pd.DataFrame({"params_b": 10 ** rng.uniform(-0.5, 2, 240),
                             "architecture": rng.choice(["Llama", "Qwen"], 240)}, index=wide.index)
    table = robustness_table(wide, metadata, families, subsets=("all", "type", "size", "base-family", "dedup"))
    assert list(table.columns) == HEADLINE_COLUMNS
    assert table["subset"].tolist()[:5] == ["all models", "instruct/chat", "base",
                                           table["subset"][3], table["subset"][4]]
    assert table["n_models"].tolist()[:5] == [240, 80, 160, 120, 120]
    skipped = table[table.rule == "base-family"].iloc[0]
    assert "metadata this rule needs is missing" in skipped.note and pd.isna(skipped.share_positive)
    dedup = table[table.rule == "dedup"].iloc[0]
    assert dedup.n_models <= 2 * 9 and "fewer than 30" in dedup.note
    full = headline_statistics(wide, families)
    assert table.loc[0, "pc1_share"] == pytest.approx(full["pc1_share"])
    assert (table.loc[:2, "ari"] == 1.0).all()      # the latent blocks are recovered in every large subset


# --- near-duplicates -------------------------------------------------------------------------------

def brute_force_pairs(wide, tolerance, min_shared):
    """Reference: every pair of rows compared task by task in plain Python."""
    found = set()
    rows = wide.to_numpy(float)
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            shared = ~np.isnan(rows[i]) & ~np.isnan(rows[j])
            if shared.sum() >= min_shared and np.all(np.abs(rows[i, shared] - rows[j, shared]) <= tolerance + 1e-12):
                found.add(tuple(sorted((wide.index[i], wide.index[j]))))
    return found


def test_near_duplicate_pairs_match_a_brute_force_search():
    rng = np.random.default_rng(5)
    # 60 models on a coarse grid so that close and equal vectors occur; 15% missing, including the
    # key task, so the sorted sweep and the fallback for models without the key task are both used.
    base = rng.integers(0, 4, size=(60, 5)) / 20
    wide = pd.DataFrame(base + rng.choice([0, 0.004, 0.03], size=base.shape, p=[0.7, 0.2, 0.1]),
                        index=[f"m{i:02d}" for i in range(60)], columns=list("vwxyz"))
    wide = wide.mask(rng.random(wide.shape) < 0.15)
    for tolerance, min_shared in [(0.0, 3), (0.005, 3), (0.05, 3), (0.05, 1), (0.2, 4)]:
        pairs = near_duplicate_pairs(wide, tolerance=tolerance, min_shared=min_shared)
        expected = brute_force_pairs(wide, tolerance, min_shared)
        assert set(zip(pairs["model_a"], pairs["model_b"])) == expected
        assert len(expected) > 0
        assert (pairs["max_abs_diff"] <= tolerance + 1e-12).all() and (pairs["n_shared"] >= min_shared).all()


def test_more_spread_out_tasks_prune_the_candidates_but_no_true_pair(monkeypatch):
    from evalcorr.stats import robustness

    rng = np.random.default_rng(6)
    values = rng.uniform(size=(300, 8)).round(2)
    values[150:] = values[:150] + rng.choice([0.0, 0.01], size=(150, 8))     # 150 near twins
    values[rng.random(values.shape) < 0.1] = np.nan
    swept = robustness._candidate_pairs(values, 0.01)
    monkeypatch.setattr(robustness, "PRUNING_TASKS", 0)
    sweep_only = robustness._candidate_pairs(values, 0.01)
    assert len(swept[0]) < len(sweep_only[0]) / 5
    kept, candidates = set(zip(*swept)), set(zip(*sweep_only))
    assert kept < candidates
    wide = pd.DataFrame(values, index=[f"m{i:03d}" for i in range(300)])
    assert len(brute_force_pairs(wide, 0.01, 4)) >= 100
    for a, b in brute_force_pairs(wide, 0.01, 4):
        assert (int(a[1:]), int(b[1:])) in kept


def test_near_duplicate_pairs_known_answer():
    wide = pd.DataFrame({"t1": [0.50, 0.50, 0.505, 0.52, 0.30, 0.30, 0.9, 0.9],
                         "t2": [0.40, 0.40, 0.395, 0.40, 0.20, np.nan, 0.1, np.nan],
                         "t3": [0.10, 0.10, 0.108, 0.10, 0.60, 0.60, np.nan, 0.5],
                         "t4": [0.70, 0.70, 0.70, 0.70, 0.80, 0.80, np.nan, np.nan]},
                        index=[f"m{i}" for i in range(1, 9)])
    exact = near_duplicate_pairs(wide, tolerance=0)
    # m5 and m6 agree on the 3 tasks both have; m7 and m8 share only t1 (< half of the 4 tasks).
    assert exact[["model_a", "model_b"]].values.tolist() == [["m1", "m2"], ["m5", "m6"]]
    assert exact["n_shared"].tolist() == [4, 3]
    close = near_duplicate_pairs(wide, tolerance=0.01)
    assert close[["model_a", "model_b"]].values.tolist() == [["m1", "m2"], ["m1", "m3"], ["m2", "m3"], ["m5", "m6"]]
    assert close.loc[1, "max_abs_diff"] == pytest.approx(0.008)
    assert near_duplicate_pairs(wide, tolerance=0, min_shared=1)[["model_a", "model_b"]].values.tolist() == [
        ["m1", "m2"], ["m5", "m6"], ["m7", "m8"]]
    with pytest.raises(EvalcorrError, match="tolerance"):
        near_duplicate_pairs(wide, tolerance=-0.1)
    with pytest.raises(EvalcorrError, match="no task columns"):
        near_duplicate_pairs(wide[[]])
    with pytest.raises(EvalcorrError, match="duplicated model rows"):
        near_duplicate_pairs(pd.concat([wide, wide.iloc[:1]]))


def test_exact_groups_agree_with_identical_score_models():
    wide, _ = latent_factor_matrix(n_models=50, seed=3)
    copies = wide.iloc[[3, 3, 10, 20]].set_axis(["copy-a", "copy-b", "copy-c", "copy-d"])
    wide = pd.concat([wide, copies])
    _, report = deduplicate_models(wide, tolerance=0)
    identical = identical_score_models(wide)
    assert sorted(report["model"]) == sorted(identical["model"])
    as_sets = lambda t: sorted(sorted(g["model"]) for _, g in t.groupby("group"))  # noqa: E731
    assert as_sets(report) == as_sets(identical)


def test_deduplicate_keeps_the_most_complete_model_and_reports_chains():
    wide = pd.DataFrame({"t1": [0.500, 0.508, 0.516, 0.2, 0.7, 0.7],
                         "t2": [0.300, 0.300, 0.300, 0.9, 0.1, 0.1],
                         "t3": [np.nan, 0.600, 0.600, 0.4, 0.5, 0.5]},
                        index=["chain-a", "chain-b", "chain-c", "single", "twin-y", "twin-x"])
    kept, report = deduplicate_models(wide, tolerance=0.01)
    # chain-a ~ chain-b ~ chain-c form one group although a and c differ by 0.016; chain-b and chain-c
    # have the most scores, the tie goes to the first id in sorted order. twin-x sorts before twin-y.
    assert list(kept.index) == ["chain-b", "single", "twin-x"]
    assert report.columns.tolist() == ["group", "model", "kept", "n_scores", "n_shared", "max_abs_diff"]
    assert report[["group", "model", "kept"]].values.tolist() == [
        [0, "chain-b", True], [0, "chain-a", False], [0, "chain-c", False],
        [1, "twin-x", True], [1, "twin-y", False]]
    assert report["n_scores"].tolist() == [3, 2, 3, 3, 3]
    assert report["max_abs_diff"].tolist() == pytest.approx([0.0, 0.008, 0.008, 0.0, 0.0])
    assert report["n_shared"].tolist() == [3, 2, 3, 3, 3]
    assert deduplicate_models(wide, tolerance=0.02)[1].query("model == 'chain-a'")["max_abs_diff"].item() == \
        pytest.approx(0.008)
    unchanged, empty = deduplicate_models(wide.iloc[:4], tolerance=0)
    assert unchanged.equals(wide.iloc[:4]) and empty.empty and list(empty.columns) == list(report.columns)


def test_duplicate_rules_in_the_robustness_table():
    wide, families = latent_factor_matrix(n_models=120, seed=8)
    rng = np.random.default_rng(1)
    near = wide.iloc[:20] + rng.uniform(-0.004, 0.004, size=(20, wide.shape[1]))
    exact = wide.iloc[20:30]
    wide = pd.concat([wide, near.set_axis([f"near-{i}" for i in range(20)]),
                      exact.set_axis([f"exact-{i}" for i in range(10)])])
    metadata = pd.DataFrame(index=wide.index)
    table = robustness_table(wide, metadata, families, subsets=("all", "identical", "near-duplicates"), tolerance=0.01)
    assert table["subset"].tolist() == ["all models", "one per identical-score group",
                                        "one per near-duplicate group (<= 0.01)"]
    assert table["n_models"].tolist() == [150, 140, 120]
    expected = headline_statistics(deduplicate_models(wide, tolerance=0.01)[0], families)
    assert table.loc[2, "median_r"] == pytest.approx(expected["median_r"])
    assert table.loc[2, "pc1_share"] == pytest.approx(expected["pc1_share"])
    with pytest.raises(EvalcorrError, match="pass the models x tasks matrix"):
        subset_models(metadata, "identical")


# --- chance normalisation and snapshots ----------------------------------------------------------

def test_chance_normalise_is_linear_above_chance_and_clips_below():
    wide = pd.DataFrame({"gpqa": [0.25, 0.40, 0.70, 0.20], "other": [0.1, 0.2, 0.3, 0.4]})
    out = chance_normalise(wide, {"gpqa": 0.25})
    assert out["gpqa"].tolist() == pytest.approx([0.0, 0.2, 0.6, 0.0])
    assert out["other"].equals(wide["other"])
    above = wide.iloc[:3]
    # A linear rescaling leaves Pearson r unchanged; the clipping of the fourth model does not.
    assert chance_normalise(above, {"gpqa": 0.25}).corr().loc["gpqa", "other"] == pytest.approx(above.corr().loc["gpqa", "other"])
    assert out.corr().loc["gpqa", "other"] != pytest.approx(wide.corr().loc["gpqa", "other"])
    with pytest.raises(EvalcorrError, match="not in `wide`"):
        chance_normalise(wide, {"mmlu": 0.1})
    with pytest.raises(EvalcorrError, match=r"\[0, 1\)"):
        chance_normalise(wide, {"gpqa": 1.0})


def test_snapshot_comparison_against_numpy():
    later, _ = latent_factor_matrix(n_models=200, seed=12)
    rng = np.random.default_rng(2)
    # The earlier snapshot: 80 of the models, on another scale (linear per task), under other column
    # names, plus 40 models of its own; one common model lacks a_1 in the later snapshot.
    earlier = later.iloc[:80] * 100 + 5
    earlier = pd.concat([earlier, pd.DataFrame(rng.normal(size=(40, later.shape[1])), columns=later.columns,
                                               index=[f"old-{i}" for i in range(40)])])
    earlier.columns = [f"old_{c}" for c in earlier.columns]
    later.loc["model-0000", "a_1"] = np.nan
    mapping = {c.upper(): (f"old_{c}", c) for c in later.columns}
    result = snapshot_comparison(earlier, later, mapping, min_periods=30)
    s = result.summary
    assert (s["n_models_a"], s["n_models_b"], s["n_common"], s["n_pairs"]) == (120, 200, 80, 45)
    pairs = result.pairs.set_index(["task_a", "task_b"])
    row = pairs.loc[("A_0", "B_2")]
    assert row["r_a"] == pytest.approx(np.corrcoef(earlier["old_a_0"], earlier["old_b_2"])[0, 1])
    assert row["r_b"] == pytest.approx(np.corrcoef(later["a_0"], later["b_2"])[0, 1])
    assert (row["n_a"], row["n_b"], row["n_common"]) == (120, 200, 80)
    # On the common models the two matrices agree exactly: the later snapshot is a linear rescaling.
    assert np.allclose(result.pairs["diff_common"], 0, atol=1e-12)
    assert s["matrix_r_common"] == pytest.approx(1.0) and s["max_abs_diff_common"] < 1e-12
    # The pair with a_1 rests on 79 common models in both snapshots (masked where either is missing).
    assert pairs.loc[("A_0", "A_1"), "n_common"] == 79
    common = later.iloc[1:80]
    assert pairs.loc[("A_0", "A_1"), "r_a_common"] == pytest.approx(np.corrcoef(common["a_0"], common["a_1"])[0, 1])
    assert s["matrix_r"] == pytest.approx(np.corrcoef(result.pairs["r_a"], result.pairs["r_b"])[0, 1])
    assert s["max_abs_diff"] == pytest.approx(result.pairs["diff"].abs().max()) and s["max_abs_diff"] > 0.1
    bench = result.benchmarks.set_index("benchmark")
    assert bench.loc["A_0", "r_same_model"] == pytest.approx(1.0) and bench.loc["A_1", "n_common"] == 79
    assert bench.loc["B_0", ["column_a", "column_b"]].tolist() == ["old_b_0", "b_0"]


def test_snapshot_comparison_detects_rescoring_and_checks_its_mapping():
    wide, _ = latent_factor_matrix(n_models=150, seed=13)
    rescored = wide.copy()
    rescored["a_0"] = np.random.default_rng(4).normal(size=len(wide))   # one benchmark scored anew
    result = snapshot_comparison(wide, rescored)          # same column names: mapped by name
    bench = result.benchmarks.set_index("benchmark")
    assert abs(bench.loc["a_0", "r_same_model"]) < 0.3 and bench.loc["b_0", "r_same_model"] == pytest.approx(1.0)
    changed = result.pairs[(result.pairs["task_a"] == "a_0") | (result.pairs["task_b"] == "a_0")]
    assert (changed["diff_common"].abs() > 0.2).all()
    assert np.allclose(result.pairs.drop(changed.index)["diff_common"], 0)
    spearman = snapshot_comparison(wide, rescored, method="spearman").pairs
    assert spearman.loc[0, "r_a"] == pytest.approx(wide["a_0"].corr(wide["a_1"], method="spearman"))
    with pytest.raises(EvalcorrError, match="not in `wide_b`"):
        snapshot_comparison(wide, rescored, {"A": ("a_0", "a_0"), "B": ("b_0", "bbh")})
    with pytest.raises(EvalcorrError, match="at least 2 benchmarks"):
        snapshot_comparison(wide, rescored.set_axis([f"x{i}" for i in range(10)], axis=1))


def test_representative_draws_pick_one_model_per_group():
    from evalcorr.stats.robustness import DRAW_STATISTICS, headline_statistics, representative_draws

    # 40 groups of three exact copies: every draw keeps the same score vectors, so every draw's
    # statistics equal those of the 40 distinct models.
    base, families = latent_factor_matrix(n_models=40, seed=41)
    wide = pd.concat([base.set_axis([f"{m}-v{c}" for m in base.index], axis=0) for c in range(3)])
    groups = pd.Series([name.split("-v")[0] for name in wide.index], index=wide.index)
    draws = representative_draws(wide, groups, families, n_draws=5, seed=1)
    assert list(draws.columns) == ["draw", *DRAW_STATISTICS] and len(draws) == 5
    expected = headline_statistics(base, families)
    for column in ("n_models", "median_r", "median_within", "pc1_share", "ari"):
        np.testing.assert_allclose(draws[column], expected[column], atol=1e-12)


def test_representative_draws_differ_between_draws_and_are_seeded():
    from evalcorr.stats.robustness import representative_draws

    wide, families = latent_factor_matrix(n_models=300, seed=42)
    groups = pd.Series(np.arange(300) % 60, index=wide.index)          # 60 groups of 5 different models
    first = representative_draws(wide, groups, families, n_draws=4, seed=3)
    assert (first["n_models"] == 60).all() and first["median_r"].nunique() == 4
    pd.testing.assert_frame_equal(first, representative_draws(wide, groups, families, n_draws=4, seed=3))
    with pytest.raises(EvalcorrError, match="groups"):
        representative_draws(wide, groups % 10, families, n_draws=2)


def test_block_above_floor_is_block_structure_on_the_models_above_it():
    from evalcorr.stats.partial import block_structure, partial_correlation_matrix
    from evalcorr.stats.robustness import block_above_floor

    wide, families = latent_factor_matrix(n_models=400, seed=43)
    table = block_above_floor(wide, families, "A", floors=(-10.0, 0.0, 50.0)).set_index("floor")
    level = wide[families.index[families == "A"]].mean(axis=1)
    subset = wide[level >= 0.0]
    assert table.loc[0.0, "n_models"] == len(subset) and table.loc[-10.0, "n_models"] == 400
    plain = block_structure(correlation_matrix(subset), families).set_index("family")
    partial = block_structure(partial_correlation_matrix(subset), families).set_index("family")
    assert table.loc[0.0, "mean_within"] == pytest.approx(plain.loc["A", "mean_within"])
    assert table.loc[0.0, "partial_between"] == pytest.approx(partial.loc["A", "mean_between"])
    assert table.loc[50.0, "n_models"] == 0 and np.isnan(table.loc[50.0, "mean_within"])
