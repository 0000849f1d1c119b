"""HELM MMLU / Lite / Classic parsers (Every Eval Ever records) on the real mirror."""

import gzip
import json

import pytest

from evalcorr.data.families import load_families
from evalcorr.data.parsers import helm_classic, helm_lite, helm_mmlu
from evalcorr.data.schema import validate_scores


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("every-eval-ever")


@pytest.fixture(scope="module")
def mmlu(files):
    return helm_mmlu.parse(files)


def test_mmlu_is_79_models_by_57_subjects(mmlu):
    validate_scores(mmlu, "helm-mmlu")
    tasks = mmlu[mmlu["level"] == "task"]
    assert tasks["model"].nunique() == 79 and tasks["task"].nunique() == 57
    assert len(tasks) == 79 * 57
    assert set(mmlu.loc[mmlu["level"] == "aggregate", "task"]) == {"all_subjects"}
    assert set(mmlu["metric"]) == {"em"} and set(mmlu["snapshot"]) == {"v1.13.0"}


def test_mmlu_published_cells(mmlu, files):
    cell = mmlu.set_index(["model", "task"])["score"]
    assert cell[("01-ai/yi-34b", "abstract_algebra")] == 0.4
    assert cell[("01-ai/yi-34b", "anatomy")] == 0.748
    assert cell[("01-ai/yi-34b", "all_subjects")] == 0.762
    # every subject score of the first record, straight from the file
    with gzip.open(files[helm_mmlu.FILE], "rt") as fh:
        record = json.loads(fh.readline())
    for result in record["evaluation_results"]:
        config = result["generation_config"]
        if result["evaluation_name"].endswith(" - EM") and isinstance(config.get("subject"), str):
            assert cell[(record["model_info"]["id"], config["subject"])] == result["score_details"]["score"]


def test_mmlu_math_subfamily(mmlu):
    math = set(mmlu.loc[mmlu["subfamily"] == "math", "task"])
    assert math == {"abstract_algebra", "college_mathematics", "elementary_mathematics",
                    "high_school_mathematics", "high_school_statistics"}
    assert set(mmlu.loc[mmlu["level"] == "task", "family"]) == {
        "MMLU STEM", "MMLU humanities", "MMLU social sciences", "MMLU other"}


def test_lite_main_metric_per_scenario(files):
    lite = helm_lite.parse(files)
    validate_scores(lite, "helm-lite")
    assert lite["model"].nunique() == 91 and lite["task"].nunique() == 10
    metric = lite.drop_duplicates("task").set_index("task")["metric"]
    assert metric["math"] == "equivalent_cot" and metric["wmt_2014"] == "bleu_4"
    assert metric["narrativeqa"] == "f1" and metric["gsm8k"] == "em"
    # one model has -1 (not run) on GSM8K: missing, not a score
    assert lite.groupby("task")["model"].nunique()["gsm8k"] == 90
    assert lite.set_index(["model", "task"])["score"][("01-ai/yi-34b", "narrativeqa")] == 0.782


def test_classic_drops_not_run(files):
    classic = helm_classic.parse(files)
    validate_scores(classic, "helm-classic")
    assert classic["model"].nunique() == 67 and classic["task"].nunique() == 16
    assert (classic["score"] >= 0).all()
    per_task = classic.groupby("task")["model"].nunique()
    assert per_task["mmlu"] == 67 and per_task["hellaswag"] == 32
    assert classic.set_index(["model", "task"])["score"][("Alpaca-(7B)", "mmlu")] == 0.385


@pytest.mark.parametrize("module", [helm_mmlu, helm_lite, helm_classic])
def test_every_task_has_a_families_row(files, module):
    tasks = set(module.parse(files)["task"])
    assert tasks == set(load_families(module.SOURCE)["task"])
