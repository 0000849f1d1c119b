"""Model metadata joins for the leaderboard sources, with their coverage.

* From hf-open-llm-v2 (Every Eval Ever records): ``params_b``, ``architecture``, ``precision``,
  matched on the exact model id (``org/name``). Ids evaluated at two precisions keep the
  bfloat16 record (:data:`PREFERRED_PRECISION`, the same policy as the hf-open-llm-v2 parser).
* From sloth (data_v2.csv, else data_v1.csv): ``base_family``, ``model_type`` (``instruct`` or
  ``base``), ``pretrain_tokens_t`` and ``flops_1e21``, matched on the normalised model name
  (:func:`name_key`: the part after the last "/", lower-case, without a trailing ``-hf``), because
  sloth names models without their organisation (``llama-2-7b``). A re-upload under another
  organisation with the same name therefore matches too; it is the same weights' family.

:func:`coverage` reports, per metadata field, how many models and rows have a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError

HF_FILE = "every-eval-ever/hfopenllm_v2.jsonl.gz"
SLOTH_FILES = ("sloth/data_v2.csv", "sloth/data_v1.csv")
PREFERRED_PRECISION = "bfloat16"
HF_FIELDS = ("params_b", "architecture", "precision")
SLOTH_FIELDS = ("base_family", "model_type", "pretrain_tokens_t", "flops_1e21")
FIELDS = HF_FIELDS + SLOTH_FIELDS


def name_key(model: pd.Series) -> pd.Series:
    """Normalised model name for matching across sources: ``meta-llama/Llama-2-7b-hf`` -> ``llama-2-7b``."""
    return model.str.rsplit("/", n=1).str[-1].str.lower().str.replace(r"-hf$", "", regex=True)


def hf_records(path: Path) -> pd.DataFrame:
    """One metadata row per hf-open-llm-v2 record: model, params_b, architecture, precision, line.

    Model ids with two records (evaluated at bfloat16 and float16) are kept twice here; use
    :func:`prefer_precision` to choose one.
    """
    from evalcorr.data.eee import model_details, read_eee

    details = model_details(read_eee(path))
    return pd.DataFrame({
        "model": details["model_id"].astype("str"),
        "params_b": pd.to_numeric(details["params_billions"]).astype("float64"),
        "architecture": details["architecture"].astype("str"),
        "precision": details["precision"].astype("str"),
        "line": details["line"],
    })


def prefer_precision(frame: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one row per ``key``: the :data:`PREFERRED_PRECISION` one, else the first in file order.

    Returns the kept rows and the dropped rows (the policy's report).
    """
    from evalcorr.data.schema import resolve_duplicates

    order = frame.assign(_rank=(frame["precision"] == PREFERRED_PRECISION).astype(int))
    order = order.sort_values(["_rank"], kind="stable", ascending=False)
    kept, dropped = resolve_duplicates(order, key, policy="keep-first", where=HF_FILE)
    return kept.sort_index().drop(columns="_rank"), dropped.drop(columns="_rank")


SLOTH_TEXT = ("Unnamed: 0", "Model", "Family", "Instruct", "date", "Family2")  # every other column is a number


def sloth_table(paths: list[Path]) -> pd.DataFrame:
    """Sloth's data files (data_v2.csv first) as one table, one row per model.

    In each file, a model listed twice with different values is an error naming the file and lines
    (an exact repeat is dropped). A model in both files must have the same value wherever both files
    have one (else an error naming both files, the model and the column); its row is the first
    file's, with empty cells filled from the other.
    """
    from evalcorr.data.parsers._common import read_csv, unique_rows

    tables = []
    for path in paths:
        table = read_csv(path, ["Model", "Family", "Instruct"],
                         numeric=lambda columns: [c for c in columns if c not in SLOTH_TEXT])
        tables.append(unique_rows(table.drop(columns="Unnamed: 0", errors="ignore"), ["Model"], path))
    union = tables[0].set_index("Model")
    for path, table in zip(paths[1:], tables[1:]):
        other = table.set_index("Model")
        shared = union.index.intersection(other.index)
        columns = union.columns.intersection(other.columns)
        a, b = union.loc[shared, columns], other.loc[shared, columns]
        differ = (a != b) & a.notna() & b.notna()
        if differ.any().any():
            model, column = differ.stack().loc[lambda hit: hit].index[0]
            raise DataError(f"{paths[0]} and {path} disagree on model {model!r}, column {column!r} "
                            f"({a.loc[model, column]!r} vs {b.loc[model, column]!r}); the files must agree "
                            "where both have a value: check their versions in the manifest")
        union = union.combine_first(other).loc[[*union.index, *other.index.difference(union.index, sort=False)]]
    return union.copy().reset_index()  # copy: combine_first leaves one block per column


def sloth_models(paths: list[Path]) -> pd.DataFrame:
    """Sloth's model table: key, base_family, model_type, pretrain_tokens_t, flops_1e21, params_b.

    From :func:`sloth_table`: data_v2.csv first, models only in data_v1.csv added from it.
    """
    table = sloth_table(paths)
    instruct = table["Instruct"].astype("str").str.lower().map({"true": "instruct", "false": "base"})
    return pd.DataFrame({
        "key": table["Model"].astype("str").str.lower(),
        "base_family": table["Family"].astype("str"),
        "model_type": instruct.astype("str"),
        "pretrain_tokens_t": pd.to_numeric(table["Pretraining Data Size (T)"]).astype("float64"),
        "flops_1e21": pd.to_numeric(table["FLOPs (1E21)"]).astype("float64"),
        "sloth_params_b": pd.to_numeric(table["#Params (B)"]).astype("float64"),
    }).reset_index(drop=True)


def join_leaderboard_metadata(scores: pd.DataFrame, files: Mapping[str, Path]) -> pd.DataFrame:
    """Add the metadata columns to a frame with a ``model`` column, from the files given.

    Sources whose files are not in ``files`` are skipped (their columns stay NA).
    """
    out = scores
    if HF_FILE in files:
        meta, _ = prefer_precision(hf_records(Path(files[HF_FILE])), ["model"])
        out = out.merge(meta[["model", *HF_FIELDS]], on="model", how="left", validate="many_to_one")
    sloth = [Path(files[f]) for f in SLOTH_FILES if f in files]
    if sloth:
        table = sloth_models(sloth)
        keyed = out.assign(key=name_key(out["model"]))
        out = keyed.merge(table.drop(columns="sloth_params_b"), on="key", how="left",
                          validate="many_to_one").drop(columns="key")
    return out


def coverage(scores: pd.DataFrame) -> pd.DataFrame:
    """Per metadata field: models with a value, all models, their share, and rows with a value.

    Returns a tidy frame with columns field, models_matched, models, share, rows_matched, rows.
    """
    per_model = scores.drop_duplicates("model")
    records = []
    for field in FIELDS:
        if field not in scores.columns:
            continue
        matched = int(per_model[field].notna().sum())
        records.append({
            "field": field, "models_matched": matched, "models": len(per_model),
            "share": matched / len(per_model) if len(per_model) else float("nan"),
            "rows_matched": int(scores[field].notna().sum()), "rows": len(scores),
        })
    return pd.DataFrame.from_records(records)


SLOTH_LEADERBOARD_FILE = "sloth/open-llm-leaderboard_new.csv"
DATE_COLUMNS = {"Submission Date": "submitted", "Upload To Hub Date": "uploaded"}


def sloth_leaderboard_dates(path: Path) -> pd.DataFrame:
    """Submission and upload dates per model id from Sloth's copy of the leaderboard v2 table.

    The table (one row per leaderboard entry, taken in mid 2024) has the leaderboard's "Submission
    Date" (when the model was submitted for evaluation) and "Upload To Hub Date" (when its weights
    were uploaded). A model with several entries (precisions) keeps its earliest dates.

    Returns
    -------
    DataFrame
        model, submitted, uploaded (datetime64; NaT where the table has none), sorted by model.
    """
    from evalcorr.data.parsers._common import read_csv

    table = read_csv(path, ["Model", *DATE_COLUMNS])
    frame = pd.DataFrame({"model": table["Model"].astype("str")})
    for column, name in DATE_COLUMNS.items():
        frame[name] = pd.to_datetime(table[column], errors="coerce", format="%Y-%m-%d")
    frame = frame[frame["model"].str.len() > 0]
    return frame.groupby("model", as_index=False)[list(DATE_COLUMNS.values())].min().sort_values("model",
                                                                                                 ignore_index=True)
