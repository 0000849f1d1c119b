"""Lineage groups from metadata, model ids and score vectors."""

import numpy as np
import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.stats.lineage import (
    HEADLINE_GROUPING, REPORT_GROUPINGS, base_model_name, group_summary, lineage_groupings, lineage_groups)
from evalcorr.stats.robustness import deduplicate_models


def test_base_model_names_follow_the_ids():
    ids = ["bunnycore/Qwen-2.5-7B-Deep-Stock-v5", "meta-llama/Llama-3.1-8B-Instruct", "x/L3-8B-Stheno",
           "mlabonne/OrpoLlama-3-8B", "x/Llama-3.2-1B-sft", "mistralai/Mistral-Nemo-Instruct-2407",
           "google/gemma-2-9b-it", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "org/Something-7B",
           "01-ai/Yi-1.5-9B", "3rd-Degree-Burn/L-3.1-Science-Writer-8B"]
    assert base_model_name(ids).tolist() == ["qwen2.5", "llama-3.1", "llama-3", "llama-3", "llama-3.2",
                                             "mistral-nemo", "gemma-2", "qwen", pd.NA, "yi-1.5", "llama-3.1"]


@pytest.fixture()
def metadata():
    return pd.DataFrame({
        "architecture": ["LlamaForCausalLM", "LlamaForCausalLM", "LlamaForCausalLM", "Qwen2ForCausalLM", None],
        "params_b": [8.0, 8.03, 70.0, 7.6, 7.0],
    }, index=pd.Index(["a/llama-3-8b-x", "b/llama-3-8b-y", "c/llama-3-70b", "d/qwen2.5-7b", "e/mystery"], name="model"))


def test_architecture_size_groups(metadata):
    groups = lineage_groups(metadata, rule="architecture-size")
    assert groups.iloc[0] == groups.iloc[1] == "LlamaForCausalLM | [8.0, 16.0)"
    assert groups.iloc[2] != groups.iloc[0] and pd.isna(groups.iloc[4])
    summary = group_summary(groups)
    assert summary == {"n_models": 5, "n_labelled": 4, "n_groups": 4, "n_shared_groups": 1, "largest": 2,
                       "share_in_shared": 0.4, "mean_size": 1.25}


def test_base_name_groups_split_by_size(metadata):
    groups = lineage_groups(metadata, rule="base-name")
    assert groups.tolist() == ["llama-3 | [8.0, 16.0)", "llama-3 | [8.0, 16.0)", "llama-3 | [64.0, 128.0)",
                               "qwen2.5 | [4.0, 8.0)", pd.NA]


def test_near_duplicate_groups_are_those_of_deduplicate_models():
    rng = np.random.default_rng(0)
    base = rng.random((6, 8))
    wide = pd.DataFrame(np.vstack([base, base[:2] + 0.001]), index=[f"m{i}" for i in range(8)])
    groups = lineage_groups(pd.DataFrame(index=wide.index), wide, rule="near-duplicates")
    _, report = deduplicate_models(wide)
    assert groups["m0"] == groups["m6"] and groups["m1"] == groups["m7"] and groups["m0"] != groups["m1"]
    assert groups.notna().sum() == len(report) == 4


def test_rules_say_what_they_need(metadata):
    with pytest.raises(EvalcorrError, match="unknown lineage rule"):
        lineage_groups(metadata, rule="family")
    with pytest.raises(EvalcorrError, match="wide"):
        lineage_groups(metadata, rule="near-duplicates")


def test_base_model_groups_follow_the_declared_base(metadata):
    declared = metadata.assign(base_model=["ct-m/s1", "ct-m/s1", None, "ct-l/s0", "ct-m/s1"])
    groups = lineage_groups(declared, rule="base-model")
    assert groups.tolist() == ["ct-m/s1", "ct-m/s1", pd.NA, "ct-l/s0", "ct-m/s1"]
    scores = declared.reset_index().assign(task="t", score=0.5)          # tidy scores carry it too
    assert lineage_groups(scores, rule="base-model").tolist() == groups.tolist()
    with pytest.raises(EvalcorrError, match="base_model"):
        lineage_groups(metadata, rule="base-model")


def test_report_groupings_are_each_rule_in_order(metadata):
    wide = pd.DataFrame(np.arange(10.0).reshape(5, 2), index=metadata.index, columns=["t1", "t2"])
    groupings = lineage_groupings(metadata, wide)
    assert list(groupings) == list(REPORT_GROUPINGS) and HEADLINE_GROUPING in groupings
    for label, rule in REPORT_GROUPINGS.items():
        pd.testing.assert_series_equal(groupings[label], lineage_groups(metadata, wide, rule))
    only = lineage_groupings(metadata, wide, {"size": "architecture-size"})
    assert list(only) == ["size"]
