"""Helpers shared by the parsers: find a manifest file, read a CSV with its expected columns and
numbers (errors name the file, line and column), check duplicated rows, melt a wide models x tasks
table, and finish a frame into the exact tidy schema.

Line numbers count one line per row (the header is line 1), as in the CSV files of the mirror, which
have no line breaks inside quoted cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evalcorr.errors import DataError
from evalcorr.data.families import join_families
from evalcorr.data.schema import SCORES_COLUMNS, TRANSFER_COLUMNS, dtype_of


def file_for(files: Mapping[str, Path], name: str, source_id: str) -> Path:
    """The local path of manifest file ``name`` (relative to the mirror root)."""
    try:
        return Path(files[name])
    except KeyError:
        raise DataError(f"source {source_id!r}: the parser needs file {name!r}, which the manifest "
                        f"does not list (given: {sorted(files)}); add it to data/manifest.yaml") from None


def files_matching(files: Mapping[str, Path], prefix: str, suffix: str, source_id: str) -> dict[str, Path]:
    """Every manifest file whose path starts with ``prefix`` and ends with ``suffix``, sorted."""
    found = {k: Path(v) for k, v in sorted(files.items()) if k.startswith(prefix) and k.endswith(suffix)}
    if not found:
        raise DataError(f"source {source_id!r}: no file {prefix}*{suffix} among {sorted(files)}; "
                        "list it in data/manifest.yaml")
    return found


def read_csv(path: Path, required: Iterable[str], *, numeric: Iterable[str] | Callable = (),
             expected: Iterable[str] | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV, check its columns and convert its number columns; every error names the file.

    Parameters
    ----------
    path : the file.
    required : columns that must be present.
    numeric : columns that must hold numbers (empty cells are missing), or a function of the list of
        columns returning them; a cell that is not a number is an error naming its line and column.
    expected : when given, every column of the file must be one of these (with the required ones):
        a renamed or added column is an error, not a new task.
    kwargs : passed to :func:`pandas.read_csv`. Without ``index_col`` the frame's index is the line
        number of each row (the header is line 1).
    """
    try:
        frame = pd.read_csv(path, skip_blank_lines=False, **kwargs)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; rebuild the cache with `make data`") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty (no header line); fetch it again") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc}); fetch the file again") from None
    required = list(required)
    require_columns(frame, required, path)
    if expected is not None:
        allowed = set(required) | set(expected)
        unknown = [c for c in frame.columns if c not in allowed]
        missing = [c for c in expected if c not in frame.columns]
        if unknown or missing:
            parts = ([f"unexpected column(s) {unknown}"] if unknown else []) + \
                    ([f"missing column(s) {missing}"] if missing else [])
            raise DataError(f"{path}: {' and '.join(parts)}; the parser knows the columns {sorted(allowed)}. "
                            "A renamed or added column is not a new task: check the file's version against "
                            "the manifest, or teach the parser the new column")
    if "index_col" not in kwargs:
        frame.index = pd.RangeIndex(2, 2 + len(frame), name="line")
    columns = list(numeric(list(frame.columns)) if callable(numeric) else numeric)
    if columns:
        numbers = pd.DataFrame({column: to_numbers(frame[column], path, column) for column in columns})
        frame = pd.concat([frame.drop(columns=columns), numbers], axis=1)[list(frame.columns)]
    frame = frame.dropna(how="all")  # blank lines
    if frame.empty:
        raise DataError(f"{path}: no data rows; fetch the file again")
    return frame


def to_numbers(values: pd.Series, path, column: str, lines=None) -> pd.Series:
    """A column as float64, empty cells NaN; a cell that is not a number is an error naming the
    file, the line and the column. `lines` gives each row's line number (default: row i of a
    CSV as read is on line i + 2)."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        positions = np.flatnonzero(bad.to_numpy())
        line = positions[0] + 2 if lines is None else lines[positions[0]]
        raise DataError(f"{path}, line {line}, column {column!r}: {values.iloc[positions[0]]!r} is not "
                        "a number"
                        f"{f' ({len(positions)} such cells)' if len(positions) > 1 else ''}; fix the cell, or "
                        "declare the missing-value marker in the parser")
    return numbers.astype("float64")


def require_columns(frame: pd.DataFrame, required: Iterable[str], path) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing} (found {list(frame.columns)[:12]}...); "
                        "the file does not have the expected layout: check its version in the manifest")


def unique_rows(frame: pd.DataFrame, key: list[str], path) -> pd.DataFrame:
    """``frame`` without rows that repeat another row exactly; rows that share ``key`` but differ
    elsewhere are an error naming the file, the key and the lines (the index, from :func:`read_csv`)."""
    exact = frame.duplicated(keep="first")
    rest = frame.loc[~exact]
    clash = rest.duplicated(key, keep=False)
    if clash.any():
        first = rest.loc[clash, key].iloc[0]
        rows = rest.loc[(rest[key] == first).all(axis=1)]
        differ = [c for c in rows.columns if rows[c].nunique(dropna=False) > 1]
        raise DataError(f"{path}: {int(rest.duplicated(key).sum())} conflicting duplicate row(s), e.g. "
                        f"{dict(first)} on lines {list(rows.index)} with different {differ}; "
                        "keep one row per key in the file (or give the parser an explicit, reported policy)")
    return rest


def melt_scores(wide: pd.DataFrame, model_col: str, tasks: Mapping[str, str], where) -> pd.DataFrame:
    """Wide (one row per model) -> long ``model, task, score``, dropping missing scores.

    ``tasks`` maps column names of ``wide`` to task ids; ``where`` names the file in errors.
    """
    long = wide[[model_col, *tasks]].melt(id_vars=model_col, var_name="column", value_name="score")
    long = long.rename(columns={model_col: "model"})
    long["task"] = long["column"].map(tasks)
    numbers = pd.to_numeric(long["score"], errors="coerce")
    bad = numbers.isna() & long["score"].notna()
    if bad.any():
        first = long.loc[bad].iloc[0]
        raise DataError(f"{where}: {int(bad.sum())} non-numeric score(s), e.g. {first['score']!r} in column "
                        f"{first['column']!r} for model {first['model']!r}; fix the file or declare the "
                        "missing-value marker in the parser")
    long["score"] = numbers
    return long.dropna(subset=["score"]).drop(columns="column").reset_index(drop=True)


def finish_scores(df: pd.DataFrame, source_id: str, *, families_path=None) -> pd.DataFrame:
    """Give a parser's frame the exact tidy scores schema.

    Sets ``source``, joins benchmark/family/subfamily/display/level from the families table, adds
    the metadata columns the parser did not fill (NA), casts every column to its schema dtype,
    orders the columns and sorts the rows by snapshot, model, task, metric.
    """
    out = join_families(df.assign(source=source_id), source_id, path=families_path)
    for col, kind in SCORES_COLUMNS.items():
        if col not in out.columns:
            out[col] = pd.Series(None, index=out.index, dtype=dtype_of(kind))
        else:
            out[col] = out[col].astype(dtype_of(kind))
    out = out[list(SCORES_COLUMNS)]
    return out.sort_values(["snapshot", "model", "task", "metric"], kind="stable").reset_index(drop=True)


def finish_transfer(df: pd.DataFrame, source_id: str) -> pd.DataFrame:
    """Give a parser's frame the exact tidy transfer schema (source set, dtypes, order, sorted)."""
    out = df.assign(source=source_id)
    if "setting" not in out.columns:
        out["setting"] = "default"
    for col in ("n_items", "seed"):   # NA where a source does not say / has one run per cell
        if col not in out.columns:
            out[col] = pd.NA
    for col, kind in TRANSFER_COLUMNS.items():
        out[col] = out[col].astype(dtype_of(kind))
    out = out[list(TRANSFER_COLUMNS)]
    order = ["model", "setting", "stage", "train_task", "eval_task", "metric", "seed"]
    return out.sort_values(order, kind="stable").reset_index(drop=True)


def mirror_files(data_dir: str | Path, *folders: str) -> dict[str, Path]:
    """The ``files`` mapping of every file under the given mirror folders (paths relative to the
    mirror root), e.g. to run a parser on a mirror without the manifest."""
    root = Path(data_dir)
    found = {}
    for folder in folders:
        if not (root / folder).is_dir():
            raise DataError(f"{root / folder}: no such mirror folder; check the mirror directory")
        found.update({p.relative_to(root).as_posix(): p
                      for p in sorted((root / folder).rglob("*")) if p.is_file()})
    return found
