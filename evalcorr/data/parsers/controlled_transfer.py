"""controlled-transfer: the project's own transfer experiment (``data/controlled-transfer/``).

Small decoder-only transformers trained from scratch on made-up character-level tasks whose shared
primitives are known (``tasks.csv``), at three sizes (``models.csv``), with ten seeds, by
``python -m evalcorr experiment`` (configuration ``config.yaml``, machine and times ``run.yaml``).

Read from ``transfer.csv.gz``: one row per run and evaluated task, the tidy transfer schema with its
``seed`` kept (each seed has its own base model and its own draws of training examples; seed ``s`` of
every stage and every size uses the same data draws). Stages: ``untuned`` (the base model; empty
``train_task``), ``after_A`` (200 examples of A), ``B_only`` (a few examples of B alone, the baseline;
``train_task`` = the evaluated task, as in the released Babbage/Davinci source) and
``after_A_then_B``. Metric ``accuracy`` = exact match on ``n_items`` held-out items. Unlike the
released sheets, the diagonal of ``after_A_then_B`` is "A, then a few of A".

Checked here: the exact column set, the stage and metric names, value = n_correct / n_items, every
task in the ground-truth table and every model in ``models.csv``, the same seeds in every cell of a
model, and the stage conventions above. ``n_correct`` is dropped (it is value x n_items).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evalcorr.data.ground_truth import read_ground_truth
from evalcorr.data.parsers._common import file_for, finish_transfer, read_csv
from evalcorr.errors import DataError

KIND = "transfer"
SOURCE = "controlled-transfer"
TRANSFER = "controlled-transfer/transfer.csv.gz"
TASKS = "controlled-transfer/tasks.csv"
MODELS = "controlled-transfer/models.csv"
COLUMNS = ["source", "model", "setting", "train_task", "eval_task", "stage", "metric", "value", "seed",
           "n_items", "n_correct"]
STAGES = ("untuned", "after_A", "B_only", "after_A_then_B")


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """The tidy transfer rows of every run, seeds kept."""
    path = file_for(files, TRANSFER, SOURCE)
    raw = read_csv(path, COLUMNS, expected=COLUMNS, numeric=["value", "seed", "n_items", "n_correct"],
                   dtype={"train_task": str}, keep_default_na=False)
    tasks = set(read_ground_truth(file_for(files, TASKS, SOURCE))["task"])
    models = set(read_csv(file_for(files, MODELS, SOURCE), ["model", "params"])["model"])
    _check(raw, tasks, models, path)
    return finish_transfer(raw.drop(columns=["n_correct"]).astype({"seed": "int64", "n_items": "int64"}), SOURCE)


def _fail(path, line, message: str):
    raise DataError(f"{path}, line {line}: {message}; the results were not written by the experiment as "
                    "they are: restore the committed file or re-run `make experiment`")


def _check(raw: pd.DataFrame, tasks: set[str], models: set[str], path) -> None:
    for column, allowed, what in (("stage", set(STAGES), "stage"), ("metric", {"accuracy"}, "metric"),
                                  ("source", {SOURCE}, "source"), ("model", models, "model (models.csv)"),
                                  ("eval_task", tasks, "task (tasks.csv)")):
        bad = ~raw[column].isin(allowed)
        if bad.any():
            _fail(path, bad.idxmax(), f"unknown {what} {raw.loc[bad.idxmax(), column]!r}")
    trained = raw["train_task"]
    bad = (raw["stage"] == "untuned") != (trained == "")
    if bad.any():
        _fail(path, bad.idxmax(), "untuned rows, and only they, have an empty train_task")
    bad = (trained != "") & ~trained.isin(tasks)
    if bad.any():
        _fail(path, bad.idxmax(), f"unknown train_task {trained[bad.idxmax()]!r} (tasks.csv)")
    bad = (raw["stage"] == "B_only") & (trained != raw["eval_task"])
    if bad.any():
        _fail(path, bad.idxmax(), "a B_only row's train_task must be its eval_task")
    if (raw["n_items"] <= 0).any() or (raw["n_correct"] < 0).any() or (raw["n_correct"] > raw["n_items"]).any():
        bad = (raw["n_items"] <= 0) | (raw["n_correct"] < 0) | (raw["n_correct"] > raw["n_items"])
        _fail(path, bad.idxmax(), "n_correct must lie between 0 and n_items")
    gap = np.abs(raw["value"] - raw["n_correct"] / raw["n_items"])
    if (gap > 1e-6).any():
        _fail(path, gap.idxmax(), f"value {raw.loc[gap.idxmax(), 'value']} is not n_correct / n_items")
    for model, rows in raw.groupby("model"):
        seeds = rows.groupby(["stage", "train_task", "eval_task"])["seed"].apply(lambda s: tuple(sorted(s)))
        if seeds.nunique() != 1:
            raise DataError(f"{path}: the cells of model {model!r} do not all have the same seeds "
                            f"({seeds.value_counts().to_dict()}); an interrupted run wrote the file: "
                            "re-run `make experiment`")
