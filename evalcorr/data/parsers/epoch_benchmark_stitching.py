"""Epoch AI benchmark-stitching data (epoch-benchmark-stitching/*.csv) -> sparse tidy scores.

Epoch's own runs (benchmarks_runs.csv, "Best score (across scorers)", fractions) and the external
leaderboard results they collected (external_benchmark_<name>.csv, one file per benchmark). For
each external file the score column and scale follow Epoch's own loader (data_loader.py upstream):
:data:`EXTERNAL` lists file, column, task id and divisor (percent strings such as ``"52.8%"`` and
plain percents -> /100; the Lech Mazur writing score, 1-10 -> /10). Like upstream, BoolQ (a part of
SuperGLUE) and MC-Bench (an arena win rate) are left out. Models are the ``Model version`` ids;
rows without one are dropped. ``base_family`` is the ``Model`` column of model_versions.csv.

Duplicate policy: a model often has several results for one benchmark (different shot settings,
scaffolds or reporting sources). As in Epoch's analysis, the maximum is kept
(``resolve_duplicates(policy="max")``); :func:`parse_with_report` returns the dropped rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError
from evalcorr.data.parsers._common import file_for, finish_scores, read_csv, unique_rows
from evalcorr.data.schema import resolve_duplicates

KIND = "scores"
SOURCE = "epoch-benchmark-stitching"
SNAPSHOT = "f87d3cc"
DIR = "epoch-benchmark-stitching/"
RUNS = {"GPQA diamond": "gpqa_diamond", "MATH level 5": "math_level_5",
        "OTIS Mock AIME 2024-2025": "otis_mock_aime_2024_2025",
        "FrontierMath-2025-02-28-Private": "frontiermath_private",
        "FrontierMath-2025-02-28-Public": "frontiermath_public",
        "FrontierMath-Tier-4-2025-07-01-Private": "frontiermath_tier4_private",
        "FrontierMath-Tier-4-2025-07-01-Public": "frontiermath_tier4_public",
        "SWE-Bench verified": "swe_bench_verified"}
# file stem -> (score column, task id, divisor)
EXTERNAL: dict[str, tuple[str, str, float]] = {
    "aider_polyglot": ("Percent correct", "aider_polyglot", 100.0),
    "anli": ("Score", "anli", 100.0),
    "arc_agi": ("Score", "arc_agi", 100.0),
    "arc_ai2": ("Challenge score", "arc_ai2", 100.0),
    "balrog": ("Average progress", "balrog", 100.0),
    "bbh": ("Average", "bbh", 100.0),
    "cadeval": ("Overall pass (%)", "cadeval", 100.0),
    "csqa2": ("Score", "csqa2", 100.0),
    "cybench": ("Unguided % Solved", "cybench", 100.0),
    "deepresearch": ("Average score", "deepresearch_bench", 100.0),
    "factorio_learning_environment": ("Lab Success %", "factorio", 100.0),
    "fictionlivebench": ("16k token score", "fiction_livebench", 100.0),
    "geobench": ("ACW Country %", "geobench", 100.0),
    "gsm8k": ("EM", "gsm8k", 100.0),
    "gso_bench": ("Score OPT@1", "gso_bench", 100.0),
    "hellaswag": ("Overall accuracy", "hellaswag", 100.0),
    "lambada": ("Score", "lambada", 100.0),
    "lech_mazur_writing": ("Mean score", "lech_mazur_writing", 10.0),
    "livebench": ("Global average", "livebench", 100.0),
    "mmlu": ("EM", "mmlu", 100.0),
    "openbookqa": ("Accuracy", "openbookqa", 100.0),
    "os_world": ("Score", "osworld", 100.0),
    "osuniverse": ("Weighted Score", "osuniverse", 100.0),
    "piqa": ("Score", "piqa", 100.0),
    "scienceqa": ("Score", "scienceqa", 100.0),
    "simple_bench": ("Score (AVG@5)", "simplebench", 100.0),
    "superglue": ("Score", "superglue", 100.0),
    "terminal_bench": ("Accuracy mean", "terminal_bench", 100.0),
    "the_agent_company": ("% Resolved", "the_agent_company", 100.0),
    "triviaqa": ("EM", "triviaqa", 100.0),
    "videomme": ("Overall (no subtitles)", "videomme", 100.0),
    "vpct": ("Correct", "vpct", 100.0),
    "weirdml": ("Accuracy", "weirdml", 100.0),
    "winogrande": ("Accuracy", "winogrande", 100.0),
}


def to_number(values: pd.Series, where: str) -> pd.Series:
    """``"52.8%"``, ``"52.8"`` or ``52.8`` -> 52.8 (float); anything else is an error naming the line
    (``values`` as :func:`evalcorr.data.parsers._common.read_csv` returns them, indexed by line)."""
    text = values.astype("str").str.strip().str.rstrip("%")
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise DataError(f"{where}: {int(bad.sum())} value(s) are not numbers or percentages, e.g. "
                        f"{values[bad].iloc[0]!r} on line {values.index[bad][0]}; check the file")
    return numbers.astype("float64")


def parse_with_report(files: Mapping[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy scores and the duplicate rows dropped by the max policy."""
    frames = []
    path = file_for(files, DIR + "benchmarks_runs.csv", SOURCE)
    runs = read_csv(path, ["task", "model", "Best score (across scorers)"], encoding="utf-8-sig")
    runs = runs[runs["task"].isin(list(RUNS))]
    frames.append(pd.DataFrame({"model": runs["model"], "task": runs["task"].map(RUNS),
                                "score": to_number(runs["Best score (across scorers)"], f"{path}, column 'Best score (across scorers)'")}))
    for stem, (column, task, divisor) in EXTERNAL.items():
        path = file_for(files, f"{DIR}external_benchmark_{stem}.csv", SOURCE)
        table = read_csv(path, ["Model version", column], encoding="utf-8-sig")
        table = table.dropna(subset=["Model version", column])
        frames.append(pd.DataFrame({"model": table["Model version"], "task": task,
                                    "score": to_number(table[column], f"{path}, column {column!r}") / divisor}))
    long = pd.concat(frames, ignore_index=True)
    long["model"] = long["model"].astype("str").str.strip()
    long, dropped = resolve_duplicates(long, ["model", "task"], policy="max", where=DIR + "*.csv")
    path = file_for(files, DIR + "model_versions.csv", SOURCE)
    versions = read_csv(path, ["id", "Model"], encoding="utf-8-sig")
    family = unique_rows(versions[["id", "Model"]], ["id"], path).set_index("id")["Model"]
    long = long.assign(base_family=long["model"].map(family), metric="score", scale="fraction",
                       snapshot=SNAPSHOT)
    return finish_scores(long, SOURCE), dropped


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Sparse tidy scores on 42 benchmarks (max over duplicate results of a model)."""
    return parse_with_report(files)[0]
