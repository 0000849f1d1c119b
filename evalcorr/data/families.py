"""Eval families as data: data/families.csv maps every task of every scores source to its
benchmark, family, subfamily, short display name and level.

Conventions of the table:

* Open LLM Leaderboard tasks (open-llm-leaderboard-v2, hf-open-llm-v2, sloth, obsscaling,
  ibm-benchbench): families BBH, MATH, GPQA, MuSR, IFEval, MMLU-Pro, ARC; the BBH subfamilies
  ``logical_deduction`` and ``tracking_shuffled_objects`` group the 3/5/7-object variants.
* MMLU subjects (helm-mmlu, sloth): the category grouping of Hendrycks et al. (``categories.py``
  of hendrycks/test): family ``MMLU STEM`` (18 subjects), ``MMLU humanities`` (13), ``MMLU social
  sciences`` (12), ``MMLU other`` (14); subfamily = the subject's Hendrycks subcategory (physics,
  health, law, ...). The subfamily ``math`` is exactly abstract_algebra, college_mathematics,
  elementary_mathematics, high_school_mathematics and high_school_statistics (formal_logic is
  philosophy, econometrics economics, machine_learning computer science).
* LiveBench: family = the task's category in the release categories files (the same in every
  release; "IF" written out as "Instruction following").
* HELM scenarios and the other sources: a capability family (Knowledge, Reading comprehension,
  Math, Commonsense, Coding, Agents, ...).
* ``level`` is ``aggregate`` for published group or overall scores, ``task`` for the finest
  results a source publishes.

>>> from evalcorr.data.families import load_families
>>> fam = load_families("helm-mmlu")                                  # doctest: +SKIP
>>> fam.set_index("task").loc["abstract_algebra", ["family", "subfamily"]].tolist()  # doctest: +SKIP
['MMLU STEM', 'math']
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from evalcorr.data.locations import PROJECT_ROOT
from evalcorr.errors import DataError

FAMILIES_CSV = PROJECT_ROOT / "data" / "families.csv"
COLUMNS = ("source", "task", "benchmark", "family", "subfamily", "display", "level")
JOINED = ("benchmark", "family", "subfamily", "display", "level")
LEVELS = ("task", "aggregate")


@lru_cache(maxsize=4)
def _read(path: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype="str", keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"the families table {path} is missing; it is part of the repository "
                        "(data/families.csv): restore it from git") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; the table needs {list(COLUMNS)}")
    table = table[list(COLUMNS)]
    for col in ("source", "task", "benchmark", "family", "display", "level"):
        if (table[col] == "").any():
            rows = table.index[table[col] == ""][:5].tolist()
            raise DataError(f"{path}: empty {col!r} in row(s) {rows}; fill it in")
    bad = sorted(set(table["level"]) - set(LEVELS))
    if bad:
        raise DataError(f"{path}: unknown level(s) {bad}; use one of {list(LEVELS)}")
    dup = table.duplicated(["source", "task"], keep=False)
    if dup.any():
        raise DataError(f"{path}: duplicated (source, task) rows:\n"
                        f"{table.loc[dup, ['source', 'task']].to_string()}\nkeep one row per task")
    return table


def load_families(source_id: str | None = None, *, path: str | Path | None = None) -> pd.DataFrame:
    """The families table, for one source or all of them.

    Parameters
    ----------
    source_id : str, optional
        Keep only this source's rows; an unknown source is an error.
    path : path, optional
        Another families table (tests); default data/families.csv of the repository.

    Returns
    -------
    DataFrame with columns source, task, benchmark, family, subfamily, display, level (text;
    subfamily is "" where there is none).
    """
    table = _read(str(path or FAMILIES_CSV)).copy()
    if source_id is not None:
        table = table[table["source"] == source_id].reset_index(drop=True)
        if table.empty:
            raise DataError(f"no rows for source {source_id!r} in {path or FAMILIES_CSV}; "
                            "add its tasks to the families table")
    return table


def tasks_in(families: pd.DataFrame, benchmarks) -> list[str]:
    """Leaf-task ids of a families table that belong to the given benchmarks, in table order."""
    benchmarks = [benchmarks] if isinstance(benchmarks, str) else list(benchmarks)
    return list(families.loc[families["benchmark"].isin(benchmarks) & (families["level"] == "task"), "task"])


def join_families(df: pd.DataFrame, source_id: str, *, path: str | Path | None = None) -> pd.DataFrame:
    """Add benchmark, family, subfamily, display and level to a frame with a ``task`` column.

    Columns of those names already in ``df`` are replaced. A task without a row in the
    families table is an error that lists the missing tasks, so the table stays complete.
    """
    table = load_families(source_id, path=path).drop(columns="source").set_index("task")
    tasks = pd.Index(df["task"].unique())
    missing = tasks.difference(table.index)
    if len(missing):
        shown = ", ".join(map(repr, missing[:20])) + (" ..." if len(missing) > 20 else "")
        raise DataError(f"source {source_id!r}: {len(missing)} task(s) have no row in "
                        f"{path or FAMILIES_CSV}: {shown}; add a row (source, task, benchmark, "
                        "family, subfamily, display, level) for each")
    out = df.drop(columns=[c for c in JOINED if c in df.columns])
    joined = table.loc[out["task"].to_numpy(), list(JOINED)].reset_index(drop=True)
    joined.index = out.index
    return pd.concat([out, joined], axis=1)
