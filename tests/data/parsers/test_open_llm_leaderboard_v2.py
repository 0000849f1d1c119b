"""The Open LLM Leaderboard v2 parser on the real mirror: shape, published cells, metrics, metadata."""

import numpy as np
import pandas as pd
import pytest

from evalcorr.data.families import load_families
from evalcorr.data.parsers import open_llm_leaderboard_v2 as ollb
from evalcorr.data.parsers._common import mirror_files
from evalcorr.data.schema import validate_scores

SOURCE = "open-llm-leaderboard-v2"


@pytest.fixture(scope="module")
def files(mirror):
    return mirror_files(mirror, "open-llm-leaderboard-v2", "every-eval-ever", "sloth")


@pytest.fixture(scope="module")
def scores(files):
    return ollb.parse(files)


@pytest.fixture(scope="module")
def raw(files):
    return pd.read_csv(files[ollb.FILE])


def test_validates_and_has_the_published_shape(scores):
    validate_scores(scores, SOURCE)
    assert scores["model"].nunique() == 1860
    assert scores["task"].nunique() == 45
    levels = scores.drop_duplicates("task")["level"].value_counts()
    assert levels.to_dict() == {"task": 40, "aggregate": 5}
    aggregates = set(scores.loc[scores["level"] == "aggregate", "task"])
    assert aggregates == {"leaderboard", "bbh", "gpqa", "math_hard", "musr"}
    assert not scores["task"].str.startswith(("G_", "leaderboard_")).any()


def test_39_tasks_complete_for_at_least_1850_models(scores):
    per_task = scores[scores["level"] == "task"].groupby("task")["model"].nunique()
    assert (per_task >= 1850).sum() == 39
    assert per_task["arc_challenge"] == 85


def test_scores_are_published_values_over_100(scores, raw):
    cell = scores.set_index(["model", "task"])["score"]
    assert cell[("01-ai/Yi-1.5-34B", "bbh_boolean_expressions")] == pytest.approx(0.892)
    assert cell[("01-ai/Yi-1.5-34B", "arc_challenge")] == pytest.approx(0.6723549488054607)
    assert cell[("0-hero/Matter-0.2-7B-DPO", "math_precalculus_hard")] == 0.0
    # every leaf cell of the file, divided by 100
    ids = raw["_model"].fillna(raw["_dir"])
    column = raw.assign(model=ids).set_index("model")["leaderboard_mmlu_pro"].dropna()
    ours = scores[scores["task"] == "mmlu_pro"].set_index("model")["score"]
    assert len(ours) == len(column) == 1856
    np.testing.assert_array_equal(ours.reindex(column.index).to_numpy(), column.to_numpy() / 100)
    assert scores["score"].between(0, 1).all() and scores["scale"].eq("fraction").all()


def test_item_counts_are_consistent_with_scores(scores):
    # PROVENANCE: every cell is k/n for an integer k (one source row has rounded whole numbers)
    leaf = scores[(scores["level"] == "task") & (scores["task"] != "ifeval")
                  & (scores["model"] != "mistral-community/Mixtral-8x22B-v0.1")]
    k = leaf["score"] * leaf["n_items"].astype(float)
    assert np.abs(k - k.round()).max() < 1e-6
    assert scores.loc[scores["task"] == "ifeval", "n_items"].isna().all()


def test_metric_per_task(scores):
    metric = scores.drop_duplicates("task").set_index("task")["metric"]
    assert metric["bbh_snarks"] == metric["gpqa_main"] == metric["musr_team_allocation"] == "acc_norm"
    assert metric["math_geometry_hard"] == "exact_match"
    assert metric["mmlu_pro"] == "acc"
    assert metric["ifeval"] == "mean_4_metrics"
    assert metric["leaderboard"] == "acc_norm"


def test_model_id_falls_back_to_the_folder_name(scores, raw):
    no_id = raw.loc[raw["_model"].isna(), "_dir"]
    assert len(no_id) == 2
    assert set(no_id) <= set(scores["model"])


def test_published_groups_are_item_weighted_means(scores):
    wide = scores.pivot_table(index="model", columns="task", values="score")
    leaves = [t for t in wide.columns if t.startswith("bbh_")]
    n = scores.drop_duplicates("task").set_index("task")["n_items"].astype(float)
    weighted = (wide[leaves] * n[leaves]).sum(axis=1) / n[leaves].sum()
    complete = wide[leaves].notna().all(axis=1) & wide["bbh"].notna()
    assert (wide.loc[complete, "bbh"] - weighted[complete]).abs().max() < 5e-4


def test_every_task_has_a_families_row(scores):
    fam = load_families(SOURCE)
    assert set(scores["task"]) == set(fam["task"])
    assert scores.loc[scores["task"] == "math_algebra_hard", "family"].iloc[0] == "MATH"


def test_metadata_from_hf_records(scores):
    yi = scores[scores["model"] == "01-ai/Yi-1.5-34B"].iloc[0]
    assert yi["architecture"] == "LlamaForCausalLM" and yi["precision"] == "bfloat16"
    assert yi["params_b"] == pytest.approx(34.389)
    assert yi["base_family"] == "yi-1.5" and yi["model_type"] == "base"
    assert yi["pretrain_tokens_t"] == pytest.approx(3.5)


def test_parses_without_the_metadata_sources(files):
    only = {k: v for k, v in files.items() if k.startswith("open-llm-leaderboard-v2/")}
    bare = ollb.parse(only)
    validate_scores(bare, SOURCE)
    assert bare["params_b"].isna().all() and bare["base_family"].isna().all()


def test_dropped_recomputed_groups_are_unweighted_leaf_means(raw):
    """The upstream G_* columns are plain means of the leaves, so they add nothing and are dropped."""
    for group, prefix in [("bbh", "leaderboard_bbh_"), ("gpqa", "leaderboard_gpqa_"),
                          ("musr", "leaderboard_musr_"), ("math_hard", "leaderboard_math_")]:
        leaves = [c for c in raw.columns if c.startswith(prefix) and c != "leaderboard_math_hard"]
        diff = (raw[f"G_leaderboard_{group}"] - raw[leaves].mean(axis=1)).abs()
        assert diff.max() < 1e-9, group
