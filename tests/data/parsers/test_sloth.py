"""sloth parser on the real mirror: union of data_v1/data_v2, task ids, metadata."""

from pathlib import Path

import pandas as pd
import pytest

from evalcorr.errors import DataError
from tests._datalayer import edited_copy, replace_cell

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


def _row_of(text: str, model: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), start=1) if f",{model}," in line)


def test_a_conflicting_duplicate_model_in_one_file_is_an_error(files, tmp_path):
    def duplicate(text):
        lines = text.rstrip("\n").split("\n")
        changed = lines[1].split(",")
        changed[0] = "999"
        changed[8] = "0.01"  # another IFEval score
        return "\n".join([lines[0], ",".join(changed), *lines[1:]])

    bad = edited_copy(files, tmp_path, "sloth/data_v2.csv", duplicate)
    model = Path(files["sloth/data_v2.csv"]).read_text().split("\n")[1].split(",")[1]
    with pytest.raises(DataError, match=rf"data_v2.csv: 1 conflicting duplicate row\(s\), e.g. \{{'Model': '{model}'\}} "
                                        r"on lines \[2, 3\] with different \['IFEval'\]"):
        sloth.parse(bad)


def test_files_that_disagree_on_a_shared_model_are_an_error(files, tmp_path):
    text = Path(files["sloth/data_v1.csv"]).read_text()
    model = Path(files["sloth/data_v2.csv"]).read_text().split("\n")[1].split(",")[1]
    bad = edited_copy(files, tmp_path, "sloth/data_v1.csv",
                      lambda text: replace_cell(text, _row_of(text, model), "ARC", "0.123"))
    with pytest.raises(DataError, match=rf"data_v2.csv and .*data_v1.csv disagree on model '{model}', column 'ARC'"):
        sloth.parse(bad)


def test_a_renamed_column_is_an_error_not_a_new_task(files, tmp_path):
    bad = edited_copy(files, tmp_path, "sloth/data_v2.csv", lambda text: text.replace(",bbh_snarks,", ",bbh_snark,", 1))
    with pytest.raises(DataError, match=r"data_v2.csv / .*data_v1.csv: unexpected column\(s\) \['bbh_snark'\]: not a "
                                        r"task of sloth's table"):
        sloth.parse(bad)
