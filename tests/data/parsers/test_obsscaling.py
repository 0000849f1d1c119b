"""obsscaling parser on the real mirror."""

import pytest

from evalcorr.data.parsers import obsscaling
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def scores(source_files):
    return obsscaling.parse(source_files("obsscaling"))


def test_shape(scores):
    validate_scores(scores, "obsscaling")
    assert scores["model"].nunique() == 148
    per_task = scores.groupby("task")["model"].nunique()
    assert len(per_task) == 14
    assert per_task[list(obsscaling.V2.values())].eq(72).all()
    assert set(scores["model_type"]) == {"base"}


def test_cells_and_metadata(scores):
    llama = scores[scores["model"] == "meta-llama/Llama-2-7b-hf"].set_index("task")
    assert llama.loc["mmlu", "score"] == 0.4379609636092418
    assert llama.loc["v2_math_hard", "score"] == 0.012084592145015106
    assert llama["params_b"].eq(7.0).all() and llama["flops_1e21"].eq(84.0).all()
    assert llama["base_family"].eq("Llama-2").all() and llama["pretrain_tokens_t"].eq(2.0).all()
