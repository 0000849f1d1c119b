"""Massive SFT experiments (massive-sft/evaluation_result.csv) -> tidy transfer.

1,027 rows: 11 base models (``model``) x SFT datasets and mixes (``train_task``: 10 datasets,
``all`` = their union, ``w/o-X`` = leave-one-out) under training settings (``setting`` =
``lora=<bool>;epoch=<n>;data_size=<n>;lr_strategy=<s>``), plus one ``pretrain`` row per base model
(the model before SFT). Every benchmark column becomes an ``eval_task`` (30 OpenCompass scores,
e.g. ``gsm8k-4shot``, ``mtbench-math``; :data:`BENCHMARKS` lists them, and any other column is an
error). Three stages:

* ``sft``: the fine-tuned model's score as released;
* ``pretrain``: the base model's score (train_task "", setting ``default``);
* ``delta``: sft - pretrain of the same base model and benchmark.

``metric`` names the released scale: ``percent`` (0-100) for the accuracy-like benchmarks and
AlpacaEval 2, ``mtbench`` (1-10) for MT-Bench, ``score`` for TruthfulQA (released values lie in
0-0.18; the scale is not documented). Empty cells (LongBench-v2 for most rows, a few others) are
missing and absent. Caveat from upstream: the Chinese-Mistral-7B-v0.1 pretrain row is identical to
the Mistral-7B-v0.1 one; single seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError
from evalcorr.data.parsers._common import file_for, finish_transfer, read_csv, unique_rows

KIND = "transfer"
SOURCE = "massive-sft"
FILE = "massive-sft/evaluation_result.csv"
CONFIG = ["lora", "epoch", "data_size", "lr_strategy"]
PRETRAIN = "pretrain"
# the 30 benchmark columns of the release, in file order (each becomes an eval_task)
BENCHMARKS = (
    "mbpp_4shot", "math-0shot", "gsm8k-4shot", "humaneval-0shot", "hellaswag-10shot", "nq-1shot", "BoolQ-5shot",
    "mmlu-5shot", "mtbench-total", "mtbench-writing", "mtbench-roleplay", "mtbench-reasoning", "mtbench-math",
    "mtbench-coding", "mtbench-extraction", "mtbench-stem", "mtbench-humanities", "alpaca_eval_v2-total",
    "mbpp-0shot", "gsm8k-0shot", "nq-0shot", "nq-5shot", "nq-25shot", "BoolQ-0shot", "hellaswag-0shot",
    "mmlu-0shot", "Truthful_QA-0shot", "LongBench-v2-0shot", "jmmlu-0shot", "cmmlu-0shot",
)


def metric_of(column: str) -> str:
    """The released scale of a benchmark column."""
    if column.startswith("mtbench-"):
        return "mtbench"
    if column.startswith("Truthful_QA"):
        return "score"
    return "percent"


def setting_of(rows: pd.DataFrame) -> pd.Series:
    lora = rows["lora"].astype("str").str.lower()
    return ("lora=" + lora + ";epoch=" + rows["epoch"].astype("int64").astype("str")
            + ";data_size=" + rows["data_size"].astype("int64").astype("str")
            + ";lr_strategy=" + rows["lr_strategy"].astype("str"))


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy transfer rows: sft, pretrain and delta for every model x dataset x setting x benchmark."""
    path = file_for(files, FILE, SOURCE)
    table = read_csv(path, ["Unnamed: 0", "model_name", "data_name", *CONFIG], expected=BENCHMARKS,
                     numeric=["epoch", "data_size", *BENCHMARKS]).drop(columns="Unnamed: 0")
    benchmarks = [c for c in table.columns if c in BENCHMARKS]
    pretrain = table[table["data_name"] == PRETRAIN]
    if pretrain["model_name"].duplicated().any():
        lines = list(pretrain.index[pretrain["model_name"].duplicated(keep=False)])
        raise DataError(f"{path}: more than one 'pretrain' row for a model (lines {lines}); expected one per "
                        "base model")
    configured = table[table["data_name"] != PRETRAIN]
    incomplete = configured[CONFIG].isna().any(axis=1)
    if incomplete.any():
        raise DataError(f"{path}, line {configured.index[incomplete][0]}: a fine-tuned row without its training "
                        f"setting ({', '.join(CONFIG)}); fix the file")
    unique_rows(configured.assign(setting=setting_of(configured))[["model_name", "data_name", "setting", *benchmarks]],
                ["model_name", "data_name", "setting"], path)
    sft = table[table["data_name"] != PRETRAIN].copy()
    missing = sorted(set(sft["model_name"]) - set(pretrain["model_name"]))
    if missing:
        raise DataError(f"{path}: no 'pretrain' row for model(s) {missing}; the delta needs one")
    sft["setting"] = setting_of(sft)

    def long(rows: pd.DataFrame, stage: str, setting, train) -> pd.DataFrame:
        out = rows.assign(setting=setting, train_task=train).melt(
            id_vars=["model_name", "setting", "train_task"], value_vars=benchmarks,
            var_name="eval_task", value_name="value")
        return out.dropna(subset=["value"]).assign(stage=stage)

    sft_long = long(sft, "sft", sft["setting"], sft["data_name"])
    pre_long = long(pretrain, "pretrain", "default", "")
    base = pre_long.set_index(["model_name", "eval_task"])["value"]
    delta = sft_long.assign(stage="delta")
    delta["value"] = delta["value"] - base.reindex(pd.MultiIndex.from_frame(delta[["model_name", "eval_task"]])).to_numpy()
    delta = delta.dropna(subset=["value"])
    out = pd.concat([sft_long, pre_long, delta], ignore_index=True).rename(columns={"model_name": "model"})
    out["metric"] = out["eval_task"].map(metric_of)
    return finish_transfer(out, SOURCE)
