"""Score tables that users bring: read, checked and made into a models x tasks frame.

:func:`read_score_table` takes one of four inputs, detected from the path or named with ``format``:

``wide``
    a CSV (``.csv``, ``.tsv``, ``.txt``) or Parquet file with one row per model and one numeric column
    per task; the model is the column named ``model`` (or ``model_name``, ``model_id``, ``name``), else
    the first column when it holds text (for Parquet, a named index). Columns that hold text are
    labels, not tasks: they are ignored and listed in the report.
``long``
    the same file types with columns ``model``, ``task`` (or ``benchmark``), ``score`` (or ``value``),
    and optionally ``family`` and ``metric`` (then ``metric`` picks the rows to use).
``eee``
    a folder or file of Every Eval Ever records (:func:`evalcorr.data.eee.read_eee`): one task per
    ``evaluation_name``; where records carry HELM's tabs only the ``Accuracy`` tab is read, and the
    "Mean win rate" (a rank, not a score) and lower-is-better results are left out.
``lm-eval``
    a folder (or file) of lm-evaluation-harness results (:func:`evalcorr.data.lm_eval.read_lm_eval`):
    one task per leaf task; families from the harness's group structure.

Bad input is refused with one :class:`~evalcorr.errors.DataError` naming the file and what to do:
no numeric task column, a non-numeric cell (named by line and column), a model listed twice, fewer
than :data:`MIN_MODELS` models or :data:`MIN_TASKS` tasks once the checks below are done.

Checks that drop instead of refusing, all listed in the :class:`TableReport`: tasks scored for fewer
than ``min_models`` models (default :func:`default_min_models`), tasks on which every model has the same
score, tasks that share fewer than ``min_models`` models with some other task (dropped one at a time,
the worst first), and models left without any score. Scores on visibly different scales (fractions
0-1 beside percentages 0-100) are kept and warned about.

>>> wide, families, report = read_score_table("my_leaderboard.csv")     # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from evalcorr.data.eee import read_eee
from evalcorr.data.lm_eval import is_harness_results, read_lm_eval
from evalcorr.errors import DataError

FORMATS = ("wide", "long", "eee", "lm-eval")
MIN_MODELS = 3
MIN_TASKS = 2
# The fewest models a task needs by default: a partial correlation needs 4 (evalcorr.stats.partial.MIN_MODELS).
MIN_MODELS_FLOOR = 4
# The most models a task needs in the default rule (as the report's other correlations use).
MIN_MODELS_CAP = 30
MODEL_COLUMNS = ("model", "model_name", "model_id", "name")
TASK_COLUMNS = ("task", "benchmark")
SCORE_COLUMNS = ("score", "value")
MISSING_MARKERS = {"", "na", "n/a", "nan", "null", "none", "-", "\u2013", "\u2014", "?"}
CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": None}
PARQUET_SUFFIXES = (".parquet", ".pq")
SCALES = ("fraction", "percent", "other")
EEE_MAIN_TAB = "Accuracy"
EEE_RANK = "Mean win rate"
SAVED_FILES = ("scores.parquet", "families.csv", "table.json")


@dataclass
class TableReport:
    """What reading a score table did: where it came from, what was dropped and why, warnings.

    Attributes
    ----------
    source, format, description :
        the path as given, one of :data:`FORMATS`, and a phrase such as ``"a wide CSV file"``.
    n_models, n_tasks, n_models_read, n_tasks_read :
        the table's size after and before the checks.
    min_models :
        the fewest models a task (and a pair of tasks) needs.
    dropped_tasks :
        one dict per dropped task: ``task``, ``n_models``, ``reason``.
    dropped_models :
        models left without any score.
    ignored_columns :
        text columns of a wide table read as labels, not tasks.
    metrics :
        task -> the metric read for it, when the input names metrics (long with ``metric``, lm-eval).
    families_from :
        where the families came from (``"the family column"``, a file, the harness groups), or "".
    scales :
        task -> ``fraction`` (0-1), ``percent`` (0-100) or ``other``.
    warnings, notes :
        sentences for the reader: things to check, and things done that change no score.
    """

    source: str
    format: str
    description: str
    n_models: int = 0
    n_tasks: int = 0
    n_models_read: int = 0
    n_tasks_read: int = 0
    min_models: int = MIN_MODELS
    dropped_tasks: list[dict] = field(default_factory=list)
    dropped_models: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    metrics: dict[str, str] = field(default_factory=dict)
    families_from: str = ""
    scales: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def dropped_table(self) -> pd.DataFrame:
        """The dropped tasks as a frame: task, n_models, reason."""
        return pd.DataFrame(self.dropped_tasks, columns=["task", "n_models", "reason"])

    def scale_of_table(self) -> str:
        """``fraction`` or ``percent`` when every task is on that scale, else ``mixed``."""
        kinds = set(self.scales.values())
        return kinds.pop() if len(kinds) == 1 else "mixed"


class ScoreTable(NamedTuple):
    """A checked score table: ``wide`` (models x tasks, NaN missing), ``families`` (task, family,
    display; None without families) and the :class:`TableReport`."""

    wide: pd.DataFrame
    families: pd.DataFrame | None
    report: TableReport


@dataclass
class _Read:
    """What a format reader found, before the checks."""

    wide: pd.DataFrame
    description: str
    families: pd.Series | None = None
    families_from: str = ""
    metrics: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    dropped_tasks: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_score_table(path: str | Path, format: str | None = None, metric=None, families: str | Path | None = None,
                     min_models: int | None = None) -> ScoreTable:
    """Read and check a user's score table.

    Parameters
    ----------
    path : str or Path
        a file or folder (see the module docstring).
    format : {"wide", "long", "eee", "lm-eval"}, optional
        default: detected (:func:`detect_format`).
    metric : str or list of str, optional
        the metric to read where the input has several per task (long tables with a ``metric``
        column, lm-evaluation-harness results), e.g. ``"acc_norm,none"`` or just ``"acc_norm"``; a
        list is an order of preference. Default for lm-eval: each task's first higher-is-better metric.
    families : str or Path, optional
        a CSV/TSV file with columns ``task`` and ``family`` (and optionally ``display``); it must
        name every task. Default: the table's ``family`` column or the harness groups, if any.
    min_models : int, optional
        the fewest models a task needs (default :func:`default_min_models`; at least :data:`MIN_MODELS`).

    Returns
    -------
    ScoreTable
        ``(wide, families, report)``.

    Raises
    ------
    DataError
        on bad input, with the file and what to do.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    format = format or detect_format(path)
    if format not in FORMATS:
        raise DataError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    preferred = [metric] if isinstance(metric, str) else list(metric or [])
    if preferred and format in ("wide", "eee"):
        raise DataError(f"{path}: --metric applies to long tables with a metric column and to "
                        f"lm-evaluation-harness results, not to {format} input; leave it out")
    read = _READERS[format](path, preferred)
    if families is not None:
        read.families = read_families(families)
        read.families_from = f"the file {Path(families).name}"
    return _check(read, path, format, min_models)


def default_min_models(n_models: int) -> int:
    """The fewest models a task needs by default: half the models, at least 4 and at most 30."""
    return int(min(MIN_MODELS_CAP, max(MIN_MODELS_FLOOR, math.ceil(n_models / 2))))


# ---- formats ---------------------------------------------------------------------------------------

def detect_format(path: Path) -> str:
    """``wide``, ``long``, ``eee`` or ``lm-eval`` from a path's type and content."""
    path = Path(path)
    if path.is_dir():
        harness = sorted(path.rglob("results*.json"))
        if harness and is_harness_results(_json(harness[0])):
            return "lm-eval"
        if any(p.name.endswith((".json", ".jsonl", ".jsonl.gz")) for p in path.rglob("*") if p.is_file()):
            return "eee"
        raise DataError(f"{path}: a folder without lm-evaluation-harness results (results*.json) or "
                        "Every Eval Ever records (.json, .jsonl); pass a table file or name --format")
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "eee"
    if name.endswith(".json"):
        record = _json(path)
        if is_harness_results(record):
            return "lm-eval"
        if isinstance(record, dict) and "evaluation_results" in record:
            return "eee"
        raise DataError(f"{path}: a JSON file that is neither lm-evaluation-harness results nor an "
                        "Every Eval Ever record")
    columns = {str(c).strip().lower() for c in _read_frame(path, header_only=True).columns}
    is_long = columns & set(MODEL_COLUMNS) and columns & set(TASK_COLUMNS) and columns & set(SCORE_COLUMNS)
    return "long" if is_long else "wide"


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None


def _file_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "CSV"
    if suffix in PARQUET_SUFFIXES:
        return "Parquet"
    raise DataError(f"{path}: unknown file type {path.suffix!r}; give a .csv, .tsv or .parquet table, an "
                    "lm-evaluation-harness results folder or Every Eval Ever records")


def _read_frame(path: Path, header_only: bool = False) -> pd.DataFrame:
    """A CSV (every cell as text) or Parquet file as a frame; a named Parquet index becomes a column."""
    kind = _file_kind(path)
    try:
        if kind == "CSV":
            sep = CSV_SUFFIXES[path.suffix.lower()]
            return pd.read_csv(path, sep=sep, engine="python" if sep is None else "c", dtype=str,
                               keep_default_na=False, nrows=0 if header_only else None, skipinitialspace=True)
        frame = pd.read_parquet(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as {kind} ({str(exc).strip().splitlines()[0]})") from None
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
        frame = frame.reset_index()
    return frame.head(0) if header_only else frame


def _line(path: Path, row: int) -> str:
    """Where row ``row`` (0-based, after the header) of a table file is, as a reader finds it."""
    return f"line {row + 2}" if _file_kind(path) == "CSV" else f"row {row + 1}"


def _column(frame: pd.DataFrame, names, path: Path, what: str, required: bool = True) -> str | None:
    """The first column whose name (case-insensitive) is one of ``names``."""
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for name in names:
        if name in lower:
            return lower[name]
    if required:
        raise DataError(f"{path}: no {what} column (one of {', '.join(names)})")
    return None


def _numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Cells as floats (NaN for empty or missing markers) and a mask of cells that are not numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isfinite(numbers), numbers, np.nan), ~np.isnan(numbers) & ~np.isfinite(numbers)
    text = values.astype("string").str.strip().fillna("")
    missing = text.str.lower().isin(MISSING_MARKERS).to_numpy()
    parsed = pd.to_numeric(text.str.removesuffix("%").mask(missing), errors="coerce").to_numpy(dtype=float)
    bad = ~missing & ~np.isfinite(parsed)
    return np.where(bad, np.nan, parsed), bad


def _model_names(values: pd.Series, path: Path) -> pd.Index:
    names = values.astype("string").str.strip()
    empty = np.flatnonzero(names.isna() | (names == ""))
    if len(empty):
        raise DataError(f"{path}, {_line(path, int(empty[0]))}: no model name; every row needs one")
    return pd.Index(names.astype(str), name="model")


def _read_wide(path: Path, preferred) -> _Read:
    frame = _read_frame(path)
    kind = _file_kind(path)
    model_col = _column(frame, MODEL_COLUMNS, path, "model", required=False)
    if model_col is None:
        first = frame.columns[0] if len(frame.columns) else None
        if first is None or not _numbers(frame[first])[1].any():
            raise DataError(f"{path}: no model column; name the column of model names `model` "
                            "(a wide table has one row per model and one numeric column per task)")
        model_col = first
    models = _model_names(frame[model_col], path)
    repeated = models[models.duplicated()].unique()
    if len(repeated):
        rows = np.flatnonzero(models == repeated[0])
        raise DataError(f"{path}: model {repeated[0]!r} appears {len(rows)} times ("
                        f"{', '.join(_line(path, int(r)) for r in rows[:3])}); each model needs one row: "
                        "keep one, or average the repeats yourself")
    columns, ignored = {}, []
    for column in frame.columns:
        if column == model_col:
            continue
        values, bad = _numbers(frame[column])
        present = (~np.isnan(values)).sum() + bad.sum()
        if bad.any() and bad.sum() * 2 > present:
            ignored.append(str(column))       # mostly text: a label column, not a task
            continue
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"{path}, {_line(path, row)} (model {models[row]!r}), column {str(column)!r}: "
                            f"{frame[column].iloc[row]!r} is not a number; write the score as a number, "
                            "or leave the cell empty when it is missing")
        columns[str(column).strip()] = values
    if not columns:
        raise DataError(f"{path}: no numeric task columns (columns {', '.join(map(str, frame.columns))}); a wide "
                        "table has one row per model and one numeric column per task")
    wide = pd.DataFrame(columns, index=models)
    if wide.columns.has_duplicates:
        raise DataError(f"{path}: task column {wide.columns[wide.columns.duplicated()][0]!r} appears twice")
    return _Read(wide=wide, description=f"a wide {kind} file", ignored_columns=ignored)


def _read_long(path: Path, preferred) -> _Read:
    frame = _read_frame(path)
    kind = _file_kind(path)
    model_col = _column(frame, MODEL_COLUMNS, path, "model")
    task_col = _column(frame, TASK_COLUMNS, path, "task")
    score_col = _column(frame, SCORE_COLUMNS, path, "score")
    family_col = _column(frame, ("family",), path, "family", required=False)
    metric_col = _column(frame, ("metric",), path, "metric", required=False)
    models = _model_names(frame[model_col], path)
    tasks = frame[task_col].astype("string").str.strip()
    scores, bad = _numbers(frame[score_col])
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{path}, {_line(path, row)} (model {models[row]!r}, task {tasks.iloc[row]!r}), column "
                        f"{str(score_col)!r}: {frame[score_col].iloc[row]!r} is not a number; write the score as "
                        "a number, or leave the cell empty when it is missing")
    long = pd.DataFrame({"row": np.arange(len(frame)), "model": models, "task": tasks.fillna(""),
                         "score": scores})
    read = _Read(wide=pd.DataFrame(), description=f"a long {kind} file")
    if metric_col is not None:
        long["metric"] = frame[metric_col].astype("string").str.strip().fillna("").to_numpy()
        chosen, dropped = choose_metrics(long[["task", "metric"]], preferred, require_choice=True, path=path)
        long = long[long["metric"] == long["task"].map(chosen)]
        read.metrics, read.dropped_tasks = chosen, dropped
    elif preferred:
        raise DataError(f"{path}: --metric needs a `metric` column; this table has none")
    if (long["task"] == "").any():
        row = int(long.loc[long["task"] == "", "row"].iloc[0])
        raise DataError(f"{path}, {_line(path, row)}: no task name; every row needs one")
    long = long[np.isfinite(long["score"])]
    repeats = long[long.duplicated(["model", "task"], keep=False)]
    conflicting = repeats.groupby(["model", "task"])["score"].nunique()
    if (conflicting > 1).any():
        model, task = conflicting[conflicting > 1].index[0]
        rows = repeats.loc[(repeats["model"] == model) & (repeats["task"] == task), "row"]
        raise DataError(f"{path}: model {model!r} has several different scores for task {task!r} ("
                        f"{', '.join(_line(path, int(r)) for r in rows[:3])}); each model needs one score per "
                        "task: keep one")
    long = long.drop_duplicates(["model", "task"])
    if family_col is not None:
        families = _families_from_column(frame.loc[long["row"], [task_col, family_col]], path)
        alone = [t for t in pd.unique(long["task"]) if t not in families.index]
        if alone:
            families = pd.concat([families, pd.Series(alone, index=alone, dtype=str)])
            read.notes.append(f"{len(alone)} tasks without a family ({', '.join(alone[:3])}) are each their own family")
        read.families = families
        read.families_from = f"the column {str(family_col)!r}"
    read.wide = _pivot(long)
    return read


def _pivot(long: pd.DataFrame) -> pd.DataFrame:
    """model, task, score rows -> models x tasks (order of first appearance)."""
    wide = long.pivot(index="model", columns="task", values="score")
    wide = wide.reindex(index=pd.unique(long["model"]), columns=pd.unique(long["task"])).astype(float)
    wide.index = pd.Index([str(m) for m in wide.index], name="model")
    wide.columns = pd.Index([str(t) for t in wide.columns])
    return wide


def _families_from_column(rows: pd.DataFrame, path: Path) -> pd.Series:
    task_col, family_col = rows.columns
    table = pd.DataFrame({"task": rows[task_col].astype("string").str.strip(),
                          "family": rows[family_col].astype("string").str.strip().replace("", pd.NA)})
    table = table.drop_duplicates()
    conflicting = table.dropna().groupby("task")["family"].nunique()
    if (conflicting > 1).any():
        task = conflicting[conflicting > 1].index[0]
        found = sorted(table.loc[table["task"] == task, "family"].dropna())
        raise DataError(f"{path}: task {task!r} is given several families ({', '.join(found)}); give each task one")
    families = table.dropna().drop_duplicates("task").set_index("task")["family"]
    return families.astype(str)


def _read_eee(path: Path, preferred) -> _Read:
    results = read_eee(path)
    read = _Read(wide=pd.DataFrame(), description="Every Eval Ever records")
    if results["tab"].notna().any():
        results = results[results["tab"].isna() | (results["tab"] == EEE_MAIN_TAB)]
        read.notes.append(f"only the {EEE_MAIN_TAB!r} tab of the records is read (HELM's score tab)")
    results = results[results["evaluation_name"] != EEE_RANK]
    lower = sorted(results.loc[results["lower_is_better"], "evaluation_name"].unique())
    if lower:
        read.dropped_tasks += [{"task": t, "n_models": int((results["evaluation_name"] == t).sum()),
                                "reason": "lower scores are better"} for t in lower]
        results = results[~results["lower_is_better"]]
    out_of_range = ((results["min_score"].notna() & (results["score"] < results["min_score"]))
                    | (results["max_score"].notna() & (results["score"] > results["max_score"])))
    if out_of_range.any():
        read.notes.append(f"{_count(int(out_of_range.sum()), 'result')} outside the declared score range (HELM "
                          "writes -1 where a model was not run) read as missing")
        results = results[~out_of_range]
    rows = pd.DataFrame({"model": results["model_id"].astype(str), "task": results["evaluation_name"].astype(str),
                         "score": results["score"].astype(float),
                         "date": results["retrieved_timestamp"].astype("string").fillna(""),
                         "where": results["file"] + ", line " + results["line"].astype("string").fillna("-")})
    read.wide, superseded = _latest(rows, path)
    if superseded:
        read.notes.append(f"{_count(superseded, 'score')} superseded by later records of the same model")
    return read


def _read_lm_eval(path: Path, preferred) -> _Read:
    rows = read_lm_eval(path)
    chosen, dropped = choose_metrics(rows[["task", "metric", "higher_is_better"]], preferred, path=path)
    rows = rows[rows["metric"] == rows["task"].map(chosen)]
    read = _Read(wide=pd.DataFrame(), description="lm-evaluation-harness results", metrics=chosen,
                 dropped_tasks=dropped)
    lower = sorted(t for t, m in chosen.items()
                   if (rows.loc[rows["task"] == t, "higher_is_better"] == False).any())  # noqa: E712
    if lower:
        read.warnings.append(f"lower scores are better on {', '.join(lower)} (metric given with --metric); "
                             "their correlations with the other tasks have the opposite sign")
    parents = rows.drop_duplicates("task").set_index("task")["parent"]
    if parents.notna().any():
        read.families = parents.fillna(pd.Series(parents.index, index=parents.index)).astype(str)
        read.families_from = "the lm-evaluation-harness groups (a stand-alone task is its own family)"
    frame = pd.DataFrame({"model": rows["model"], "task": rows["task"], "score": rows["score"],
                          "date": rows["date"], "where": rows["file"]})
    read.wide, superseded = _latest(frame, path)
    if superseded:
        read.notes.append(f"{_count(superseded, 'score')} of earlier runs superseded by later runs of the same model")
    files = frame["where"].nunique()
    read.notes.append(f"read {files:,} result file{'s' if files != 1 else ''} of {read.wide.shape[0]:,} models")
    return read


def _latest(rows: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, int]:
    """One score per (model, task): the latest ``date``; refuses two different scores of the same date."""
    rows = rows.sort_values("date", kind="stable")
    last = rows.drop_duplicates(["model", "task"], keep="last")
    ties = rows[rows.duplicated(["model", "task", "date"], keep=False)]
    conflicting = ties.groupby(["model", "task", "date"])["score"].nunique()
    if (conflicting > 1).any():
        model, task, _ = conflicting[conflicting > 1].index[0]
        where = ties.loc[(ties["model"] == model) & (ties["task"] == task), "where"]
        raise DataError(f"{path}: model {model!r} has different scores for {task!r} in "
                        f"{' and '.join(pd.unique(where)[:2])}, with nothing saying which is later; "
                        "keep one of them")
    return _pivot(last.sort_index()), len(rows) - len(last)


def choose_metrics(rows: pd.DataFrame, preferred: list[str], *, require_choice: bool = False,
                   path: Path | None = None) -> tuple[dict[str, str], list[dict]]:
    """The metric to read for each task, and the tasks that have none of the wanted metrics.

    Parameters
    ----------
    rows : DataFrame
        ``task``, ``metric`` and optionally ``higher_is_better`` (True/False/NA), one row per score.
    preferred : list of str
        metrics in order of preference; ``acc_norm`` matches ``acc_norm,none``. Empty: each task's
        first metric (in the order of the rows) that is not lower-is-better.
    require_choice : bool
        refuse tasks with several metrics when ``preferred`` is empty (a long table must say which).

    Returns
    -------
    (dict, list)
        task -> metric, and one ``{"task", "n_models", "reason"}`` dict per task left without a metric.
    """
    chosen, dropped = {}, []
    better = rows["higher_is_better"] if "higher_is_better" in rows else pd.Series(pd.NA, index=rows.index)
    for task, group in rows.groupby("task", sort=False):
        metrics = list(pd.unique(group["metric"]))
        if preferred:
            pick = next((m for p in preferred for m in metrics if m == p or m.split(",", 1)[0] == p), None)
            reason = f"no metric {' or '.join(preferred)}"
        elif require_choice and len(metrics) > 1:
            raise DataError(f"{path}: several metrics per task ({', '.join(map(str, metrics[:6]))}); choose one "
                            "with --metric")
        else:
            lower = set(group.loc[better.loc[group.index].fillna(True) == False, "metric"])  # noqa: E712
            pick = next((m for m in metrics if m not in lower), None)
            reason = "only lower-is-better metrics"
        if pick is None:
            dropped.append({"task": str(task), "n_models": int(group.shape[0]), "reason": reason})
        else:
            chosen[str(task)] = str(pick)
    if not chosen:
        raise DataError(f"{path}: no task has the metric {' or '.join(preferred) or 'asked for'}; metrics found: "
                        f"{', '.join(map(str, pd.unique(rows['metric'])[:8]))}")
    return chosen, dropped


_READERS = {"wide": _read_wide, "long": _read_long, "eee": _read_eee, "lm-eval": _read_lm_eval}


def read_families(path: str | Path) -> pd.Series:
    """Task -> family from a CSV/TSV file with columns ``task`` and ``family``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"--families {path}: no such file; give a CSV with columns task,family")
    frame = _read_frame(path)
    task_col = _column(frame, ("task",), path, "task")
    family_col = _column(frame, ("family",), path, "family")
    families = _families_from_column(frame[[task_col, family_col]], path)
    if families.empty:
        raise DataError(f"{path}: no task has a family")
    return families


# ---- checks ----------------------------------------------------------------------------------------

def _check(read: _Read, path: Path, format: str, min_models: int | None) -> ScoreTable:
    wide = read.wide
    report = TableReport(source=str(path), format=format, description=read.description,
                         n_models_read=int(wide.shape[0]), n_tasks_read=int(wide.shape[1]) + len(read.dropped_tasks),
                         dropped_tasks=list(read.dropped_tasks), ignored_columns=read.ignored_columns,
                         metrics=read.metrics, families_from=read.families_from,
                         warnings=list(read.warnings), notes=list(read.notes))
    n_scored = int(wide.notna().any(axis=1).sum())
    if n_scored < MIN_MODELS or wide.shape[1] < MIN_TASKS:
        raise DataError(f"{path}: {_count(n_scored, 'model')} with a score and {_count(wide.shape[1], 'task')}; "
                        f"the report needs at least {MIN_MODELS} models and {MIN_TASKS} tasks")
    if min_models is None:
        min_models = default_min_models(n_scored)
    if min_models < MIN_MODELS:
        raise DataError(f"min_models must be at least {MIN_MODELS}, got {min_models}")
    report.min_models = int(min_models)
    wide = _drop_tasks(wide, report)
    kept = wide.notna().any(axis=1)
    report.dropped_models = [str(m) for m in wide.index[~kept]]
    wide = wide.loc[kept]
    if wide.shape[0] < MIN_MODELS or wide.shape[1] < MIN_TASKS:
        dropped = (f" (dropped {_count(len(report.dropped_tasks), 'task')}: {_dropped_text(report)})"
                   if report.dropped_tasks else "")
        raise DataError(f"{path}: {_count(wide.shape[0], 'model')} and {_count(wide.shape[1], 'task')} are left after "
                        f"the checks{dropped}; the report needs at least {MIN_MODELS} models and {MIN_TASKS} tasks, "
                        f"each task scored for at least {min_models} models")
    report.n_models, report.n_tasks = int(wide.shape[0]), int(wide.shape[1])
    report.scales = score_scales(wide).to_dict()
    fractions = [t for t, s in report.scales.items() if s == "fraction"]
    percents = [t for t, s in report.scales.items() if s == "percent"]
    if fractions and percents:
        report.warnings.append(
            f"the scores look like fractions (0-1) on {len(fractions)} tasks (e.g. {fractions[0]}) and like "
            f"percentages (0-100) on {len(percents)} (e.g. {percents[0]}); correlations do not depend on the scale, "
            "but check that each task is scored as intended")
    families = _family_table(read.families, list(wide.columns), path) if read.families is not None else None
    return ScoreTable(wide=wide, families=families, report=report)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _dropped_text(report: TableReport) -> str:
    return "; ".join(f"{d['task']}: {d['reason']}" for d in report.dropped_tasks[:3]) + (
        " ..." if len(report.dropped_tasks) > 3 else "")


def _drop_tasks(wide: pd.DataFrame, report: TableReport) -> pd.DataFrame:
    """Drop tasks with too few models, constant tasks, then tasks sharing too few models with another."""
    m = report.min_models
    counts = wide.notna().sum()
    spread = wide.max() - wide.min()
    for task in wide.columns:
        if counts[task] < m:
            report.dropped_tasks.append({"task": str(task), "n_models": int(counts[task]),
                                         "reason": f"scored for {_count(int(counts[task]), 'model')}, fewer than {m}"})
        elif not spread[task] > 0:
            report.dropped_tasks.append({"task": str(task), "n_models": int(counts[task]),
                                         "reason": "every model has the same score"})
    wide = wide.drop(columns=[d["task"] for d in report.dropped_tasks if d["task"] in wide.columns])
    present = wide.notna().to_numpy(dtype=float)
    tasks = list(wide.columns)
    while len(tasks) > 1:
        shared = present.T @ present
        short = (shared < m).sum(axis=0)
        if not short.any():
            break
        worst = int(np.argmax(short))
        others = _count(int(short[worst]), "other task")
        report.dropped_tasks.append({"task": str(tasks[worst]), "n_models": int(shared[worst, worst]),
                                     "reason": f"shares fewer than {m} models with {others}"})
        present = np.delete(present, worst, axis=1)
        del tasks[worst]
    return wide[tasks]


def score_scales(wide: pd.DataFrame) -> pd.Series:
    """Each task's scale: ``fraction`` (within 0-1), ``percent`` (within 0-100, above 1) or ``other``."""
    low, high = wide.min(), wide.max()
    scale = np.where((low >= 0) & (high <= 1), "fraction", np.where((low >= 0) & (high <= 100), "percent", "other"))
    return pd.Series(scale, index=wide.columns, name="scale")


def unit_scores(wide: pd.DataFrame, scales: dict[str, str]) -> pd.DataFrame:
    """Scores on a common 0-1 scale: fractions as they are, percentages / 100, other tasks min-max scaled,
    so that one tolerance (e.g. 0.01, one point in a hundred) means the same on every task."""
    out = wide.astype(float).copy()
    for task in out.columns:
        kind = scales.get(task, "other")
        if kind == "percent":
            out[task] = out[task] / 100.0
        elif kind == "other":
            low, high = out[task].min(), out[task].max()
            out[task] = (out[task] - low) / (high - low)
    return out


def _family_table(families: pd.Series, tasks: list[str], path: Path) -> pd.DataFrame:
    missing = [t for t in tasks if t not in families.index]
    if missing:
        raise DataError(f"{path}: no family for task(s) {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}; "
                        "give every task a family (a row task,family in the --families file)")
    return pd.DataFrame({"task": tasks, "family": [str(families[t]) for t in tasks], "display": tasks})


# ---- a checked table on disk (how the report template receives it) --------------------------------

def save_score_table(table: ScoreTable, folder: str | Path) -> Path:
    """Write a checked table to ``folder``: scores.parquet, families.csv (when any) and table.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wide = table.wide.copy()
    wide.columns = [str(c) for c in wide.columns]
    wide.to_parquet(folder / SAVED_FILES[0])
    if table.families is not None:
        table.families.to_csv(folder / SAVED_FILES[1], index=False)
    (folder / SAVED_FILES[2]).write_text(json.dumps(asdict(table.report), indent=1, ensure_ascii=False))
    return folder


def load_score_table(folder: str | Path) -> ScoreTable:
    """The table :func:`save_score_table` wrote to ``folder``."""
    folder = Path(folder)
    try:
        wide = pd.read_parquet(folder / SAVED_FILES[0])
        report = TableReport(**json.loads((folder / SAVED_FILES[2]).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise DataError(f"{folder}: not a saved score table ({exc}); write it with save_score_table") from None
    path = folder / SAVED_FILES[1]
    families = pd.read_csv(path, dtype=str, keep_default_na=False) if path.is_file() else None
    return ScoreTable(wide=wide, families=families, report=report)
