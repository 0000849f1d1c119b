"""Open LLM Leaderboard v2 per-task matrix (open-llm-leaderboard-v2/task_matrix.csv) -> tidy scores.

One row per model folder of the HF results dataset; the scores are raw lm-evaluation-harness
results x 100, stored here as fractions (/100). Tasks are the upstream column names without the
``leaderboard_`` prefix: 40 leaf tasks (24 BBH, 3 GPQA, 7 MATH-hard, 3 MuSR, IFEval, MMLU-Pro and
ARC-challenge, the last for 85 models only) at level ``task``, and the 5 published group scores
``leaderboard``, ``bbh``, ``gpqa``, ``math_hard``, ``musr`` at level ``aggregate``. The published
groups are item-weighted means of their leaves (the overall ``leaderboard`` over the acc_norm tasks
BBH, GPQA, MuSR and ARC); the ``G_*`` columns recomputed upstream are unweighted means and are
dropped.

Metric per task, following the upstream extraction (first of acc_norm, acc, exact_match): acc_norm
for BBH, GPQA, MuSR, ARC and the overall group; acc for MMLU-Pro; exact_match for MATH-hard; IFEval is
the mean of its four metrics (prompt/instruction level x strict/loose), metric ``mean_4_metrics``.
The model id is ``_model`` (``org/name``), or the folder name ``_dir`` in the 2 rows where
``_model`` is empty. Model metadata is joined from hf-open-llm-v2 and sloth (evalcorr.data.metadata)
when their files are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.parsers._common import file_for, finish_scores, melt_scores, read_csv

KIND = "scores"
SOURCE = "open-llm-leaderboard-v2"
FILE = "open-llm-leaderboard-v2/task_matrix.csv"
SNAPSHOT = "2024-06..2025-03"
PREFIX = "leaderboard_"

BBH_TASKS = (
    "boolean_expressions", "causal_judgement", "date_understanding", "disambiguation_qa",
    "formal_fallacies", "geometric_shapes", "hyperbaton", "logical_deduction_five_objects",
    "logical_deduction_seven_objects", "logical_deduction_three_objects", "movie_recommendation",
    "navigate", "object_counting", "penguins_in_a_table", "reasoning_about_colored_objects",
    "ruin_names", "salient_translation_error_detection", "snarks", "sports_understanding",
    "temporal_sequences", "tracking_shuffled_objects_five_objects",
    "tracking_shuffled_objects_seven_objects", "tracking_shuffled_objects_three_objects",
    "web_of_lies",
)
# item counts of the leaf tasks (PROVENANCE.md: every cell equals k/n x 100 for these n)
N_ITEMS: dict[str, int] = {
    **{f"bbh_{t}": 250 for t in BBH_TASKS},
    "bbh_causal_judgement": 187, "bbh_penguins_in_a_table": 146, "bbh_snarks": 178,
    "gpqa_diamond": 198, "gpqa_extended": 546, "gpqa_main": 448,
    "math_algebra_hard": 307, "math_counting_and_prob_hard": 123, "math_geometry_hard": 132,
    "math_intermediate_algebra_hard": 280, "math_num_theory_hard": 154,
    "math_prealgebra_hard": 193, "math_precalculus_hard": 135,
    "musr_murder_mysteries": 250, "musr_object_placements": 256, "musr_team_allocation": 250,
    "mmlu_pro": 12032, "arc_challenge": 1172,
}
LEAF_TASKS = tuple(N_ITEMS) + ("ifeval",)
GROUPS = ("leaderboard", "bbh", "gpqa", "math_hard", "musr")
# the item-weighted groups: n_items = the sum over their leaves
for _group in ("bbh", "gpqa", "musr"):
    N_ITEMS[_group] = sum(n for t, n in N_ITEMS.items() if t.startswith(_group + "_"))
N_ITEMS["math_hard"] = sum(n for t, n in N_ITEMS.items() if t.startswith("math_"))


def metric_of(task: str) -> str:
    """The harness metric behind a task's score."""
    if task.startswith("math_"):
        return "exact_match"
    if task == "mmlu_pro":
        return "acc"
    if task == "ifeval":
        return "mean_4_metrics"
    return "acc_norm"


def column_of(task: str) -> str:
    return "leaderboard" if task == "leaderboard" else PREFIX + task


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of the task matrix (1,860 models x 45 tasks), with model metadata where known."""
    path = file_for(files, FILE, SOURCE)
    tasks = {column_of(t): t for t in LEAF_TASKS + GROUPS}
    wide = read_csv(path, ["_dir", "_model", *tasks], numeric=list(tasks), encoding="utf-8-sig")
    wide["model"] = wide["_model"].where(wide["_model"].notna() & (wide["_model"] != ""), wide["_dir"])
    long = melt_scores(wide, "model", tasks, path)
    long["score"] = long["score"] / 100.0
    long["metric"] = long["task"].map(metric_of)
    long["n_items"] = long["task"].map(N_ITEMS).astype("Int64")
    long["scale"] = "fraction"
    long["snapshot"] = SNAPSHOT
    return finish_scores(_with_metadata(long, files), SOURCE)


def _with_metadata(long: pd.DataFrame, files: Mapping[str, Path]) -> pd.DataFrame:
    from evalcorr.data import metadata

    return metadata.join_leaderboard_metadata(long, files)
