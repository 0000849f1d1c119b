"""A general reader for Every Eval Ever (EEE) files.

Every Eval Ever (github evaleval/every_eval_ever) stores one JSON record per evaluated model: its
``model_info`` (name, id, developer, optional ``additional_details``) and a list of
``evaluation_results`` (``evaluation_name``, ``metric_config`` with ``lower_is_better`` and
``min_score``/``max_score``, ``score_details.score``). :func:`read_eee` reads any such file, a
JSON-lines file (plain or gzipped, one record per line), a single-record ``.json`` file or a
directory of them, and returns one tidy row per evaluation result. Required fields are checked and
a missing or malformed one is a :class:`~evalcorr.errors.DataError` naming the file and line.

>>> from evalcorr.data.eee import read_eee
>>> results = read_eee("../shared/data/every-eval-ever/helm_mmlu.jsonl.gz")   # doctest: +SKIP
>>> results[["model_id", "evaluation_name", "score"]].head(2)                 # doctest: +SKIP
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from numbers import Real
from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError

COLUMNS = (
    "file", "line", "evaluation_id", "schema_version", "source_name", "retrieved_timestamp",
    "model_id", "model_name", "developer", "inference_platform", "additional_details",
    "evaluation_name", "evaluation_description", "dataset_name", "lower_is_better", "score_type",
    "min_score", "max_score", "score", "score_description", "tab", "generation_config",
)


def iter_records(path: str | Path) -> Iterator[tuple[Path, int | None, dict]]:
    """Yield ``(file, line, record)`` for every EEE record under ``path``.

    ``path`` is a ``.jsonl``/``.jsonl.gz`` file (``line`` is the 1-based line number), a ``.json``
    file holding one record (``line`` is None), or a directory searched recursively for both,
    in sorted path order.
    """
    path = Path(path)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and _is_eee_name(p))
        if not found:
            raise DataError(f"{path}: no .json, .jsonl or .jsonl.gz files in this directory; "
                            "point the reader at Every Eval Ever records")
        for file in found:
            yield from iter_records(file)
        return
    if not path.exists():
        raise DataError(f"{path}: file not found; check the path (or rebuild with `make data`)")
    if path.name.endswith(".json"):
        text = path.read_text(encoding="utf-8")
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":  # several records: read it as JSON lines below
                raise DataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); "
                                "fetch the file again") from None
        else:
            if not isinstance(record, dict):
                raise DataError(f"{path}: expected a JSON object (one EEE record), "
                                f"found {type(record).__name__}")
            yield path, None, record
            return
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if text.strip():
                    yield path, number, _decode(text, path, number)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read ({exc}); the file is corrupt or not gzip/UTF-8: "
                        "fetch it again") from None


def _is_eee_name(p: Path) -> bool:
    return p.name.endswith((".json", ".jsonl", ".jsonl.gz"))


def _decode(text: str, file: Path, line: int | None) -> dict:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{_at(file, line)}: not valid JSON ({exc.msg} at column {exc.colno}); "
                        "each line must hold one complete EEE record: fetch the file again") from None
    if not isinstance(record, dict):
        raise DataError(f"{_at(file, line)}: expected a JSON object (one EEE record), "
                        f"found {type(record).__name__}")
    return record


def _at(file: Path, line: int | None) -> str:
    return f"{file}, line {line}" if line is not None else str(file)


def _get(obj: dict, dotted: str, file: Path, line: int | None, types=None, where: str = ""):
    value = obj
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise DataError(f"{_at(file, line)}: required field '{where}{dotted}' is missing; "
                            "the record does not follow the Every Eval Ever schema")
        value = value[part]
    if types is not None and (not isinstance(value, types) or isinstance(value, bool) and bool not in _tuple(types)):
        raise DataError(f"{_at(file, line)}: field '{where}{dotted}' must be "
                        f"{_type_names(types)}, found {value!r}")
    return value


def _tuple(types) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types) -> str:
    return " or ".join("number" if t is Real else t.__name__ for t in _tuple(types))


def record_rows(record: dict, file: Path, line: int | None) -> list[dict]:
    """The tidy rows of one record (one per evaluation result), validating required fields."""
    model = _get(record, "model_info", file, line, dict)
    model_id = _get(model, "id", file, line, str, "model_info.")
    if not model_id.strip():
        raise DataError(f"{_at(file, line)}: field 'model_info.id' is empty; every record needs a model id")
    results = _get(record, "evaluation_results", file, line, list)
    if not results:
        raise DataError(f"{_at(file, line)}: 'evaluation_results' is empty for model {model_id!r}")
    source = record.get("source_metadata") or {}
    common = {
        "file": str(file), "line": line,
        "evaluation_id": record.get("evaluation_id"),
        "schema_version": record.get("schema_version"),
        "source_name": source.get("source_name") if isinstance(source, dict) else None,
        "retrieved_timestamp": record.get("retrieved_timestamp"),
        "model_id": model_id,
        "model_name": _get(model, "name", file, line, str, "model_info."),
        "developer": model.get("developer"),
        "inference_platform": model.get("inference_platform"),
        "additional_details": model.get("additional_details") or {},
    }
    rows = []
    for i, result in enumerate(results):
        where = f"evaluation_results[{i}]."
        if not isinstance(result, dict):
            raise DataError(f"{_at(file, line)}: {where[:-1]} must be an object, found {result!r}")
        config = _get(result, "metric_config", file, line, dict, where)
        details = _get(result, "score_details", file, line, dict, where)
        score = _get(details, "score", file, line, Real, where + "score_details.")
        data = result.get("source_data")
        rows.append({
            **common,
            "evaluation_name": _get(result, "evaluation_name", file, line, str, where),
            "evaluation_description": config.get("evaluation_description"),
            "dataset_name": data.get("dataset_name") if isinstance(data, dict) else None,
            "lower_is_better": _get(config, "lower_is_better", file, line, bool, where + "metric_config."),
            "score_type": config.get("score_type"),
            "min_score": _number(config, "min_score", file, line, where),
            "max_score": _number(config, "max_score", file, line, where),
            "score": float(score),
            "score_description": (details.get("details") or {}).get("description"),
            "tab": (details.get("details") or {}).get("tab"),
            "generation_config": result.get("generation_config") or {},
        })
    return rows


def _number(config: dict, key: str, file: Path, line: int | None, where: str) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, Real) or isinstance(value, bool):
        raise DataError(f"{_at(file, line)}: field '{where}metric_config.{key}' must be a number, "
                        f"found {value!r}")
    return float(value)


def read_eee(path: str | Path) -> pd.DataFrame:
    """Every evaluation result in an EEE file or directory, one row each.

    Returns
    -------
    DataFrame with columns :data:`COLUMNS`: where it came from (``file``, ``line``), the record
    (``evaluation_id``, ``schema_version``, ``source_name``, ``retrieved_timestamp``), the model
    (``model_id``, ``model_name``, ``developer``, ``inference_platform``, ``additional_details``
    as a dict), the result (``evaluation_name``, ``evaluation_description``, ``dataset_name``),
    its metric (``lower_is_better``, ``score_type``, ``min_score``, ``max_score``), the ``score``
    as published (no sentinel is interpreted: HELM uses -1 for "not run"), the HELM
    ``score_description``/``tab`` where present and the ``generation_config`` dict.
    """
    rows = [row for file, line, record in iter_records(path) for row in record_rows(record, file, line)]
    if not rows:
        raise DataError(f"{path}: no Every Eval Ever records in this file; fetch it again")
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["line"] = frame["line"].astype("Int64")
    for col in ("score", "min_score", "max_score"):
        frame[col] = frame[col].astype("float64")
    frame["lower_is_better"] = frame["lower_is_better"].astype(bool)
    return frame


def model_details(results: pd.DataFrame) -> pd.DataFrame:
    """One row per record with its model fields and ``additional_details`` expanded to columns."""
    records = results.drop_duplicates(["file", "line", "evaluation_id"])
    details = pd.DataFrame(list(records["additional_details"]), index=records.index)
    keep = ["file", "line", "evaluation_id", "retrieved_timestamp", "model_id", "model_name", "developer"]
    return pd.concat([records[keep], details], axis=1).reset_index(drop=True)
