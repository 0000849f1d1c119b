"""Observational Scaling Laws base-model results (obsscaling/*.csv) -> tidy scores with metadata.

base_llm_benchmark_eval.csv: 148 base models x 8 benchmarks (``mmlu``, ``arc_c``, ``hellaswag``,
``winograd``, ``truthfulqa``, ``gsm8k``, ``xwinograd``, ``humaneval``; fractions) with model family,
size (B params), pretraining data (T tokens) and FLOPs (1e21). base_llm_leaderboard_v2_eval.csv:
72 of these models x the 6 Open LLM Leaderboard v2 benchmarks (``v2_bbh``, ``v2_gpqa``,
``v2_ifeval``, ``v2_math_hard``, ``v2_mmlu_pro``, ``v2_musr``; raw fractions); their metadata comes
from the first file by model id. All are base models (``model_type`` = ``base``). The metric is not
named upstream: ``metric`` is ``score``. A model listed twice in a file with different values is an
error (an exact repeat is dropped).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.data.parsers._common import file_for, finish_scores, melt_scores, read_csv, unique_rows

KIND = "scores"
SOURCE = "obsscaling"
BENCH_FILE = "obsscaling/base_llm_benchmark_eval.csv"
V2_FILE = "obsscaling/base_llm_leaderboard_v2_eval.csv"
SNAPSHOT = "4d6e1e4"
BENCHMARKS = {"MMLU": "mmlu", "ARC-C": "arc_c", "HellaSwag": "hellaswag", "Winograd": "winograd",
              "TruthfulQA": "truthfulqa", "GSM8K": "gsm8k", "XWinograd": "xwinograd", "HumanEval": "humaneval"}
V2 = {f"leaderboard_{t}": f"v2_{t}" for t in ("bbh", "gpqa", "ifeval", "math_hard", "mmlu_pro", "musr")}
META = {"Model Family": "base_family", "Model Size (B)": "params_b",
        "Pretraining Data Size (T)": "pretrain_tokens_t", "FLOPs (1E21)": "flops_1e21"}


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy scores: 148 base models x 8 benchmarks, 72 of them also x 6 leaderboard v2 benchmarks."""
    bench_path, v2_path = file_for(files, BENCH_FILE, SOURCE), file_for(files, V2_FILE, SOURCE)
    numbers = [c for c in META if c != "Model Family"]
    bench = unique_rows(read_csv(bench_path, ["Model", *META, *BENCHMARKS], numeric=[*numbers, *BENCHMARKS]),
                        ["Model"], bench_path)
    v2 = unique_rows(read_csv(v2_path, ["Model", *V2], numeric=list(V2)), ["Model"], v2_path)
    meta = bench[["Model", *META]].rename(columns={"Model": "model", **META})
    meta["base_family"] = meta["base_family"].astype("str")
    long = pd.concat([melt_scores(bench, "Model", BENCHMARKS, bench_path), melt_scores(v2, "Model", V2, v2_path)],
                     ignore_index=True)
    long = long.merge(meta, on="model", how="left", validate="many_to_one")
    long["model_type"] = "base"
    long["metric"] = "score"
    long["scale"] = "fraction"
    long["snapshot"] = SNAPSHOT
    return finish_scores(long, SOURCE)
