"""sloth parser on the real mirror: union of data_v1/data_v2, task ids, metadata."""

import pandas as pd
import pytest

from evalcorr.data.parsers import sloth
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("sloth")


@pytest.fixture(scope="module")
def scores(files):
    return sloth.parse(files)


def test_shape(scores):
    validate_scores(scores, "sloth")
    assert scores["model"].nunique() == 200  # 197 in data_v1, 188 in data_v2, 185 in both
    tasks = set(scores["task"])
    assert len(tasks) == 110
    assert {"bbh_snarks", "math_geometry_hard", "abstract_algebra", "arena_elo", "mmlu_pro"} <= tasks
    assert set(scores.loc[scores["level"] == "aggregate", "task"]) == {"bbh", "math_lvl5", "gpqa", "musr", "mmlu"}


def test_data_files_agree_on_shared_models(files):
    v1 = pd.read_csv(files["sloth/data_v1.csv"], index_col=0).set_index("Model")
    v2 = pd.read_csv(files["sloth/data_v2.csv"], index_col=0).set_index("Model")
    shared = v1.index.intersection(v2.index)
    assert len(shared) == 185
    cols = [c for c in v1.columns if c in v2.columns and v1[c].dtype.kind == "f"]
    a, b = v1.loc[shared, cols], v2.loc[shared, cols]
    assert ((a != b) & a.notna() & b.notna()).sum().sum() == 0
    assert (a.notna() & b.isna()).sum().sum() == 0  # so each shared model's data_v2 row is complete
    assert (b.notna() & a.isna()).sum().sum() == 136


def test_cells_and_metadata(scores):
    cell = scores.set_index(["model", "task"])
    yi = cell.loc[("yi-1.5-34b", "bbh_boolean_expressions")]
    assert yi["score"] == 0.892 and yi["base_family"] == "yi-1.5" and yi["model_type"] == "base"
    assert yi["params_b"] == 34.0 and yi["pretrain_tokens_t"] == 3.5 and yi["flops_1e21"] == 714.0
    assert cell.loc[("yi-1.5-34b", "abstract_algebra"), "score"] == 0.55
    assert cell.loc[("yi-1.5-34b-chat", "ifeval"), "score"] == 0.61
    assert cell.loc[("yi-1.5-34b-chat", "ifeval"), "model_type"] == "instruct"
    assert scores["score"].between(0, 1).all()
