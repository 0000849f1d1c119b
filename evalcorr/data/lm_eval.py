"""A reader for lm-evaluation-harness result files (``results*.json``).

``lm_eval --output_path DIR`` writes one file per run, ``DIR/<model_name_sanitized>/results_<date>.json``.
Its documented layout (EleutherAI/lm-evaluation-harness, ``lm_eval/evaluator.py`` and
``lm_eval/loggers/evaluation_tracker.py``, v0.4):

- ``results``: task or group name -> ``{"alias": ..., "<metric>,<filter>": value,
  "<metric>_stderr,<filter>": value}``, e.g. ``"acc,none": 0.61, "acc_norm,none": 0.64``;
  groups appear there too, with the metric pooled over their subtasks;
- ``group_subtasks``: group -> list of its subtasks (which may be groups), a stand-alone task -> ``[]``;
- ``higher_is_better``: task -> ``{metric: bool}``; ``configs``, ``versions``, ``n-shot``, ``n-samples``;
- ``config``: ``{"model": "hf", "model_args": "pretrained=org/name,dtype=...", ...}``, ``date``;
- ``model_name`` (the evaluation tracker's, taken from ``model_args``) and ``model_name_sanitized``.

:func:`read_lm_eval` reads a file or every ``results*.json`` under a folder and returns one row per
leaf task and metric; group rows are not scores of their own (they pool their subtasks) and are left
out. Older files without ``group_subtasks`` are read with every task as a leaf; metric keys without a
``,filter`` part (before v0.4) are read as they are.

>>> scores = read_lm_eval("results/")                                    # doctest: +SKIP
>>> scores[["model", "task", "metric", "score"]].head(2)                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from numbers import Real
from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError

COLUMNS = ("file", "model", "task", "parent", "metric", "score", "higher_is_better", "date")
# model_args keys naming the model, most specific first (as the harness's evaluation tracker reads them)
MODEL_ARG_KEYS = ("peft", "delta", "pretrained", "model", "path", "engine")
_DATE_IN_NAME = re.compile(r"results_(.+)\.json$")


def result_files(path: str | Path) -> list[Path]:
    """The harness result files at ``path``: the file itself, or every ``results*.json`` below a folder."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: no such file or folder; give an lm-evaluation-harness results folder")
    found = sorted(p for p in path.rglob("results*.json") if p.is_file())
    if not found:
        raise DataError(f"{path}: no results*.json files in this folder; lm_eval --output_path writes "
                        "<folder>/<model>/results_<date>.json")
    return found


def is_harness_results(record) -> bool:
    """Whether a decoded JSON object looks like an lm-evaluation-harness results file."""
    return isinstance(record, dict) and isinstance(record.get("results"), dict) and (
        "group_subtasks" in record or "versions" in record or "configs" in record or "config" in record)


def model_name(record: dict, file: Path) -> str:
    """The evaluated model: ``model_name``, else the model in ``config.model_args``, else the folder name."""
    name = record.get("model_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    config = record.get("config") if isinstance(record.get("config"), dict) else {}
    args = config.get("model_args")
    if isinstance(args, str):
        pairs = dict(part.split("=", 1) for part in args.split(",") if "=" in part)
        for key in MODEL_ARG_KEYS:
            if pairs.get(key, "").strip():
                return pairs[key].strip()
    elif isinstance(args, dict):
        for key in MODEL_ARG_KEYS:
            if isinstance(args.get(key), str) and args[key].strip():
                return args[key].strip()
    return file.parent.name


def _date(record: dict, file: Path) -> str:
    """When the run happened, as a sortable string: the ``date`` field, else the file name's timestamp."""
    date = record.get("date")
    if isinstance(date, Real) and not isinstance(date, bool):
        return f"{float(date):020.6f}"
    match = _DATE_IN_NAME.search(file.name)
    return match.group(1) if match else ""


def group_parents(record: dict) -> tuple[set[str], dict[str, str]]:
    """Groups of a results file and each subtask's immediate parent group (from ``group_subtasks``)."""
    subtasks = record.get("group_subtasks") or {}
    if not isinstance(subtasks, dict):
        return set(), {}
    groups = {name for name, children in subtasks.items() if isinstance(children, list) and children}
    groups |= set(record.get("groups") or {}) if isinstance(record.get("groups"), dict) else set()
    parents: dict[str, str] = {}
    for group, children in subtasks.items():
        for child in children if isinstance(children, list) else []:
            parents.setdefault(str(child), str(group))
    return groups, parents


def file_rows(record: dict, file: Path) -> list[dict]:
    """One row per leaf task and metric of one results file (stderr, alias and sample counts left out)."""
    results = record["results"]
    groups, parents = group_parents(record)
    better = record.get("higher_is_better") if isinstance(record.get("higher_is_better"), dict) else {}
    model, date = model_name(record, file), _date(record, file)
    rows = []
    for task, values in results.items():
        if task in groups or not isinstance(values, dict):
            continue
        task_better = better.get(task) if isinstance(better.get(task), dict) else {}
        for key, value in values.items():
            name = key.split(",", 1)[0]
            if key in ("alias", "samples") or name.endswith("_stderr"):
                continue
            if value is None or isinstance(value, bool) or not isinstance(value, Real):
                continue   # "N/A" and null: the harness could not compute this metric
            rows.append({"file": str(file), "model": model, "task": str(task), "parent": parents.get(task),
                         "metric": key, "score": float(value), "higher_is_better": task_better.get(name),
                         "date": date})
    return rows


def read_lm_eval(path: str | Path) -> pd.DataFrame:
    """Every leaf-task metric of the harness result files at ``path``, one row each.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`: ``file``, ``model`` (:func:`model_name`), ``task``, ``parent`` (the task's
        immediate group, None for a stand-alone task), ``metric`` (the harness key, e.g.
        ``acc_norm,none``), ``score``, ``higher_is_better`` (True/False, or None when the file does
        not say) and ``date`` (a sortable string: later runs sort later).

    Raises
    ------
    DataError
        When a file is not valid JSON, is not a harness results file, or holds no score.
    """
    rows = []
    for file in result_files(path):
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{file}: not valid JSON ({exc}); is the file complete?") from None
        if not is_harness_results(record):
            raise DataError(f"{file}: not an lm-evaluation-harness results file (no `results` with "
                            "`group_subtasks`, `versions` or `config` beside it)")
        found = file_rows(record, file)
        if not found:
            raise DataError(f"{file}: no numeric task metric in `results`; was the run complete?")
        rows += found
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["higher_is_better"] = frame["higher_is_better"].astype("boolean")
    return frame
