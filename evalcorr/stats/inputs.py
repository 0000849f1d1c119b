"""Checks of the tables that the public statistics accept: a models x tasks score matrix and a
task -> family mapping. Each raises an EvalcorrError that names the argument and says what to pass."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError


def score_matrix(wide: pd.DataFrame, name: str = "wide") -> np.ndarray:
    """The float values of a models x tasks frame, after checking it is one."""
    if not isinstance(wide, pd.DataFrame):
        raise EvalcorrError(f"`{name}` must be a DataFrame of models x tasks, got {type(wide).__name__}")
    if wide.columns.has_duplicates:
        dup = sorted(set(wide.columns[wide.columns.duplicated()]))
        raise EvalcorrError(f"`{name}` has duplicated task columns {dup}; each task must appear once")
    try:
        return wide.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise EvalcorrError(f"`{name}` must hold numeric scores (NaN for missing): {err}") from err


def family_series(families, tasks=None) -> pd.Series:
    """Task -> family as a Series, from a Series or from the families table (columns task, family).

    Parameters
    ----------
    families : Series or DataFrame
        a Series indexed by task id, or a DataFrame with ``task`` and ``family`` columns (the table
        ``evalcorr.load_families(source)`` returns).
    tasks : iterable of str, optional
        tasks that must all have a family; a clear error names the ones missing.
    """
    if isinstance(families, pd.DataFrame):
        missing = {"task", "family"} - set(families.columns)
        if missing:
            raise EvalcorrError(f"`families` table lacks columns {sorted(missing)}; pass a Series task -> family "
                                "or the table evalcorr.load_families(source) returns")
        table = families[["task", "family"]].drop_duplicates()
        conflicting = table["task"][table["task"].duplicated()]
        if len(conflicting):
            raise EvalcorrError(f"`families` gives several families for tasks {sorted(set(conflicting))[:5]}; "
                                "pass the table of one source, evalcorr.load_families(source)")
        families = table.set_index("task")["family"]
    elif not isinstance(families, pd.Series):
        raise EvalcorrError(f"`families` must be a Series task -> family or a DataFrame, got {type(families).__name__}")
    families = families.rename("family")
    if tasks is not None:
        absent = [t for t in tasks if t not in families.index]
        if absent:
            raise EvalcorrError(f"`families` has no family for tasks {absent[:5]}"
                                f"{' ...' if len(absent) > 5 else ''}; add them to data/families.csv or drop them")
    return families
