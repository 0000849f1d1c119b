"""Open LLM Leaderboard v2 entries in Every Eval Ever records (every-eval-ever/hfopenllm_v2.jsonl.gz)
-> tidy scores with params_b, architecture and precision.

4,574 records, each with the leaderboard's 6 benchmark scores (raw, 0-1: IFEval, BBH, MATH
Level 5, GPQA, MuSR, MMLU-Pro). These are the finest results of this source, so they have level
``task`` here (in open-llm-leaderboard-v2 the same benchmarks are split into subtasks).

Duplicate policy: 78 model ids have two records, one evaluated in bfloat16 and one in float16,
with different scores. The bfloat16 record is kept (the leaderboard's usual precision, 3,422 of
4,574 records) and the float16 one dropped; :func:`parse_with_report` returns the dropped rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.eee import model_details, read_eee
from evalcorr.errors import DataError
from evalcorr.data.metadata import prefer_precision
from evalcorr.data.parsers._common import file_for, finish_scores

KIND = "scores"
SOURCE = "hf-open-llm-v2"
FILE = "every-eval-ever/hfopenllm_v2.jsonl.gz"
SNAPSHOT = "2025-03"  # the leaderboard's final published results (it was retired in March 2025)
TASKS = {"IFEval": "ifeval", "BBH": "bbh", "MATH Level 5": "math_lvl5", "GPQA": "gpqa",
         "MUSR": "musr", "MMLU-PRO": "mmlu_pro"}
METRICS = {"Accuracy": "acc", "Exact Match": "exact_match"}


def parse_with_report(files: Mapping[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy scores and the rows dropped by the duplicate policy (model, precision, line, ...)."""
    path = file_for(files, FILE, SOURCE)
    results = read_eee(path)
    unknown = sorted(set(results["evaluation_name"]) - set(TASKS))
    if unknown:
        raise DataError(f"{path}: unknown evaluation(s) {unknown}; expected {sorted(TASKS)}")
    details = model_details(results)
    meta = pd.DataFrame({
        "line": details["line"], "model": details["model_id"].astype("str"),
        "params_b": pd.to_numeric(details["params_billions"]).astype("float64"),
        "architecture": details["architecture"].astype("str"),
        "precision": details["precision"].astype("str"),
    })
    kept, dropped = prefer_precision(meta, ["model"])
    results = results[results["line"].isin(kept["line"])]
    metric = results["evaluation_description"].str.extract(r"^(.*) on ", expand=False).map(METRICS)
    if metric.isna().any():
        bad = results.loc[metric.isna(), "evaluation_description"].unique()[:3]
        raise DataError(f"{path}: cannot tell the metric from description(s) {list(bad)}; "
                        f"known: {sorted(METRICS)}")
    long = pd.DataFrame({
        "line": results["line"], "task": results["evaluation_name"].map(TASKS), "metric": metric,
        "score": results["score"], "scale": "fraction", "snapshot": SNAPSHOT,
    }).merge(kept, on="line", how="left", validate="many_to_one").drop(columns="line")
    return finish_scores(long, SOURCE), dropped


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores: 4,496 models x 6 benchmarks (bfloat16 kept where an id has two precisions)."""
    return parse_with_report(files)[0]
