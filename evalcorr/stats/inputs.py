"""Checks of the tables that the public statistics accept: a models x tasks score matrix and a
task -> family mapping. Each raises an EvalcorrError that names the argument and says what to pass."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError


def duplicated_models(index: pd.Index, name: str, caller: str = "") -> None:
    """Refuse an index that lists a model twice: every statistic would count it twice."""
    if index.has_duplicates:
        dup = list(dict.fromkeys(index[index.duplicated()]))
        raise EvalcorrError(f"{caller}`{name}` has duplicated model rows ({len(dup)} labels, e.g. "
                            f"{', '.join(map(repr, dup[:3]))}); each model must appear once, or it counts as several: "
                            f"drop or aggregate them first (e.g. {name}.groupby(level=0).mean())")


def score_matrix(wide: pd.DataFrame, name: str = "wide") -> np.ndarray:
    """The float values of a models x tasks frame, after checking it is one.

    Refused: duplicated task columns or model rows, non-numeric cells, and infinite scores (an
    error naming the cell; a missing score is NaN).
    """
    if not isinstance(wide, pd.DataFrame):
        raise EvalcorrError(f"`{name}` must be a DataFrame of models x tasks, got {type(wide).__name__}")
    if wide.columns.has_duplicates:
        dup = sorted(set(wide.columns[wide.columns.duplicated()]))
        raise EvalcorrError(f"`{name}` has duplicated task columns {dup}; each task must appear once")
    duplicated_models(wide.index, name)
    try:
        values = wide.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise EvalcorrError(f"`{name}` must hold numeric scores (NaN for missing): {err}") from err
    infinite = np.argwhere(np.isinf(values))
    if len(infinite):
        row, column = infinite[0]
        raise EvalcorrError(f"`{name}` holds an infinite score at model {wide.index[row]!r}, task "
                            f"{wide.columns[column]!r} ({len(infinite)} infinite cell(s) in all); use NaN for a "
                            "missing score")
    return values


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


def has_family_structure(families) -> bool:
    """Whether families can split pairs into within and between: at least two families, one of which
    has at least two tasks (a table of one family, or of one task per family, cannot)."""
    if families is None:
        return False
    sizes = family_series(families).value_counts()
    return len(sizes) >= 2 and int(sizes.max()) >= 2
