"""Users' score tables: every input format, the checks that drop, and the bad input that is refused."""

import json

import numpy as np
import pandas as pd
import pytest

from evalcorr.data.user_tables import (
    default_min_models, detect_format, load_score_table, read_score_table, save_score_table, score_scales,
    unit_scores,
)
from evalcorr.errors import DataError
from tests._lm_eval import LEAVES, write_results


def write(path, text):
    path.write_text(text)
    return path


def wide_frame(n_models=6, tasks=("mmlu", "gsm8k", "arc"), seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(0.2, 0.9, size=(n_models, len(tasks))).round(3), columns=list(tasks),
                        index=pd.Index([f"org/m{i}" for i in range(n_models)], name="model"))


# ---- formats ---------------------------------------------------------------------------------------

def test_wide_csv_reads_models_tasks_and_ignores_label_columns(tmp_path):
    path = write(tmp_path / "board.csv", "model,arch,mmlu,gsm8k,arc\n"
                 "a,llama,0.5,0.3,0.6\nb,llama,0.6,0.35,0.62\nc,qwen,0.7,N/A,0.7\nd,qwen,0.4,0.2,0.5\n")
    wide, families, report = read_score_table(path, min_models=3)
    assert report.format == "wide" and report.description == "a wide CSV file"
    assert list(wide.index) == ["a", "b", "c", "d"] and list(wide.columns) == ["mmlu", "gsm8k", "arc"]
    assert np.isnan(wide.loc["c", "gsm8k"]) and wide.loc["b", "arc"] == 0.62
    assert report.ignored_columns == ["arch"]
    assert families is None and report.families_from == ""


def test_wide_parquet_with_the_model_as_index(tmp_path):
    frame = wide_frame()
    frame.to_parquet(tmp_path / "board.parquet")
    wide, _, report = read_score_table(tmp_path / "board.parquet")
    pd.testing.assert_frame_equal(wide, frame, check_names=False)
    assert report.description == "a wide Parquet file"


def test_long_table_with_family_column(tmp_path):
    frame = wide_frame().rename_axis("model").reset_index().melt("model", var_name="task", value_name="score")
    frame["family"] = frame["task"].map({"mmlu": "knowledge", "arc": "knowledge", "gsm8k": "math"})
    frame.to_csv(tmp_path / "long.csv", index=False)
    assert detect_format(tmp_path / "long.csv") == "long"
    wide, families, report = read_score_table(tmp_path / "long.csv")
    pd.testing.assert_frame_equal(wide, wide_frame(), check_names=False)
    assert families.set_index("task")["family"].to_dict() == {"mmlu": "knowledge", "gsm8k": "math", "arc": "knowledge"}
    assert report.families_from == "the column 'family'"


def test_long_table_metric_column_needs_a_choice(tmp_path):
    frame = wide_frame().rename_axis("model").reset_index().melt("model", var_name="task", value_name="score")
    both = pd.concat([frame.assign(metric="acc"), frame.assign(metric="acc_norm", score=frame["score"] + 0.05)])
    both.to_csv(tmp_path / "long.csv", index=False)
    with pytest.raises(DataError, match="several metrics per task .* choose one with --metric"):
        read_score_table(tmp_path / "long.csv")
    wide, _, report = read_score_table(tmp_path / "long.csv", metric="acc_norm")
    np.testing.assert_allclose(wide.to_numpy(), wide_frame().to_numpy() + 0.05)
    assert set(report.metrics.values()) == {"acc_norm"}


def test_lm_eval_folder_with_metric_choice_groups_and_reruns(tmp_path):
    for i, model in enumerate(["org/alpha", "org/beta", "lab/gamma"]):
        write_results(tmp_path, model, {task: 0.3 + 0.1 * i + 0.02 * j for j, task in enumerate(LEAVES)})
    write_results(tmp_path, "org/alpha", {task: 0.9 for task in LEAVES}, date=1717343200.0,
                  stamp="2024-06-02T12-00-00.000000")                     # a later run of one model
    assert detect_format(tmp_path) == "lm-eval"
    wide, families, report = read_score_table(tmp_path, min_models=3)
    assert sorted(wide.index) == ["lab/gamma", "org/alpha", "org/beta"]
    assert list(wide.columns) == LEAVES
    assert wide.loc["org/alpha"].tolist() == [0.9] * len(LEAVES)           # the later run wins
    assert report.metrics["arc_easy"] == "acc,none" and report.metrics["gsm8k"] == "exact_match,strict-match"
    fam = families.set_index("task")["family"]
    assert fam["mmlu_philosophy"] == "mmlu_humanities" and fam["mmlu_college_physics"] == "mmlu_stem"
    assert fam["gsm8k"] == "gsm8k"                                          # a stand-alone task is its own family
    assert any("superseded" in note for note in report.notes)

    wide, _, report = read_score_table(tmp_path, metric=["acc_norm", "acc", "exact_match,flexible-extract"],
                                       min_models=3)
    assert report.metrics["arc_easy"] == "acc_norm,none"
    assert report.metrics["gsm8k"] == "exact_match,flexible-extract"
    assert wide.loc["org/beta", "arc_easy"] == pytest.approx(0.4 + 0.08 + 0.05)


def test_eee_records_read_the_score_tab_and_skip_ranks_and_missing(tmp_path):
    def record(model, scores):
        results = [{"evaluation_name": "Mean win rate", "metric_config": {"lower_is_better": False},
                    "score_details": {"score": 0.5, "details": {"tab": "Accuracy"}}}]
        for task, score in scores.items():
            results.append({"evaluation_name": task, "metric_config": {"lower_is_better": False, "min_score": 0,
                                                                        "max_score": 1},
                            "score_details": {"score": score, "details": {"tab": "Accuracy"}}})
            results.append({"evaluation_name": task, "metric_config": {"lower_is_better": True},
                            "score_details": {"score": 3.0, "details": {"tab": "Efficiency"}}})
        return {"model_info": {"id": model, "name": model}, "evaluation_results": results}

    lines = [record(f"org/m{i}", {"MMLU - EM": 0.3 + 0.1 * i, "GSM8K - EM": 0.2 + 0.15 * i,
                                  "MATH - Equivalent": -1.0 if i == 0 else 0.1 * i}) for i in range(4)]
    (tmp_path / "helm.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    assert detect_format(tmp_path / "helm.jsonl") == "eee"
    wide, _, report = read_score_table(tmp_path / "helm.jsonl", min_models=3)
    assert list(wide.columns) == ["MMLU - EM", "GSM8K - EM", "MATH - Equivalent"]
    assert "Mean win rate" not in wide.columns
    assert np.isnan(wide.loc["org/m0", "MATH - Equivalent"])              # HELM's -1: not run
    assert wide.loc["org/m2", "GSM8K - EM"] == pytest.approx(0.5)
    assert "1 result outside the declared score range (HELM writes -1 where a model was not run) read as missing" \
        in report.notes


def test_families_file_names_every_task(tmp_path):
    wide_frame().to_csv(tmp_path / "board.csv")
    write(tmp_path / "fam.csv", "task,family\nmmlu,knowledge\ngsm8k,math\narc,knowledge\nunused,x\n")
    _, families, report = read_score_table(tmp_path / "board.csv", families=tmp_path / "fam.csv")
    assert families["family"].tolist() == ["knowledge", "math", "knowledge"]
    assert report.families_from == "the file fam.csv"
    write(tmp_path / "fam.csv", "task,family\nmmlu,knowledge\n")
    with pytest.raises(DataError, match="no family for task\\(s\\) gsm8k, arc"):
        read_score_table(tmp_path / "board.csv", families=tmp_path / "fam.csv")


# ---- bad input -------------------------------------------------------------------------------------

def test_no_numeric_task_columns(tmp_path):
    path = write(tmp_path / "t.csv", "model,org,licence\na,x,mit\nb,y,apache\nc,z,mit\n")
    with pytest.raises(DataError, match="t.csv: no numeric task columns"):
        read_score_table(path)


def test_non_numeric_cell_is_named_by_line_and_column(tmp_path):
    path = write(tmp_path / "t.csv", "model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,0.35\nc,0.7,abc\nd,0.4,0.2\n")
    with pytest.raises(DataError, match=r"t.csv, line 4 \(model 'c'\), column 'gsm8k': 'abc' is not a number"):
        read_score_table(path)
    frame = wide_frame().reset_index()
    frame["gsm8k"] = frame["gsm8k"].astype(str)
    frame.loc[2, "gsm8k"] = "n.a."
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(DataError, match=r"row 3 \(model 'org/m2'\), column 'gsm8k': 'n.a.'"):
        read_score_table(tmp_path / "t.parquet")


def test_duplicated_models_are_refused(tmp_path):
    path = write(tmp_path / "t.csv", "model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,0.35\na,0.7,0.4\nd,0.4,0.2\n")
    with pytest.raises(DataError, match=r"model 'a' appears 2 times \(line 2, line 4\)"):
        read_score_table(path)
    path = write(tmp_path / "l.csv", "model,task,score\na,mmlu,0.5\na,mmlu,0.6\nb,mmlu,0.4\n")
    with pytest.raises(DataError, match=r"model 'a' has several different scores for task 'mmlu' \(line 2, line 3\)"):
        read_score_table(path)


def test_too_few_models_or_tasks(tmp_path):
    path = write(tmp_path / "t.csv", "model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,0.35\n")
    with pytest.raises(DataError, match="2 models with a score and 2 tasks; the report needs at least 3 models and 2"):
        read_score_table(path)
    path = write(tmp_path / "t.csv", "model,mmlu\na,0.5\nb,0.6\nc,0.7\n")
    with pytest.raises(DataError, match="3 models with a score and 1 task;"):
        read_score_table(path)
    path = write(tmp_path / "t.csv", "model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,\nc,0.7,\nd,0.1,\n")
    with pytest.raises(DataError, match=r"4 models and 1 task are left after the checks \(dropped 1 task: gsm8k: "
                                        r"scored for 1 model"):
        read_score_table(path)


def test_tasks_with_too_few_models_or_one_score_are_dropped_and_listed(tmp_path):
    frame = wide_frame(n_models=10)
    frame["rare"] = [0.5, 0.6, 0.7] + [np.nan] * 7
    frame["flat"] = 0.25
    frame.to_csv(tmp_path / "t.csv")
    wide, _, report = read_score_table(tmp_path / "t.csv")
    assert report.min_models == default_min_models(10) == 5
    assert default_min_models(4) == 4 and default_min_models(1000) == 30
    assert list(wide.columns) == ["mmlu", "gsm8k", "arc"]
    dropped = report.dropped_table().set_index("task")
    assert dropped.loc["rare", "reason"] == "scored for 3 models, fewer than 5"
    assert dropped.loc["flat", "reason"] == "every model has the same score"
    assert (report.n_tasks_read, report.n_tasks) == (5, 3)


def test_tasks_sharing_too_few_models_are_dropped_worst_first(tmp_path):
    frame = wide_frame(n_models=12, tasks=("a", "b", "c", "d"))
    frame.loc[frame.index[6:], "c"] = np.nan     # c: models 0-5
    frame.loc[frame.index[:6], "d"] = np.nan     # d: models 6-11, none in common with c
    wide, _, report = read_score_table(write(tmp_path / "t.csv", frame.to_csv()), min_models=5)
    assert list(wide.columns) == ["a", "b", "d"]
    assert report.dropped_tasks == [{"task": "c", "n_models": 6, "reason": "shares fewer than 5 models with 1 other task"}]


def test_mixed_scales_are_warned(tmp_path):
    frame = wide_frame()
    frame["arc"] = frame["arc"] * 100
    frame.to_csv(tmp_path / "t.csv")
    _, _, report = read_score_table(tmp_path / "t.csv")
    assert report.scales == {"mmlu": "fraction", "gsm8k": "fraction", "arc": "percent"}
    assert report.scale_of_table() == "mixed"
    assert any("fractions (0-1) on 2 tasks" in w and "percentages (0-100) on 1" in w for w in report.warnings)


def test_metric_on_a_wide_table_is_refused(tmp_path):
    wide_frame().to_csv(tmp_path / "t.csv")
    with pytest.raises(DataError, match="--metric applies to long tables"):
        read_score_table(tmp_path / "t.csv", metric="acc")


def test_unknown_files_and_folders(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        read_score_table(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="unknown file type '.xlsx'"):
        read_score_table(write(tmp_path / "t.xlsx", "x"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="a folder without lm-evaluation-harness results"):
        read_score_table(tmp_path / "empty")


# ---- scales and saving -----------------------------------------------------------------------------

def test_unit_scores_put_every_scale_on_0_1():
    wide = pd.DataFrame({"f": [0.1, 0.5], "p": [10.0, 50.0], "o": [-2.0, 8.0]})
    scales = score_scales(wide).to_dict()
    assert scales == {"f": "fraction", "p": "percent", "o": "other"}
    np.testing.assert_allclose(unit_scores(wide, scales).to_numpy(), [[0.1, 0.1, 0.0], [0.5, 0.5, 1.0]])


def test_save_and_load_round_trip(tmp_path):
    frame = wide_frame()
    frame.to_csv(tmp_path / "t.csv")
    write(tmp_path / "fam.csv", "task,family\nmmlu,knowledge\ngsm8k,math\narc,knowledge\n")
    table = read_score_table(tmp_path / "t.csv", families=tmp_path / "fam.csv")
    loaded = load_score_table(save_score_table(table, tmp_path / "saved"))
    pd.testing.assert_frame_equal(loaded.wide, table.wide)
    pd.testing.assert_frame_equal(loaded.families, table.families)
    assert loaded.report == table.report
