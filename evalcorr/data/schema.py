"""The two tidy schemas (scores, transfer) and their validation.

Every parser's output passes through :func:`validate_scores` or :func:`validate_transfer` before it
is cached. A violation raises :class:`evalcorr.errors.DataError` whose message names the source (and
the file where known) and says what to do. Duplicated keys are never resolved silently: a parser that
expects them calls :func:`resolve_duplicates` with an explicit policy and reports what was dropped.

>>> from evalcorr.data.schema import SCORES_COLUMNS, SCORES_KEY
>>> SCORES_KEY
('source', 'snapshot', 'model', 'task', 'metric')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.data.manifest import Scale, get_source
from evalcorr.errors import DataError

# column -> kind: "str" (non-empty text), "str?" (text, may be empty ""), "cat?" (text or NA),
# "float" (finite number), "float?" (number or NA), "Int64?" (nullable integer)
SCORES_COLUMNS: dict[str, str] = {
    "source": "str",
    "snapshot": "str",
    "model": "str",
    "task": "str",
    "benchmark": "str",
    "family": "str",
    "subfamily": "str?",
    "display": "str",
    "level": "str",
    "metric": "str",
    "score": "float",
    "scale": "str",
    "n_items": "Int64?",
    "params_b": "float?",
    "architecture": "cat?",
    "precision": "cat?",
    "base_family": "cat?",
    "base_model": "cat?",        # the base model a fine-tune starts from (its lineage), where a source says
    "model_type": "cat?",
    "pretrain_tokens_t": "float?",
    "flops_1e21": "float?",
}
SCORES_KEY = ("source", "snapshot", "model", "task", "metric")

TRANSFER_COLUMNS: dict[str, str] = {
    "source": "str",
    "model": "str",
    "setting": "str",
    "train_task": "str?",
    "eval_task": "str",
    "stage": "str",
    "metric": "str",
    "value": "float",
    "n_items": "Int64?",   # items each accuracy was scored on (NA where the source does not say)
    "seed": "Int64?",      # the run's seed where a source has several runs per cell (NA: one run, or a
                           # released summary over runs)
}
TRANSFER_KEY = ("source", "model", "setting", "train_task", "eval_task", "stage", "metric", "seed")

LEVELS = ("task", "aggregate")

# The valid range of every scale (scores) and metric (transfer) is declared per source, under
# `scales:` in data/manifest.yaml (evalcorr.data.manifest.Scale); an undeclared one is an error.

POLICIES = ("error", "keep-first", "keep-last", "mean", "max")


def _where(source_id: str, path) -> str:
    return f"source {source_id!r}" + (f" (file {path})" if path else "")


def _check_columns(df: pd.DataFrame, columns: dict[str, str], where: str, schema: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{where}: the parser returned {type(df).__name__}, not a DataFrame; "
                        "fix the parser so it returns the tidy frame")
    missing = [c for c in columns if c not in df.columns]
    unknown = [c for c in df.columns if c not in columns]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if unknown:
            parts.append(f"unknown column(s) {unknown}")
        raise DataError(f"{where}: {' and '.join(parts)} in the tidy {schema} table; "
                        f"the schema (docs/architecture.md) has exactly {list(columns)}")
    if df.empty:
        raise DataError(f"{where}: the tidy {schema} table is empty; check that the input file "
                        "holds data and that the parser reads the right columns")


def _check_dtypes(df: pd.DataFrame, columns: dict[str, str], where: str, allow_nan: set[str]) -> None:
    for col, kind in columns.items():
        s = df[col]
        if kind.startswith("float") or kind.startswith("Int64"):
            if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
                raise DataError(f"{where}: column {col!r} must be numeric, found dtype {s.dtype}; "
                                "convert it in the parser (pd.to_numeric)")
            if kind.startswith("Int64") and not isinstance(s.dtype, pd.Int64Dtype):
                raise DataError(f"{where}: column {col!r} must have dtype Int64 (nullable integer), "
                                f"found {s.dtype}; use .astype('Int64') in the parser")
            values = s.to_numpy(dtype="float64", na_value=np.nan)
            if np.isinf(values).any():
                raise DataError(f"{where}: column {col!r} holds infinite values; fix the parser")
            if kind == "float" and col not in allow_nan and np.isnan(values).any():
                bad = df.loc[np.isnan(values)].head(3)
                raise DataError(f"{where}: {int(np.isnan(values).sum())} NaN value(s) in {col!r}, e.g.\n"
                                f"{bad.to_string()}\nmissing results are absent rows in the tidy "
                                "table: drop them in the parser")
        else:
            if not pd.api.types.is_string_dtype(s) or pd.api.types.is_numeric_dtype(s):
                raise DataError(f"{where}: column {col!r} must hold text, found dtype {s.dtype}; "
                                "convert it in the parser (.astype('str'))")
            if kind == "cat?":
                continue
            if s.isna().any():
                raise DataError(f"{where}: column {col!r} has {int(s.isna().sum())} missing value(s); "
                                + ("use '' for 'none'" if kind == "str?" else "every row needs one"))
            if kind == "str" and (s == "").any():
                raise DataError(f"{where}: column {col!r} has {int((s == '').sum())} empty value(s); "
                                "every row needs one")


def _check_range(values: pd.Series, lo: float, hi: float, where: str, what: str,
                 df: pd.DataFrame) -> None:
    bad = (values < lo) | (values > hi)
    if bad.any():
        rows = df.loc[bad[bad].index].head(5)
        raise DataError(f"{where}: {int(bad.sum())} {what} outside its declared range [{lo}, {hi}], e.g.\n"
                        f"{rows.to_string()}\ncheck the scale (percent vs fraction) in the parser or "
                        "declare the right scale/metric")


def _scales_of(source_id: str, scales) -> tuple[Scale, ...]:
    return tuple(get_source(source_id).scales if scales is None else scales)


def _check_ranges(df: pd.DataFrame, column: str, by: list[str], scales: tuple[Scale, ...], where: str) -> None:
    """Every value of `column` inside the declared range of its scale (the first of `by`; a second
    column, the stage, selects a range declared by stage)."""
    for key, part in df.groupby(by, sort=False):
        name, stage = (key if isinstance(key, tuple) else (key,)) + (None,) * (2 - len(by))
        bounds = next(((sc.low, sc.high) for sc in scales if sc.name == name and sc.stage in (None, stage)), None)
        what = f"{by[0]} {name!r}" + (f" at stage {stage!r}" if stage is not None else "")
        if bounds is None:
            declared = sorted({sc.name + (f" ({sc.stage})" if sc.stage else "") for sc in scales})
            raise DataError(f"{where}: {what} has no declared valid range (declared: {declared or 'none'}); "
                            "declare it under `scales:` in the source's entry of data/manifest.yaml")
        _check_range(part[column], *bounds, where, f"{column}(s) of {what}", part)


def _check_key(df: pd.DataFrame, key: tuple[str, ...], where: str) -> None:
    dup = df.duplicated(list(key), keep=False)
    if dup.any():
        rows = df.loc[dup, list(key)].head(6)
        raise DataError(f"{where}: {int(df.duplicated(list(key)).sum())} duplicated key(s) "
                        f"{list(key)}, e.g.\n{rows.to_string()}\nchoose an explicit policy with "
                        "evalcorr.data.schema.resolve_duplicates(df, key, policy=...) in the parser "
                        "and report what it drops")


def validate_scores(df: pd.DataFrame, source_id: str, path=None, scales=None) -> pd.DataFrame:
    """Check a tidy scores frame; return it unchanged or raise DataError.

    Checks: exactly the columns of :data:`SCORES_COLUMNS` with their dtypes, a non-empty table,
    no NaN scores (missing results are absent rows), each score inside the declared range of its
    ``scale`` (`scales`, default the source's ``scales`` in data/manifest.yaml), ``level`` in
    :data:`LEVELS`, one ``source`` value equal to ``source_id``, and no duplicated :data:`SCORES_KEY`.
    `path` names the file(s) in messages.
    """
    where = _where(source_id, path)
    _check_columns(df, SCORES_COLUMNS, where, "scores")
    _check_dtypes(df, SCORES_COLUMNS, where, allow_nan=set())
    _check_source(df, source_id, where)
    bad_levels = sorted(set(df["level"]) - set(LEVELS))
    if bad_levels:
        raise DataError(f"{where}: unknown level(s) {bad_levels}; use one of {list(LEVELS)} "
                        "(fix data/families.csv)")
    _check_ranges(df, "score", ["scale"], _scales_of(source_id, scales), where)
    _check_key(df, SCORES_KEY, where)
    return df


def validate_transfer(df: pd.DataFrame, source_id: str, path=None, scales=None) -> pd.DataFrame:
    """Check a tidy transfer frame; return it unchanged or raise DataError.

    Checks: exactly the columns of :data:`TRANSFER_COLUMNS` with their dtypes, a non-empty table,
    no NaN values, values inside the declared range of their metric (and stage, where the source
    declares ranges by stage; `scales`, default the source's ``scales`` in data/manifest.yaml), one
    ``source`` equal to ``source_id``, no duplicated :data:`TRANSFER_KEY`. `path` names the file(s).
    """
    where = _where(source_id, path)
    _check_columns(df, TRANSFER_COLUMNS, where, "transfer")
    _check_dtypes(df, TRANSFER_COLUMNS, where, allow_nan=set())
    _check_source(df, source_id, where)
    _check_ranges(df, "value", ["metric", "stage"], _scales_of(source_id, scales), where)
    _check_key(df, TRANSFER_KEY, where)
    return df


def _check_source(df: pd.DataFrame, source_id: str, where: str) -> None:
    others = sorted(set(df["source"]) - {source_id})
    if others:
        raise DataError(f"{where}: column 'source' holds {others}, expected only {source_id!r}; "
                        "set source to the manifest id in the parser")


def resolve_duplicates(df: pd.DataFrame, key, policy: str = "error", *, where: str,
                       value: str = "score") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resolve rows that share a key, by an explicit policy, and report what was dropped.

    Parameters
    ----------
    df : DataFrame
        Tidy frame.
    key : sequence of str
        Columns that must identify a row (e.g. :data:`SCORES_KEY`).
    policy : {"error", "keep-first", "keep-last", "mean", "max"}
        ``error`` raises DataError on any duplicate; ``keep-first`` / ``keep-last`` keep the first /
        last row of each duplicated key in the frame's order (sort first to make "last" mean
        "latest"); ``mean`` replaces each duplicated group by one row (the first) whose ``value``
        column is the group mean; ``max`` keeps the row with the largest ``value`` (the first
        such row on ties).
    value : str
        The numeric column averaged by ``policy="mean"`` or maximised by ``policy="max"``.
    where : str
        Names the file(s) in error messages.

    Returns
    -------
    resolved : DataFrame
        ``df`` without duplicated keys, in the original row order.
    dropped : DataFrame
        Every row of ``df`` that does not survive unchanged (for ``mean``: all rows of the merged
        groups), with the column ``n_duplicates`` (size of its key group); empty when nothing
        was duplicated.
    """
    key = list(key)
    if policy not in POLICIES:
        raise ValueError(f"policy={policy!r}: use one of {list(POLICIES)}")
    missing = [c for c in key + ([value] if policy in ("mean", "max") else []) if c not in df.columns]
    if missing:
        raise DataError(f"{where}: resolve_duplicates needs column(s) {missing}; check the key")
    dup_any = df.duplicated(key, keep=False)
    sizes = df.groupby(key, sort=False, dropna=False)[key[0]].transform("size")
    if not dup_any.any():
        return df, df.iloc[0:0].assign(n_duplicates=pd.Series(dtype="int64"))
    if policy == "error":
        _check_key(df, tuple(key), where)
    if policy in ("keep-first", "keep-last"):
        keep = "first" if policy == "keep-first" else "last"
        drop = df.duplicated(key, keep=keep)
        dropped = df.loc[drop].assign(n_duplicates=sizes[drop].astype("int64"))
        return df.loc[~drop], dropped
    if policy == "max":
        best = df[value].to_numpy() == df.groupby(key, sort=False, dropna=False)[value].transform("max").to_numpy()
        keep = pd.Series(best, index=df.index) & ~df.assign(_best=best).duplicated(key + ["_best"])
        dropped = df.loc[~keep].assign(n_duplicates=sizes[~keep].astype("int64"))
        return df.loc[keep], dropped
    means = df.groupby(key, sort=False, dropna=False)[value].transform("mean")
    first = ~df.duplicated(key, keep="first")
    resolved = df.loc[first].copy()
    resolved[value] = means[first]
    dropped = df.loc[dup_any].assign(n_duplicates=sizes[dup_any].astype("int64"))
    return resolved, dropped


def dtype_of(kind: str) -> str:
    """The pandas dtype that holds a column of the given schema kind."""
    return "Int64" if kind.startswith("Int64") else "float64" if kind.startswith("float") else "str"
