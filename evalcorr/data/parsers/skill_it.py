"""Skill-it's Natural Instructions skills graph (skill-it/top_23_early_decreases.csv) -> tidy transfer.

A 23 x 23 matrix over Natural Instructions task categories: rows are the training skill
(``train_task``), columns the evaluated skill (``eval_task``); each value is the early-training
validation-loss decrease on the column skill from training on the row skill (metric
``loss_decrease``, stage ``early_training``, values as released). The diagonal is set to 0 upstream,
not measured, so those 23 cells are not kept. ``model`` is ``gpt-neo-125m``: the file itself does
not name it, but the upstream script that uses this graph (scripts/ni/pt/skillit.sh) passes no model,
so main.py's default ``EleutherAI/gpt-neo-125M`` applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError
from evalcorr.data.parsers._common import file_for, finish_transfer, read_csv

KIND = "transfer"
SOURCE = "skill-it"
FILE = "skill-it/top_23_early_decreases.csv"
LABELS = "skill-it/top_23.txt"
MODEL = "gpt-neo-125m"


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy transfer rows of the 23 x 23 graph, off-diagonal (506 cells)."""
    path = file_for(files, FILE, SOURCE)
    matrix = read_csv(path, [], index_col=0, numeric=lambda columns: columns)
    labels = file_for(files, LABELS, SOURCE).read_text(encoding="utf-8").split()
    if list(matrix.index) != labels or list(matrix.columns) != labels:
        raise DataError(f"{path}: rows/columns differ from the skill labels in {LABELS}; check the files")
    long = matrix.rename_axis("train_task").reset_index().melt(
        id_vars="train_task", var_name="eval_task", value_name="value")
    long = long[long["train_task"] != long["eval_task"]].dropna(subset=["value"])
    long = long.assign(model=MODEL, stage="early_training", metric="loss_decrease")
    return finish_transfer(long, SOURCE)
