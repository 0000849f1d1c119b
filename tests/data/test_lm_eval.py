"""Reading lm-evaluation-harness result folders written in the harness's own layout (tests/_lm_eval.py)."""

import json

import pytest

from evalcorr.data.lm_eval import model_name, read_lm_eval, result_files
from evalcorr.errors import DataError
from tests._lm_eval import GROUPS, LEAVES, write_results

MODELS = ("org/alpha", "org/beta", "lab/gamma")


@pytest.fixture()
def folder(tmp_path):
    for i, model in enumerate(MODELS):
        write_results(tmp_path, model, {task: 0.3 + 0.1 * i + 0.01 * j for j, task in enumerate(LEAVES)})
    return tmp_path


def test_reads_one_row_per_leaf_task_and_metric(folder):
    rows = read_lm_eval(folder)
    assert sorted(rows["model"].unique()) == sorted(MODELS)
    assert set(rows["task"]) == set(LEAVES)                      # groups (mmlu, mmlu_stem, ...) are not tasks
    assert not set(rows["task"]) & set(GROUPS)
    assert not rows["metric"].str.contains("_stderr").any()     # stderr keys are not scores
    gsm8k = rows[(rows["model"] == "org/beta") & (rows["task"] == "gsm8k")].set_index("metric")["score"]
    assert gsm8k.to_dict() == pytest.approx({"exact_match,strict-match": 0.4 + 0.05,
                                             "exact_match,flexible-extract": 0.4 + 0.05 + 0.02})
    assert len(rows) == len(MODELS) * (len(LEAVES) + 2)          # arc_easy and gsm8k have two metrics each


def test_parents_are_the_immediate_groups(folder):
    parents = read_lm_eval(folder).drop_duplicates("task").set_index("task")["parent"]
    assert parents["mmlu_formal_logic"] == "mmlu_humanities"
    assert parents["mmlu_abstract_algebra"] == "mmlu_stem"
    assert parents[["arc_easy", "gsm8k"]].isna().all()


def test_higher_is_better_is_read_per_metric(folder):
    rows = read_lm_eval(folder)
    assert rows["higher_is_better"].all()


def test_model_name_falls_back_to_model_args_then_the_folder(tmp_path):
    path = write_results(tmp_path, "org/no-tracker", {t: 0.5 for t in LEAVES}, with_model_name=False)
    record = json.loads(path.read_text())
    assert model_name(record, path) == "org/no-tracker"        # from config.model_args pretrained=
    record["config"]["model_args"] = "dtype=float16"
    assert model_name(record, path) == "org__no-tracker"        # the folder the harness named after it


def test_a_single_results_file_is_read(folder):
    one = result_files(folder)[0]
    assert result_files(one) == [one]
    assert read_lm_eval(one)["model"].nunique() == 1


def test_bad_files_are_named(tmp_path):
    (tmp_path / "m").mkdir()
    bad = tmp_path / "m" / "results_2024.json"
    bad.write_text('{"results": {')
    with pytest.raises(DataError, match="results_2024.json: not valid JSON"):
        read_lm_eval(tmp_path)
    bad.write_text(json.dumps({"scores": {}}))
    with pytest.raises(DataError, match="not an lm-evaluation-harness results file"):
        read_lm_eval(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"no results\*\.json files"):
        read_lm_eval(empty)
