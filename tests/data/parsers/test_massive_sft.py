"""massive-sft parser on the real mirror: sft, pretrain and delta rows."""

import re

import numpy as np
import pandas as pd
import pytest

from tests._datalayer import edited_copy, replace_cell
from evalcorr.errors import DataError
from evalcorr.data.parsers import massive_sft
from evalcorr.data.schema import validate_transfer


@pytest.fixture(scope="module")
def files(source_files):
    return source_files("massive-sft")


@pytest.fixture(scope="module")
def transfer(files):
    return massive_sft.parse(files)


def test_shape(transfer, files):
    validate_transfer(transfer, "massive-sft")
    raw = pd.read_csv(files[massive_sft.FILE], index_col=0)
    sft = transfer[transfer["stage"] == "sft"]
    assert len(sft.drop_duplicates(["model", "setting", "train_task"])) == 1027 - 11
    assert transfer["model"].nunique() == 11 and sft["eval_task"].nunique() == 30
    benchmarks = raw.columns.drop(["model_name", "data_name", *massive_sft.CONFIG])
    assert len(sft) == int(raw.loc[raw["data_name"] != "pretrain", benchmarks].notna().sum().sum())


def test_delta_is_sft_minus_pretrain(transfer):
    key = ["model", "setting", "train_task", "eval_task"]
    sft = transfer[transfer["stage"] == "sft"].set_index(key)["value"]
    delta = transfer[transfer["stage"] == "delta"].set_index(key)["value"]
    pre = transfer[transfer["stage"] == "pretrain"].set_index(["model", "eval_task"])["value"]
    base = pre.reindex(pd.MultiIndex.from_arrays([delta.index.get_level_values("model"),
                                                  delta.index.get_level_values("eval_task")])).to_numpy()
    np.testing.assert_allclose(delta.to_numpy(), sft.reindex(delta.index).to_numpy() - base, rtol=0, atol=1e-12)
    cell = transfer.set_index(["model", "setting", "train_task", "eval_task", "stage"])["value"]
    setting = "lora=false;epoch=2;data_size=10000;lr_strategy=cosine"
    assert cell[("LLM-jp-3-7B", setting, "all", "gsm8k-4shot", "sft")] == 13.19
    assert cell[("LLM-jp-3-7B", "default", "", "gsm8k-4shot", "pretrain")] == 11.52
    assert cell[("LLM-jp-3-7B", setting, "all", "gsm8k-4shot", "delta")] == pytest.approx(13.19 - 11.52)


def test_metrics(transfer):
    metric = transfer.drop_duplicates("eval_task").set_index("eval_task")["metric"]
    assert metric["mtbench-math"] == "mtbench" and metric["gsm8k-4shot"] == "percent"
    assert metric["Truthful_QA-0shot"] == "score"


def test_missing_pretrain_is_an_error(tmp_path):
    path = tmp_path / "evaluation_result.csv"
    columns = ["", "model_name", "data_name", "lora", "epoch", "data_size", "lr_strategy", *massive_sft.BENCHMARKS]
    path.write_text(",".join(columns) + "\n" + "0,m,all,false,2,10000.0,cosine" + ",13.2" * 30 + "\n")
    with pytest.raises(DataError, match=r"no 'pretrain' row for model\(s\) \['m'\]"):
        massive_sft.parse({massive_sft.FILE: path})


@pytest.mark.parametrize("value", ["250.0", "-3.0"])
def test_a_percentage_outside_0_100_is_an_error_naming_the_file(files, tmp_path, value):
    bad = edited_copy(files, tmp_path, massive_sft.FILE, lambda text: replace_cell(text, 2, "gsm8k-4shot", value))
    with pytest.raises(DataError, match=rf"(?s)file {re.escape(str(bad[massive_sft.FILE]))}.*metric 'percent' at "
                                        r"stage '(sft|delta)' outside its declared range \[(0.0|-100.0), 100.0\]"):
        validate_transfer(massive_sft.parse(bad), "massive-sft", path=bad[massive_sft.FILE])


def test_a_renamed_column_is_an_error_not_a_new_benchmark(files, tmp_path):
    bad = edited_copy(files, tmp_path, massive_sft.FILE, lambda text: text.replace("gsm8k-4shot", "gsm8k-4-shot", 1))
    with pytest.raises(DataError, match=r"evaluation_result.csv: unexpected column\(s\) \['gsm8k-4-shot'\] and "
                                        r"missing column\(s\) \['gsm8k-4shot'\]"):
        massive_sft.parse(bad)


def test_a_non_numeric_cell_names_file_line_and_column(files, tmp_path):
    bad = edited_copy(files, tmp_path, massive_sft.FILE, lambda text: replace_cell(text, 7, "mmlu-5shot", "n/a%"))
    with pytest.raises(DataError, match=r"evaluation_result.csv, line 7, column 'mmlu-5shot': 'n/a%' is not a number"):
        massive_sft.parse(bad)


def test_a_conflicting_duplicate_run_is_an_error(files, tmp_path):
    def duplicate(text):
        lines = text.rstrip("\n").split("\n")
        copy = lines[1].split(",")
        copy[0], copy[3] = "9999", "99.0"
        return "\n".join([*lines, ",".join(copy)])

    bad = edited_copy(files, tmp_path, massive_sft.FILE, duplicate)
    with pytest.raises(DataError, match=r"evaluation_result.csv: 1 conflicting duplicate row\(s\).*lines \[2, 1029\]"):
        massive_sft.parse(bad)
