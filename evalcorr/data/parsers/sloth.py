"""Sloth's model table (sloth/data_v2.csv and data_v1.csv) -> tidy scores with model metadata.

About 200 well-known base and instruct models, with family, instruct flag, #params, pretraining
tokens and FLOPs, and their scores as fractions: the Open LLM Leaderboard v2 benchmark scores
(``ifeval``, ``mmlu_pro`` as tasks; ``bbh``, ``math_lvl5``, ``gpqa``, ``musr`` as aggregates, at the
2 decimals sloth stores) and their subtasks (``bbh_*``, ``gpqa_*``, ``math_*_hard``, ``musr_*``: the
task ids of open-llm-leaderboard-v2), the 57 MMLU subjects (task id = subject id, as in helm-mmlu)
with their average ``mmlu`` as an aggregate, and the v1-era benchmarks ``arc``, ``hellaswag``,
``winogrande``, ``truthfulqa``, ``gsm8k``, ``humaneval``, ``xwinograd``, ``arena_elo`` and
``mtbench`` (the last two rescaled to 0-1 by sloth; 4 models only).

data_v1.csv and data_v2.csv hold the same columns; on the 185 models they share they agree exactly
wherever both have a value, and data_v2 has 136 more cells (5 Pythia models), none fewer. The
parser takes the union of models, each model's row from data_v2 where it is there, as one
snapshot, the repository commit (:func:`evalcorr.data.metadata.sloth_table`: files that disagree,
or a model listed twice in one file with different values, are an error; a column that is not one
of sloth's tasks in data/families.csv is an error too, not a new task). Sloth does
not name the harness metric: ``metric`` is ``score`` (the value as sloth stores it). The chance
lower bounds (lower_bounds.csv) and the raw leaderboard tables (open-llm-leaderboard_old/new.csv)
are not scores of this table and are not parsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.families import load_families
from evalcorr.data.metadata import sloth_models, sloth_table
from evalcorr.data.parsers._common import file_for, finish_scores, melt_scores
from evalcorr.errors import DataError

KIND = "scores"
SOURCE = "sloth"
FILES = ("sloth/data_v2.csv", "sloth/data_v1.csv")
SNAPSHOT = "6dc6bb3"
MMLU_PREFIX = "hendrycksTest-"
GROUPS = {"IFEval": "ifeval", "BBH": "bbh", "MATH Lvl 5": "math_lvl5", "GPQA": "gpqa", "MUSR": "musr",
          "MMLU-PRO": "mmlu_pro"}
OTHER = {"MMLU": "mmlu", "ARC": "arc", "HellaSwag": "hellaswag", "Winogrande": "winogrande",
         "TruthfulQA": "truthfulqa", "GSM8K": "gsm8k", "HumanEval": "humaneval", "XWinograd": "xwinograd",
         "Arena-Elo": "arena_elo", "MTBench": "mtbench"}
META = ("Model", "Family", "Instruct", "date", "#Params (B)", "Pretraining Data Size (T)", "FLOPs (1E21)",
        "Family2")


def task_columns(columns) -> dict[str, str]:
    """Column name -> task id for every score column of a sloth data file."""
    tasks = {}
    for col in columns:
        if col in META or col.startswith("Unnamed"):
            continue
        if col in GROUPS:
            tasks[col] = GROUPS[col]
        elif col in OTHER:
            tasks[col] = OTHER[col]
        elif col.startswith(MMLU_PREFIX):
            tasks[col] = col[len(MMLU_PREFIX):]
        else:
            tasks[col] = col  # v2 subtasks already use the leaderboard task ids (bbh_snarks, ...)
    return tasks


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of sloth's ~200 models with family, instruct, params, tokens and FLOPs."""
    paths = [file_for(files, f, SOURCE) for f in FILES]
    wide = sloth_table(paths)
    tasks = task_columns([c for c in wide.columns])
    known = set(load_families(SOURCE)["task"])
    unknown = sorted(column for column, task in tasks.items() if task not in known)
    if unknown:
        raise DataError(f"{' / '.join(map(str, paths))}: unexpected column(s) {unknown}: not a task of sloth's table "
                        "(data/families.csv lists them). A renamed column is not a new task: check the file's "
                        "version against the manifest")
    long = melt_scores(wide, "Model", tasks, " / ".join(map(str, paths)))
    meta = sloth_models(paths).rename(columns={"key": "model", "sloth_params_b": "params_b"})
    long = long.merge(meta, on="model", how="left", validate="many_to_one")
    long["metric"] = "score"
    long["scale"] = "fraction"
    long["snapshot"] = SNAPSHOT
    return finish_scores(long, SOURCE)
