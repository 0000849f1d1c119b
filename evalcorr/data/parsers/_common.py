"""Helpers shared by the parsers: find a manifest file, read a CSV with required columns,
melt a wide models x tasks table, and finish a frame into the exact tidy schema."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

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


def read_csv(path: Path, required: Iterable[str], **kwargs) -> pd.DataFrame:
    """Read a CSV and check it has the ``required`` columns (error names the file)."""
    try:
        frame = pd.read_csv(path, **kwargs)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; rebuild the cache with `make data`") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc}); fetch the file again") from None
    require_columns(frame, required, path)
    if frame.empty:
        raise DataError(f"{path}: no data rows; fetch the file again")
    return frame


def require_columns(frame: pd.DataFrame, required: Iterable[str], path) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing} (found {list(frame.columns)[:12]}...); "
                        "the file does not have the expected layout: check its version in the manifest")


def melt_scores(wide: pd.DataFrame, model_col: str, tasks: Mapping[str, str], where="table") -> pd.DataFrame:
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
    if "n_items" not in out.columns:
        out["n_items"] = pd.NA
    for col, kind in TRANSFER_COLUMNS.items():
        out[col] = out[col].astype(dtype_of(kind))
    out = out[list(TRANSFER_COLUMNS)]
    order = ["model", "setting", "stage", "train_task", "eval_task", "metric"]
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
