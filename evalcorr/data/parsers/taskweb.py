"""TaskWeb pairwise transfer (taskweb/taskweb_pairwise_long.csv) -> tidy transfer.

21 target tasks x 21 source tasks (no self-pairs; squad_v2 is a source only): ``train_task`` = the
source task, ``eval_task`` = the target. ``setting`` = ``<adaptation>/<model>`` for the 7 model and
adaptation settings (finetune t5s/t5b/t5l, pfeiffer-adapter t5b, finetune gpt2m, finetune roberta,
bitfit t5b) and ``ALL`` for the average over them; ``model`` is the model (``ALL`` for the average).
Stage ``transfer`` (source then target fine-tuning, against target-only fine-tuning), three metrics
as released: ``pct_change`` (PC: average relative change of the target metric, a fraction),
``share_positive_seeds`` (PM) and ``combined_score`` (0.5 PC + 0.5 (0.2 PM - 0.1), TaskWeb's score).
The per-seed raw scores (taskweb_raw_eval_results_long.csv) have no target-only baselines and are
not parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.parsers._common import file_for, finish_transfer, read_csv, unique_rows

KIND = "transfer"
SOURCE = "taskweb"
FILE = "taskweb/taskweb_pairwise_long.csv"
METRICS = {"PC_avg_pct_change": "pct_change", "PM_prop_positive_seeds": "share_positive_seeds",
           "combined_score": "combined_score"}


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy transfer rows: 441 pairs x 8 settings x 3 metrics."""
    path = file_for(files, FILE, SOURCE)
    table = read_csv(path, ["target_task", "source_task", "adaptation", "model", *METRICS], numeric=list(METRICS))
    table = unique_rows(table, ["target_task", "source_task", "adaptation", "model"], path)
    setting = table["adaptation"].where(table["adaptation"] == "ALL", table["adaptation"] + "/" + table["model"])
    long = table.assign(setting=setting).melt(
        id_vars=["model", "setting", "source_task", "target_task"], value_vars=list(METRICS),
        var_name="metric", value_name="value").dropna(subset=["value"])
    long = long.rename(columns={"source_task": "train_task", "target_task": "eval_task"})
    long["metric"] = long["metric"].map(METRICS)
    return finish_transfer(long.assign(stage="transfer"), SOURCE)
