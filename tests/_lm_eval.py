"""lm-evaluation-harness result folders written as the harness writes them, for the reader's tests.

The layout follows lm_eval v0.4 (``lm_eval/evaluator.py``, ``lm_eval/evaluator_utils.py`` and
``lm_eval/loggers/evaluation_tracker.py``): ``<output_path>/<model_name_sanitized>/results_<date>.json``
with ``results`` (tasks and groups, ``"<metric>,<filter>"`` keys, stderr beside each metric, an indented
``alias``), ``groups``, ``group_subtasks``, ``configs``, ``versions``, ``n-shot``, ``higher_is_better``,
``n-samples``, ``config`` (``model``, ``model_args``, ...), ``git_hash``, ``date`` and the evaluation
tracker's ``model_name`` fields.
"""

from __future__ import annotations

import json
from pathlib import Path

# group -> subtasks; mmlu has two subgroups of two subjects, as `lm_eval --tasks mmlu` nests them
GROUPS = {
    "mmlu": ["mmlu_humanities", "mmlu_stem"],
    "mmlu_humanities": ["mmlu_formal_logic", "mmlu_philosophy"],
    "mmlu_stem": ["mmlu_abstract_algebra", "mmlu_college_physics"],
}
STANDALONE = ["arc_easy", "gsm8k"]
LEAVES = ["mmlu_formal_logic", "mmlu_philosophy", "mmlu_abstract_algebra", "mmlu_college_physics", *STANDALONE]
METRICS = {task: ["acc"] for task in LEAVES[:4]} | {"arc_easy": ["acc", "acc_norm"], "gsm8k": ["exact_match"]}
FILTERS = {"gsm8k": ["strict-match", "flexible-extract"]}


def results_record(model: str, scores: dict[str, dict[str, float]], *, date: float = 1717243200.0,
                   with_model_name: bool = True) -> dict:
    """One results file's content for ``model``: ``scores`` maps task -> {"acc,none": value, ...}."""
    results, groups = {}, {}
    for group, children in GROUPS.items():
        depth = 0 if group == "mmlu" else 1
        alias = ("" if depth == 0 else " - ") + group.removeprefix("mmlu_") if depth else "mmlu"
        leaves = [c for c in children if c in scores] or [t for c in children for t in GROUPS.get(c, []) if t in scores]
        value = sum(scores[t]["acc,none"] for t in leaves) / max(1, len(leaves))
        results[group] = {"acc,none": value, "acc_stderr,none": 0.01, "alias": alias}
        groups[group] = dict(results[group])
    for task, values in scores.items():
        entry = {"alias": ("  - " + task.removeprefix("mmlu_")) if task.startswith("mmlu_") else task}
        for key, value in values.items():
            name, filt = key.split(",")
            entry[key] = value
            entry[f"{name}_stderr,{filt}"] = 0.02
        results[task] = entry
    subtasks = {group: list(children) for group, children in reversed(GROUPS.items())}
    subtasks |= {task: [] for task in STANDALONE if task in scores}
    configs = {task: {"task": task, "dataset_path": "fixture", "output_type": "multiple_choice",
                      "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True}
                                      for m in METRICS[task]],
                      "num_fewshot": 0, "metadata": {"version": 1.0}} for task in scores}
    record = {
        "results": results,
        "groups": groups,
        "group_subtasks": subtasks,
        "configs": configs,
        "versions": {task: 1.0 for task in scores} | {group: 2.0 for group in GROUPS},
        "n-shot": {task: 0 for task in scores},
        "higher_is_better": {task: {m: True for m in METRICS[task]} for task in scores}
        | {group: {"acc": True} for group in GROUPS},
        "n-samples": {task: {"original": 100, "effective": 100} for task in scores},
        "config": {"model": "hf", "model_args": f"pretrained={model},dtype=bfloat16", "batch_size": "auto",
                   "batch_sizes": [], "device": "cuda:0", "use_cache": None, "limit": None,
                   "bootstrap_iters": 100000, "gen_kwargs": None, "random_seed": 0, "numpy_seed": 1234,
                   "torch_seed": 1234, "fewshot_seed": 1234},
        "git_hash": "0123abc",
        "date": date,
        "task_hashes": {},
        "model_source": "hf",
    }
    if with_model_name:
        record |= {"model_name": model, "model_name_sanitized": model.replace("/", "__")}
    return record


def leaf_scores(values: dict[str, float]) -> dict[str, dict[str, float]]:
    """Every leaf task's metrics from one number per task (acc_norm = acc + 0.05, flexible = strict + 0.02)."""
    out = {}
    for task, value in values.items():
        if task == "gsm8k":
            out[task] = {"exact_match,strict-match": value, "exact_match,flexible-extract": value + 0.02}
        elif task == "arc_easy":
            out[task] = {"acc,none": value, "acc_norm,none": value + 0.05}
        else:
            out[task] = {"acc,none": value}
    return out


def write_results(folder: Path, model: str, values: dict[str, float], *, date: float = 1717243200.0,
                  stamp: str = "2024-06-01T12-00-00.000000", with_model_name: bool = True) -> Path:
    """Write ``<folder>/<model_name_sanitized>/results_<stamp>.json`` for ``model``."""
    path = folder / model.replace("/", "__") / f"results_{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = results_record(model, leaf_scores(values), date=date, with_model_name=with_model_name)
    path.write_text(json.dumps(record, indent=2))
    return path
