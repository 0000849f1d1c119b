"""The tidy parquet cache: one ``<source id>.parquet`` per source, rebuilt only when its inputs change.

A build verifies the source's raw files (evalcorr.data.fetch), runs its parser (evalcorr.data.parsers),
validates the result (evalcorr.data.schema) and writes the parquet atomically (temporary file, then
rename) beside a stamp ``<source id>.json``. The stamp records the *input key*: a sha256 over the
sha256 of every input file, the source of the data code (the parser modules, schema, families
table, Every Eval Ever reader) and the cache format; and the sha256 of the parquet itself. A build
whose key matches the stamp, and whose parquet still has the recorded sha256, does no parsing; a
damaged parquet (truncated, overwritten) is rebuilt.

A parser that resolves duplicated rows by a documented policy has ``parse_with_report(files)``
returning the table and the rows it dropped; a build reports how many were dropped, and records it
in the stamp (``dropped_rows``).

The cache lives in ``EVALCORR_CACHE_DIR`` (default ``data/cache`` under the project root) and is
never committed; it can always be rebuilt from the mirror or upstream. Its functions take the
:class:`~evalcorr.data.manifest.Source` that the caller resolved once.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import sys
import time
from importlib import import_module
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from evalcorr.data import fetch
from evalcorr.data.locations import PROJECT_ROOT, default_cache_dir
from evalcorr.data.manifest import Source
from evalcorr.errors import DataError, EvalcorrError

FORMAT_VERSION = 2  # 2: the stamp records the parquet's sha256

# Besides the raw files and the code a parser imports (found by reading its imports), these decide
# what a parser produces: the schema it is validated against and the families table it joins.
_ALWAYS = ("evalcorr/data/schema.py", "data/families.csv")


def parquet_path(source: Source, cache_dir: str | Path | None = None) -> Path:
    """Where the tidy table of a source is cached."""
    return Path(cache_dir or default_cache_dir()) / f"{source.id}.parquet"


def stamp_path(source: Source, cache_dir: str | Path | None = None) -> Path:
    """The JSON stamp beside a source's parquet (input key and a summary of the table)."""
    return Path(cache_dir or default_cache_dir()) / f"{source.id}.json"


def _parser_name(source: Source) -> str:
    if source.parser is None:
        raise DataError(f"source {source.id!r} has no parser yet: add evalcorr/data/parsers/<module>.py and "
                        "name it in the source's entry of data/manifest.yaml (parser: <module>)")
    return source.parser


def parser_module(source: Source):
    """The parser module of a source, or a DataError saying that none exists yet."""
    return import_module(_parser_name(source))


def parser_file(source: Source) -> Path:
    """The source file of a source's parser, found without importing it (imports cost pandas)."""
    name = _parser_name(source)
    module = sys.modules.get(name)
    if module is not None:
        return Path(module.__file__).resolve()
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin:
        raise DataError(f"parser module {name} of source {source.id!r} cannot be found; fix the source's "
                        "parser entry in data/manifest.yaml")
    return Path(spec.origin).resolve()


def _module_file(name: str) -> Path | None:
    """The source file of an ``evalcorr.*`` module name (None for packages and other names)."""
    if name != "evalcorr" and not name.startswith("evalcorr."):
        return None
    path = PROJECT_ROOT.joinpath(*name.split(".")).with_suffix(".py")
    return path if path.is_file() else None


@lru_cache(maxsize=256)
def _imports_of(path: Path, _mtime_ns: int) -> frozenset[Path]:
    """evalcorr modules imported anywhere in a file (also inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = path.relative_to(PROJECT_ROOT).with_suffix("").parts[:-1] if path.is_relative_to(PROJECT_ROOT) else ()
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import: resolve against the file's package
                base = ".".join(package[: len(package) - node.level + 1] + ((base,) if base else ()))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return frozenset(f for f in map(_module_file, names) if f is not None)


def _code_files(parser_path: Path) -> list[Path]:
    """The parser's file and every evalcorr module it imports, transitively, plus :data:`_ALWAYS`."""
    todo = [Path(parser_path).resolve()]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += _imports_of(path, path.stat().st_mtime_ns)
    seen |= {PROJECT_ROOT / rel for rel in _ALWAYS}
    return sorted(f for f in seen if f.is_file() and f.name != "__init__.py")


def input_key(source: Source) -> str:
    """sha256 over everything a source's table depends on: its id, the manifest sha256 of every
    input file (these are verified before parsing), the data code and the cache format."""
    digest = hashlib.sha256(f"evalcorr-cache-v{FORMAT_VERSION}\0{source.id}\0".encode())
    for file in source.inputs:
        digest.update(f"{file.path}\0{file.sha256}\0".encode())
    for code in _code_files(parser_file(source)):
        name = code.relative_to(PROJECT_ROOT).as_posix() if code.is_relative_to(PROJECT_ROOT) else code.name
        digest.update(name.encode() + b"\0" + code.read_bytes() + b"\0")
    return digest.hexdigest()


def read_stamp(source: Source, cache_dir: str | Path | None = None) -> dict | None:
    """The stamp of a cached source, or None when it was never built (or the stamp is unreadable)."""
    try:
        return json.loads(stamp_path(source, cache_dir).read_text())
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=64)
def _sha256_of_file(path: Path, _mtime_ns: int, _size: int) -> str:
    return fetch.sha256_of(path)


def parquet_intact(source: Source, stamp: dict | None, cache_dir: str | Path | None = None) -> bool:
    """True when the cached parquet exists and has the sha256 its stamp records."""
    path = parquet_path(source, cache_dir)
    try:
        info = path.stat()
    except OSError:
        return False
    return stamp is not None and stamp.get("sha256") == _sha256_of_file(path, info.st_mtime_ns, info.st_size)


def is_fresh(source: Source, cache_dir: str | Path | None = None) -> bool:
    """True when the cached table was built from the current inputs and is intact."""
    stamp = read_stamp(source, cache_dir)
    return (stamp is not None and stamp.get("key") == input_key(source)
            and parquet_intact(source, stamp, cache_dir))


def summarise(df, kind: str) -> dict:
    """Counts shown by ``python -m evalcorr sources``: rows, models, tasks, snapshots."""
    if kind == "scores":
        tasks = df.loc[df["level"] == "task", "task"] if "level" in df else df["task"]
        snapshots = sorted(df["snapshot"].astype(str).unique())
    else:
        tasks = df["eval_task"]
        snapshots = []
    return {"rows": int(len(df)), "models": int(df["model"].nunique()), "tasks": int(tasks.nunique()),
            "snapshots": snapshots}


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` did for one source."""

    source_id: str
    path: Path
    built: bool  # False: the cache was already up to date
    rows: int
    seconds: float
    verified: bool = True  # False: up to date, but the raw files were not available to re-verify


def _write_atomic(df, path: Path) -> str:
    """Write `df` to `path` by a rename; the sha256 of the bytes written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        df.to_parquet(tmp, index=False)
        digest = fetch.sha256_of(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return digest


def _write_text_atomic(text: str, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def build(
    source: Source,
    *,
    mirror: str | Path | None = None,
    base_url: str | None = None,
    cache_dir: str | Path | None = None,
    force: bool = False,
    verify: bool = True,
    unverified_ok: bool = False,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build (or confirm) the cached tidy table of one source.

    Parameters
    ----------
    source : the source's manifest entry (:func:`evalcorr.data.manifest.get_source`).
    mirror, base_url : where raw files come from (see :func:`evalcorr.data.fetch.materialise`).
    cache_dir : cache directory; default :func:`default_cache_dir`.
    force : rebuild even when the stamp matches the inputs.
    verify : check the sha256 of the raw files even when the cache is up to date (``make data``
        does; loaders skip it for a fresh cache).
    unverified_ok : when the cache is up to date but there is no mirror to verify the raw files
        against (no mirror directory and no `base_url`), accept the cache and say so instead of
        downloading (``make render`` on a machine whose mirror is gone).
    progress : show download progress bars.
    log : called with one line per source (e.g. ``print``); silent when None.

    Raises
    ------
    DataError
        No parser for the source, a missing raw file, a parser that fails (any exception, named
        with the source's files), a parser result that is not a non-empty DataFrame, or a table
        that fails schema validation; ChecksumError for a corrupt file.
    """
    started = time.perf_counter()
    source_id = source.id
    cache_dir = Path(cache_dir or default_cache_dir())
    out = parquet_path(source, cache_dir)
    key = input_key(source)
    stamp = read_stamp(source, cache_dir)
    fresh = not force and stamp is not None and stamp.get("key") == key
    damaged = fresh and not parquet_intact(source, stamp, cache_dir)
    fresh = fresh and not damaged

    if fresh and not verify:
        return BuildResult(source_id, out, False, stamp["rows"], time.perf_counter() - started)
    if fresh and unverified_ok and base_url is None:
        # the project's own files are always at hand: only upstream files may go unverified
        absent = fetch.mirror_absent(mirror) if any(not f.in_project for f in source.inputs) else None
        if absent:
            if log:
                log(f"{source_id}: up to date ({stamp['rows']:,} rows); {absent}, so the raw files were "
                    "not re-verified")
            return BuildResult(source_id, out, False, stamp["rows"], time.perf_counter() - started, verified=False)
    try:
        files = fetch.materialise(source.inputs, mirror=mirror, base_url=base_url,
                                  cache_dir=cache_dir, progress=progress)
    except DataError as error:
        if damaged:
            raise DataError(f"the cached {out} is damaged (its sha256 differs from the one in its stamp) and "
                            f"cannot be rebuilt: {error}") from None
        raise
    if fresh:
        seconds = time.perf_counter() - started
        if log:
            log(f"{source_id}: up to date ({stamp['rows']:,} rows; {len(files)} files verified)")
        return BuildResult(source_id, out, False, stamp["rows"], seconds)

    parser = parser_module(source)
    kind = getattr(parser, "KIND", None)
    if kind != source.kind:
        raise DataError(f"parser {parser.__name__} declares KIND={kind!r} but the manifest says source "
                        f"{source_id!r} is {source.kind!r}; make them agree")
    df, dropped = _run_parser(parser, source, files)
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"parser {parser.__name__} returned {type(df).__name__} for source {source_id!r}; "
                        "a parser must return a pandas DataFrame")
    if df.empty:
        raise DataError(f"parser {parser.__name__} returned an empty table for source {source_id!r} "
                        f"from {', '.join(files)}; check the files and the parser")
    from evalcorr.data import schema

    validate = schema.validate_scores if kind == "scores" else schema.validate_transfer
    validate(df, source_id, path=", ".join(str(files[f.path]) for f in source.files), scales=source.scales)
    df = df.reset_index(drop=True)

    cache_dir.mkdir(parents=True, exist_ok=True)
    digest = _write_atomic(df, out)
    summary = summarise(df, kind)
    _write_text_atomic(json.dumps({"source": source_id, "kind": kind, "key": key, "sha256": digest,
                                   "inputs": {f.path: f.sha256 for f in source.inputs},
                                   **summary, "dropped_rows": dropped}, indent=1), stamp_path(source, cache_dir))
    seconds = time.perf_counter() - started
    if log:
        note = (f"; {dropped:,} duplicated row(s) dropped by the parser's documented policy "
                f"({parser.__name__}.parse_with_report lists them)") if dropped else ""
        repair = " (the cached table was damaged)" if damaged else ""
        log(f"{source_id}: built {summary['rows']:,} rows ({summary['models']:,} models x "
            f"{summary['tasks']:,} tasks) in {seconds:.1f} s -> {out}{repair}{note}")
    return BuildResult(source_id, out, True, summary["rows"], seconds)


def _run_parser(parser, source: Source, files: dict) -> tuple[object, int]:
    """The parser's table and the number of rows its duplicate policy dropped.

    Any exception other than an EvalcorrError (pandas' EmptyDataError, a MergeError, a ValueError on
    an unexpected cell, ...) becomes a DataError naming the source's files.
    """
    try:
        if hasattr(parser, "parse_with_report"):
            df, dropped = parser.parse_with_report(files)
            return df, int(len(dropped))
        return parser.parse(files), 0
    except EvalcorrError:
        raise
    except Exception as error:  # noqa: BLE001 (named and re-raised as a DataError)
        paths = ", ".join(str(files[f.path]) for f in source.files)
        raise DataError(f"{paths}: the parser {parser.__name__} of source {source.id!r} failed with "
                        f"{type(error).__name__}: {error}. The file does not have the layout the parser expects: "
                        "check it against the manifest (data/manifest.yaml) or fetch it again") from error


def ensure(source: Source, *, data_dir: str | Path | None = None, cache_dir: str | Path | None = None) -> Path:
    """The parquet of a source, built first when it is missing or its inputs changed."""
    return build(source, mirror=data_dir, cache_dir=cache_dir, verify=False).path
