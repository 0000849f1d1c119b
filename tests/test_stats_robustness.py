"""Model subset rules and the side-by-side robustness table."""

import numpy as np
import pandas as pd
import pytest
from test_stats_pca import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import cluster_family_agreement
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
from evalcorr.stats.pca import principal_components
from evalcorr.stats.robustness import (
    HEADLINE_COLUMNS,
    headline_statistics,
    model_metadata,
    robustness_table,
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
    assert out["share_positive"] == summary["share_positive"]
    assert out["median_within"] == summary["median_within"]
    assert out["pc1_share"] == pytest.approx(principal_components(dense).explained_variance_ratio["PC1"])
    assert out["pc1_models"] == len(dense.dropna())
    assert out["ari"] == cluster_family_agreement(correlation_matrix(dense), families)


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
