"""hf-open-llm-v2 parser (Every Eval Ever records) on the real mirror: duplicates policy, cells, metadata."""

import pytest

from evalcorr.data.parsers import hf_open_llm_v2 as hf
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def parsed(source_files):
    return hf.parse_with_report(source_files("every-eval-ever"))


def test_shape_and_duplicate_policy(parsed):
    scores, dropped = parsed
    validate_scores(scores, "hf-open-llm-v2")
    assert len(dropped) == 78 and set(dropped["precision"]) == {"float16"}
    assert scores["model"].nunique() == 4574 - 78
    assert len(scores) == (4574 - 78) * 6
    assert set(scores["task"]) == set(hf.TASKS.values()) and set(scores["level"]) == {"task"}


def test_published_cells_and_metadata(parsed):
    scores, _ = parsed
    first = scores[scores["model"] == "0-hero/Matter-0.2-7B-DPO"].set_index("task")
    assert first.loc["ifeval", "score"] == 0.3303 and first.loc["math_lvl5", "score"] == 0.0144
    assert first.loc["math_lvl5", "metric"] == "exact_match" and first.loc["bbh", "metric"] == "acc"
    assert first["params_b"].eq(7.242).all() and first["architecture"].eq("MistralForCausalLM").all()
    # an id with two precisions keeps the bfloat16 run's scores (line 80 of the file)
    dup = scores[scores["model"] == "AtAndDev/Qwen2.5-1.5B-continuous-learnt"].set_index("task")
    assert dup["precision"].eq("bfloat16").all()
    assert dup.loc["bbh", "score"] == 0.4275 and dup.loc["math_lvl5", "score"] == 0.1473
    assert scores["params_b"].notna().all()
