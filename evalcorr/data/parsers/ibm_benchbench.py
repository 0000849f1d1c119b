"""BenchBench leaderboard snapshots of 2024-08-29 (ibm-benchbench/*.csv) -> tidy scores.

One snapshot, ``2024-08-29``, from five of the files (task ids in :data:`TABLES`):

* hf_open_llm_v1_240829_frozen.csv: HF Open LLM Leaderboard v1, 1,804 rows; the average
  ``hf_open_llm_v1`` (aggregate) and 6 benchmarks ``hfv1_*``, published in percent (/100).
* hf_open_llm_v2_240829.csv: HF Open LLM Leaderboard v2, 348 rows; the average ``hf_open_llm_v2``
  (aggregate) and the 6 benchmarks ``hfv2_*`` as the leaderboard displays them, chance-normalised
  percent (/100, metric ``normalized``), plus ``hfv2_bbh_raw`` (raw BBH, already a fraction).
* benchmarks_at_98439ba__helm_lite_240829.csv: HELM Lite, 72 models; mean win rate ``helm_lite``
  (aggregate) and the 10 scenarios ``helm_lite_*`` (fractions).
* benchmarks__helm_classic_240829_holistic.csv and benchmarks__helm_mmlu_240829_knowledge.csv:
  the HELM Classic mean win rate ``helm_classic`` and the HELM MMLU score ``helm_mmlu`` (aggregates).

Duplicate policy: the HF tables list some model ids more than once (48 extra rows in v1, 8 in v2:
re-submissions at other precisions or revisions). Each file is sorted by its average, descending;
the first (best-average) row of an id is kept. :func:`parse_with_report` returns the dropped rows.
Not parsed: the older HELM snapshots (helm_classic_240130, helm_lite_240610), the identical copy
benchmarks_old__helm_lite_240829.csv, the per-scenario Classic table (its scenarios are in
helm-classic; it holds one negative NDCG, -0.154) and the AIR-Bench safety table.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.parsers._common import file_for, finish_scores, melt_scores, read_csv
from evalcorr.data.schema import resolve_duplicates

KIND = "scores"
SOURCE = "ibm-benchbench"
SNAPSHOT = "2024-08-29"
_LITE = ["NarrativeQA", "NaturalQuestions(open)", "NaturalQuestions(closed)", "OpenbookQA", "MMLU",
         "MATH-Equivalent(CoT)", "GSM8K", "LegalBench", "MedQA", "WMT2014"]
_LITE_IDS = ["narrativeqa", "naturalquestions_open", "naturalquestions_closed", "openbookqa", "mmlu",
             "math", "gsm8k", "legalbench", "medqa", "wmt_2014"]
# file -> (column -> (task id, metric, divisor)); the first column listed is the file's average
TABLES: dict[str, dict[str, tuple[str, str, float]]] = {
    "ibm-benchbench/hf_open_llm_v1_240829_frozen.csv": {
        "hf_open_llm_v1": ("hf_open_llm_v1", "score", 100.0),
        **{f"HFV1_{c}": (f"hfv1_{c.lower()}", "score", 100.0)
           for c in ("ARC", "HellaSwag", "MMLU", "TruthfulQA", "Winogrande", "GSM8K")},
    },
    "ibm-benchbench/hf_open_llm_v2_240829.csv": {
        "hf_open_llm_v2": ("hf_open_llm_v2", "normalized", 100.0),
        "HFV2_IFEval": ("hfv2_ifeval", "normalized", 100.0),
        "HFV2_BBH": ("hfv2_bbh", "normalized", 100.0),
        "HFV2_BBH Raw": ("hfv2_bbh_raw", "raw", 1.0),
        "HFV2_MATH_Lvl_5": ("hfv2_math_lvl5", "normalized", 100.0),
        "HFV2_GPQA": ("hfv2_gpqa", "normalized", 100.0),
        "HFV2_MUSR": ("hfv2_musr", "normalized", 100.0),
        "HFV2_MMLU-PRO": ("hfv2_mmlu_pro", "normalized", 100.0),
    },
    "ibm-benchbench/benchmarks_at_98439ba__helm_lite_240829.csv": {
        "helm_lite": ("helm_lite", "mean_win_rate", 1.0),
        **{c: (f"helm_lite_{t}", "score", 1.0) for c, t in zip(_LITE, _LITE_IDS)},
    },
    "ibm-benchbench/benchmarks__helm_classic_240829_holistic.csv": {
        "helm_classic": ("helm_classic", "mean_win_rate", 1.0),
    },
    "ibm-benchbench/benchmarks__helm_mmlu_240829_knowledge.csv": {
        "helm_mmlu": ("helm_mmlu", "score", 1.0),
    },
}


def parse_with_report(files: Mapping[str, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tidy scores and the duplicated rows dropped (model, file, ...)."""
    frames, dropped = [], []
    for name, columns in TABLES.items():
        path = file_for(files, name, SOURCE)
        table = read_csv(path, ["model", *columns], numeric=list(columns), na_values=["-"])  # "-": not evaluated
        table, gone = resolve_duplicates(table, ["model"], policy="keep-first", where=str(path))
        dropped.append(gone.assign(file=name)[["file", "model", "n_duplicates"]])
        long = melt_scores(table, "model", {c: c for c in columns}, where=path)
        spec = long["task"].map(columns)
        long["task"] = spec.str[0]
        long["metric"] = spec.str[1]
        long["score"] = long["score"] / spec.str[2].astype("float64")
        frames.append(long)
    long = pd.concat(frames, ignore_index=True).assign(scale="fraction", snapshot=SNAPSHOT)
    return finish_scores(long, SOURCE), pd.concat(dropped, ignore_index=True)


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores of the 2024-08-29 snapshot files (first row kept for duplicated ids)."""
    return parse_with_report(files)[0]
