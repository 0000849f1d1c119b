"""LiveBench leaderboard releases (livebench/table_<date>.csv + categories_<date>.json) -> tidy scores.

Ten releases from 2024-06-24 to 2026-01-08, each a snapshot (``YYYY-MM-DD``), with 57-127 models
(commercial ones included) x 17-23 tasks. Scores are published on 0-100 and stored as fractions
(/100). The categories file of each release maps every task to its category (Reasoning, Coding,
Agentic Coding, Mathematics, Data Analysis, Language, IF); a task's category is the same in every
release, and it is the task's family in data/families.csv. The metric is LiveBench's task score
(``score``); a missing cell is a task the model was not run on and is absent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError
from evalcorr.data.parsers._common import files_matching, finish_scores, melt_scores, read_csv

KIND = "scores"
SOURCE = "livebench"
PATTERN = re.compile(r"livebench/table_(\d{4})_(\d{2})_(\d{2})\.csv$")


def categories(path: Path) -> dict[str, str]:
    """Task -> category of one release's categories JSON."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read the categories JSON ({exc}); fetch it again") from None
    return {task: category for category, tasks in raw.items() for task in tasks}


def task_categories(files: Mapping[str, Path]) -> dict[str, str]:
    """Task -> category over all releases; an error if a task changes category."""
    merged: dict[str, str] = {}
    for name, path in files_matching(files, "livebench/categories_", ".json", SOURCE).items():
        for task, category in categories(path).items():
            if merged.setdefault(task, category) != category:
                raise DataError(f"{name}: task {task!r} is in category {category!r} here but "
                                f"{merged[task]!r} in an earlier release; families need one category")
    return merged


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of every LiveBench release (snapshot = release date)."""
    frames = []
    for name, path in files_matching(files, "livebench/table_", ".csv", SOURCE).items():
        match = PATTERN.search(name)
        if not match:
            raise DataError(f"{name}: expected a file name table_YYYY_MM_DD.csv")
        release = "-".join(match.groups())
        table = read_csv(path, ["model"], numeric=lambda columns: [c for c in columns if c != "model"])
        cats = categories(files.get(name.replace("table_", "categories_").replace(".csv", ".json"), ""))
        tasks = [c for c in table.columns if c != "model"]
        uncategorised = sorted(set(tasks) - set(cats))
        if uncategorised:
            raise DataError(f"{name}: task(s) {uncategorised} are not in the release's categories file")
        long = melt_scores(table, "model", {t: t for t in tasks}, path)
        frames.append(long.assign(snapshot=release, score=long["score"] / 100.0))
    long = pd.concat(frames, ignore_index=True)
    long["metric"] = "score"
    long["scale"] = "fraction"
    return finish_scores(long, SOURCE)
