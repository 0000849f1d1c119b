"""massive-sft parser on the real mirror: sft, pretrain and delta rows."""

import numpy as np
import pandas as pd
import pytest

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
    path.write_text(",model_name,data_name,lora,epoch,data_size,lr_strategy,gsm8k-4shot\n"
                    "0,m,all,false,2,10000.0,cosine,13.2\n")
    with pytest.raises(DataError, match=r"no 'pretrain' row for model\(s\) \['m'\]"):
        massive_sft.parse({massive_sft.FILE: path})
