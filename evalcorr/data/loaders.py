"""The public data API: tidy scores, wide model x task matrices, transfer results, families.

Every loader reads the source's cached parquet (evalcorr.data.cache), building it first when it is
missing or out of date (from the mirror ``EVALCORR_DATA_DIR``, default ``../shared/data``).

>>> import evalcorr
>>> wide = evalcorr.load_wide("helm-mmlu")                  # doctest: +SKIP
>>> wide.shape                                              # doctest: +SKIP
(79, 57)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from evalcorr.data import cache
from evalcorr.data.manifest import Source, get_source, load_manifest
from evalcorr.errors import DataError

LEVELS = ("task", "aggregate")


WIDE_COLUMNS = ["snapshot", "model", "task", "level", "metric", "score"]


@lru_cache(maxsize=32)
def _read_parquet(path: Path, _mtime_ns: int, columns: tuple[str, ...] | None) -> pd.DataFrame:
    return pd.read_parquet(path, columns=list(columns) if columns else None)


def _load(source: Source, kind: str, data_dir, cache_dir, columns=None) -> pd.DataFrame:
    if source.kind != kind:
        other = "load_transfer" if source.kind == "transfer" else "load_scores / load_wide"
        raise DataError(f"source {source.id!r} holds {source.kind} results, not {kind}; use evalcorr.{other}")
    path = cache.ensure(source, data_dir=data_dir, cache_dir=cache_dir)
    # a shallow copy: with copy-on-write, changes by the caller never reach the memoised frame
    columns = tuple(columns) if columns else None
    return _read_parquet(path, path.stat().st_mtime_ns, columns).copy(deep=False)


def _as_list(value) -> list | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _select(df: pd.DataFrame, column: str, wanted, source_id: str, argument: str) -> pd.DataFrame:
    """Rows whose ``column`` is one of ``wanted``; a DataError naming unknown values."""
    wanted = _as_list(wanted)
    if wanted is None:
        return df
    available = list(pd.unique(df[column]))
    unknown = [w for w in wanted if w not in set(available)]
    if unknown:
        shown = ", ".join(map(str, available[:30])) + (" ..." if len(available) > 30 else "")
        raise DataError(f"{argument}={unknown!r}: not in source {source_id!r}; available: {shown}")
    if len(set(wanted)) == len(available):  # every value wanted: nothing to filter
        return df
    return df[df[column].isin(wanted)]


def _natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(text))]


def snapshots(source: str | Source, *, data_dir=None, cache_dir=None) -> list[str]:
    """The snapshots of a scores source, oldest first (dates and version numbers sort naturally)."""
    return sorted(pd.unique(_load(get_source(source), "scores", data_dir, cache_dir)["snapshot"]), key=_natural_key)


def load_scores(
    source: str | Source,
    *,
    snapshot: str | Iterable[str] | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The tidy scores of a source (schema: docs/architecture.md, "Tidy scores").

    Parameters
    ----------
    source : manifest id, e.g. ``"open-llm-leaderboard-v2"``, ``"helm-mmlu"``, or its Source.
    snapshot : one snapshot or several; None keeps every snapshot.
    data_dir : mirror directory used if the cache must be built (default ``EVALCORR_DATA_DIR``,
        else ``../shared/data``).
    cache_dir : cache directory (default ``EVALCORR_CACHE_DIR``, else ``data/cache``).

    Raises
    ------
    DataError
        Unknown source, a transfer source, an unknown snapshot, or a failing cache build.
    """
    source = get_source(source)
    df = _load(source, "scores", data_dir, cache_dir)
    return _select(df, "snapshot", snapshot, source.id, "snapshot").reset_index(drop=True)


def load_wide(
    source: str | Source,
    *,
    snapshot: str | None = None,
    level: str | None = "task",
    tasks: Iterable[str] | None = None,
    metric: str | None = None,
    min_models: int = 0,
    min_tasks: int = 0,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Scores as a models x tasks matrix, NaN where a model has no score for a task.

    Parameters
    ----------
    source : manifest id (or Source) of a scores source.
    snapshot : the snapshot to use. When None and the source has several snapshots, the **latest**
        one is used (dates and versions sorted naturally; see :func:`snapshots`).
    level : ``"task"`` (leaf tasks, the default), ``"aggregate"`` (published group scores) or None
        (both).
    tasks : keep only these task ids, in this order; unknown ids raise DataError.
    metric : keep only this metric; needed when a task is published under several metrics.
    min_models : drop tasks scored for fewer models than this (applied first).
    min_tasks : then drop models with scores on fewer tasks than this.
    data_dir, cache_dir : as in :func:`load_scores`.

    Returns
    -------
    DataFrame
        Index ``model`` (source order), columns ``task`` (source order, or the order of ``tasks``),
        float scores as stored in the tidy table (see its ``scale``). Missing values stay NaN: no
        imputation, no silent dropping beyond ``min_models`` / ``min_tasks``.
    """
    source = get_source(source)
    source_id = source.id
    df = _load(source, "scores", data_dir, cache_dir, columns=WIDE_COLUMNS)
    if snapshot is None:
        available = sorted(pd.unique(df["snapshot"]), key=_natural_key)
        snapshot = available[-1]
    df = _select(df, "snapshot", snapshot, source_id, "snapshot")
    if level is not None:
        if level not in LEVELS:
            raise DataError(f"level={level!r}: use one of {', '.join(LEVELS)} or None for both")
        df = _select(df, "level", level, source_id, "level")
    df = _select(df, "metric", metric, source_id, "metric")
    df = _select(df, "task", tasks, source_id, "tasks")
    duplicated = df.duplicated(["model", "task"])
    if duplicated.any():
        task = df.loc[duplicated, "task"].iloc[0]
        metrics = sorted(pd.unique(df.loc[df["task"] == task, "metric"]))
        raise DataError(f"source {source_id!r}: task {task!r} has several scores per model (metrics "
                        f"{metrics}); choose one with metric=...")
    wide = df.pivot(index="model", columns="task", values="score")
    wide = wide.reindex(index=pd.unique(df["model"]), columns=_as_list(tasks) or pd.unique(df["task"]))
    wide = wide.loc[:, wide.notna().sum() >= min_models]
    wide = wide.loc[wide.notna().sum(axis=1) >= min_tasks]
    wide.index.name, wide.columns.name = "model", "task"
    return wide.astype("float64")


def load_transfer(
    source: str | Source,
    *,
    model: str | Iterable[str] | None = None,
    setting: str | Iterable[str] | None = None,
    stage: str | Iterable[str] | None = None,
    metric: str | Iterable[str] | None = None,
    seed: int | Iterable[int] | None = None,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The tidy transfer results of a source (docs/architecture.md, "Tidy transfer").

    ``model``, ``setting``, ``stage``, ``metric`` and ``seed`` each keep one value or a list of
    values; a value the source does not have raises DataError listing the available ones. A source
    with several runs per cell (``controlled-transfer``) keeps one row per seed; averaging over seeds
    is the analyses' choice (:func:`evalcorr.stats.transfer.transfer_matrix` averages them unless
    told one seed).

    >>> raw = load_transfer("transfer-scaling", model="babbage-002", stage="after_A")  # doctest: +SKIP
    >>> one_seed = load_transfer("controlled-transfer", model="ct-l", seed=0)           # doctest: +SKIP
    """
    source = get_source(source)
    df = _load(source, "transfer", data_dir, cache_dir)
    for column, wanted in (("model", model), ("setting", setting), ("stage", stage), ("metric", metric)):
        df = _select(df, column, wanted, source.id, column)
    if seed is not None:
        if df["seed"].isna().all():
            raise DataError(f"seed={seed!r}: source {source.id!r} has one run per cell (no seeds)")
        df = _select(df, "seed", [int(s) for s in ([seed] if isinstance(seed, int) else seed)], source.id, "seed")
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# The project's own released data: files read by role (docs/architecture.md, "The controlled experiment")


def _project_file(source: str | Source, role: str) -> Path:
    """The verified local path of the file of a given role of a project source."""
    from evalcorr.data import fetch

    source = get_source(source)
    if not source.in_project:
        raise DataError(f"source {source.id!r} is an upstream source; files by role belong to the project's "
                        f"own sources ({', '.join(s.id for s in load_manifest().values() if s.in_project)})")
    file = source.file(role)
    return fetch.materialise([file])[file.path]


def load_ground_truth(source: str | Source = "controlled-transfer") -> pd.DataFrame:
    """The ground truth of a controlled experiment: which primitive operations each task uses.

    One row per task: ``task``, ``surface`` (tasks with the same surface format look alike),
    ``control`` (``""``, ``copy`` or ``shuffled``), ``control_of``, ``template``, ``description``,
    then one 0/1 column per primitive (:func:`evalcorr.data.ground_truth.primitive_columns` lists
    them). The file is the source's ``ground_truth`` file, verified against its sha256.

    >>> truth = load_ground_truth()                               # doctest: +SKIP
    >>> truth.set_index("task").loc["secret", "cipher"]           # doctest: +SKIP
    1
    """
    from evalcorr.data.ground_truth import read_ground_truth

    path = _project_file(source, "ground_truth")
    return _cached(read_ground_truth, path).copy()


def load_item_outcomes(source: str | Source = "controlled-transfer", *,
                       model: str | Iterable[str] | None = None,
                       stage: str | Iterable[str] | None = None) -> "ItemOutcomes":  # noqa: F821
    """Which held-out items each run of a controlled experiment answered exactly.

    Returns :class:`evalcorr.data.item_outcomes.ItemOutcomes`: ``runs`` (model, stage, train_task,
    eval_task, seed, n_items) and ``correct``, a bool array [runs, items] (item order of the source's
    ``eval_items`` file). ``model`` and ``stage`` keep one value or a list; an unknown value raises
    DataError listing the available ones.
    """
    from evalcorr.data.item_outcomes import read_item_outcomes

    source = get_source(source)
    outcomes = _cached(read_item_outcomes, _project_file(source, "item_outcomes"))
    runs = outcomes.runs
    for column, wanted in (("model", model), ("stage", stage)):
        runs = _select(runs, column, wanted, source.id, column)
    return outcomes.select(outcomes.runs.index.isin(runs.index))


def load_source_file(source: str | Source, role: str):
    """Any other file of a project source, by role, verified: a CSV as a DataFrame, YAML as a dict.

    Roles of ``controlled-transfer``: ``models`` (sizes and parameter counts), ``sanity`` (the
    experiment's acceptance checks), ``intervals`` (its own cell intervals), ``eval_items`` (the
    held-out items), ``configuration`` (config.yaml) and ``run`` (run.yaml: versions, hardware, wall
    and CPU seconds per stage, peak memory).
    """
    import copy

    return copy.deepcopy(_cached(_read_plain, _project_file(source, role)))


def _read_plain(path: Path):
    if path.name.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(path.read_text(encoding="utf-8"))
    return pd.read_csv(path, keep_default_na=False)


def _cached(reader, path: Path):
    """``reader(path)``, memoised while the file is unchanged (a copy for frames is the caller's)."""
    return _read_cached(reader, path, path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _read_cached(reader, path: Path, _mtime_ns: int):
    return reader(path)


def load_families(source_id: str | None = None) -> pd.DataFrame:
    """The families table (data/families.csv): every task of every source -> benchmark, family,
    subfamily, display name and level; only the rows of ``source_id`` when given.

    Delegates to :func:`evalcorr.data.families.load_families`, which validates the table.
    """
    from evalcorr.data import families

    return families.load_families(source_id)


def metadata_coverage(source_ids: Iterable[str] | None = None, *, data_dir=None, cache_dir=None) -> pd.DataFrame:
    """Share of each scores source's models with known model metadata.

    Returns one row per source: ``source``, ``models`` and, for each metadata field of
    :data:`evalcorr.data.metadata.FIELDS` (params_b, architecture, precision, base_family, model_type,
    pretrain_tokens_t, flops_1e21), the fraction of models with a value
    (:func:`evalcorr.data.metadata.coverage`). ``source_ids`` defaults to every scores source that has
    a parser.
    """
    from evalcorr.data import metadata

    rows = []
    for source_id in source_ids if source_ids is not None else parsed_sources("scores"):
        coverage = metadata.coverage(load_scores(source_id, data_dir=data_dir, cache_dir=cache_dir))
        rows.append({"source": source_id, "models": int(coverage["models"].iloc[0]),
                     **dict(zip(coverage["field"], coverage["share"].astype(float)))})
    return pd.DataFrame(rows, columns=["source", "models", *metadata.FIELDS])


def parsed_sources(kind: str | None = None) -> list[str]:
    """Manifest ids (in manifest order) of the sources that have a parser, optionally of one kind."""
    return [s.id for s in load_manifest().values() if s.parser is not None and kind in (None, s.kind)]


def snapshot_label(values: Iterable[str]) -> str:
    """``2024-06-24 .. 2026-01-08 (10)`` for several snapshots (natural order), the one otherwise."""
    values = sorted(values, key=_natural_key)
    if len(values) <= 1:
        return "".join(values)
    return f"{values[0]} .. {values[-1]} ({len(values)})"


def source_summary(source_ids: Iterable[str] | None = None, *, data_dir=None, cache_dir=None) -> pd.DataFrame:
    """Size of each source's tidy table: source, kind, models, tasks, rows, snapshot.

    ``tasks`` counts leaf tasks (level ``task``) of a scores source and evaluated tasks of a
    transfer source. Builds missing caches; ``source_ids`` defaults to every source with a parser.
    """
    rows = []
    for source_id in source_ids if source_ids is not None else parsed_sources():
        source = get_source(source_id)
        cache.ensure(source, data_dir=data_dir, cache_dir=cache_dir)
        stamp = cache.read_stamp(source, cache_dir)
        rows.append({"source": source.id, "kind": stamp["kind"], "models": stamp["models"],
                     "tasks": stamp["tasks"], "rows": stamp["rows"],
                     "snapshot": snapshot_label(stamp["snapshots"])})
    return pd.DataFrame(rows, columns=["source", "kind", "models", "tasks", "rows", "snapshot"])


def identical_score_models(wide: pd.DataFrame) -> pd.DataFrame:
    """Models whose whole score vector equals another model's (same scores, same missing tasks).

    Returns one row per such model, columns ``model`` and ``group`` (0, 1, ... numbering the sets
    of identical models in order of first appearance); empty when every model is distinct. Such
    rows are re-uploads or renamed copies rather than independent samples.
    """
    scored = wide[wide.notna().any(axis=1)]
    duplicated = scored[scored.duplicated(keep=False)]
    if duplicated.empty:
        return pd.DataFrame({"model": pd.Series(dtype="str"), "group": pd.Series(dtype="int64")})
    keys = duplicated.round(12).astype("string").fillna("NA").agg("|".join, axis=1)
    group = pd.Series(pd.factorize(keys)[0], index=duplicated.index)
    return pd.DataFrame({"model": duplicated.index.astype(str), "group": group.to_numpy()})


def model_dates(source: str | Source = "open-llm-leaderboard-v2", *, data_dir: str | Path | None = None,
                cache_dir: str | Path | None = None) -> pd.DataFrame:
    """Submission and upload dates of a leaderboard source's models, where the data hold them.

    The leaderboard v2 score matrix carries no dates per model (only the range of its results files,
    2024-06 .. 2025-03). Sloth's copy of the leaderboard table (``sloth/open-llm-leaderboard_new.csv``,
    mid 2024) has each entry's submission and upload date; this joins it on the exact model id.

    Returns
    -------
    DataFrame
        model, submitted, uploaded (datetime64, NaT where unknown) for the source's models that the
        table lists (:func:`evalcorr.data.metadata.sloth_leaderboard_dates`).

    Raises
    ------
    DataError
        for a source without date information (only open-llm-leaderboard-v2 has any).
    """
    from evalcorr.data.fetch import materialise
    from evalcorr.data.metadata import SLOTH_LEADERBOARD_FILE, sloth_leaderboard_dates

    source = get_source(source)
    files = [f for f in source.inputs if f.path == SLOTH_LEADERBOARD_FILE]
    if not files:
        raise DataError(f"source {source.id!r} has no model dates; only open-llm-leaderboard-v2 (through "
                        "Sloth's copy of the leaderboard table) does")
    dates = sloth_leaderboard_dates(materialise(files, mirror=data_dir, cache_dir=cache_dir,
                                                progress=False)[SLOTH_LEADERBOARD_FILE])
    models = set(load_scores(source, data_dir=data_dir, cache_dir=cache_dir)["model"].astype(str))
    return dates[dates["model"].isin(models)].reset_index(drop=True)


def task_set_overlap(*, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Validation prompts of each transfer-scaling task that also occur in its training set.

    Reads the verified task files of the source (from the mirror ``data_dir``, default
    ``EVALCORR_DATA_DIR``); the table is :func:`evalcorr.data.parsers.transfer_scaling.task_set_overlap`'s.
    """
    from evalcorr.data.fetch import materialise
    from evalcorr.data.parsers import transfer_scaling

    wanted = set(transfer_scaling.item_files())
    files = [f for f in get_source("transfer-scaling").inputs if f.path in wanted]
    return transfer_scaling.task_set_overlap(materialise(files, mirror=data_dir, progress=False))
