"""Robustness of the headline statistics to which models are included.

The leaderboard is not a random sample of models: it mixes base and instruction-tuned models, spans
three orders of magnitude in size, and holds many merges and fine-tunes of the same few bases. This
module recomputes the headline statistics on model subsets and reports them side by side.

Subset rules (``subset_models(..., by=...)``):

- ``"type"``: *instruct/chat* when the metadata ``model_type`` says ``instruct``, or, where it is
  unknown, when the model id contains an instruction-tuning marker (:data:`INSTRUCT_PATTERN`:
  instruct, chat, ``-it``, sft, dpo, orpo, rlhf, kto, simpo); *base* when ``model_type`` says
  ``base``, or it is unknown and the id has no such marker (so "base" includes unlabelled merges).
- ``"size"``: *small* / *large*: ``params_b`` at or below / above the median over the models with a
  known positive parameter count (models without one are left out).
- ``"dedup"``: one model per ``architecture`` x parameter bucket (:data:`PARAM_BUCKETS`, billions),
  the one with the most scores (ties: the first model id in sorted order), to damp near-duplicate
  merges and fine-tunes of one base. Models without architecture or parameter count are left out.
- ``"base-family"``: one model per known ``base_family`` (same choice rule).
- ``"identical"`` / ``"near-duplicates"``: one model per group of (near-)duplicate score vectors
  (:func:`deduplicate_models` with tolerance 0 / ``tolerance``, default :data:`DUPLICATE_TOLERANCE`);
  these rules read the scores in ``wide``, not the metadata.

Near-duplicates (:func:`near_duplicate_pairs`): two models are near-duplicates when they share at
least ``min_shared`` scored tasks (default: half of the columns, rounded up) and their scores differ by
at most ``tolerance`` on *every* shared task (tolerance 0: identical scores). Groups are the connected
components of that relation, so a chain a~b~c is one group even when a and c differ by more than the
tolerance; the report gives each dropped model's largest difference to the model kept.

Snapshots (:func:`snapshot_comparison`): the benchmark x benchmark correlation matrices of two
snapshots of one leaderboard, on all models of each and on the models common to both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dataclasses import dataclass
from typing import Mapping

from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from evalcorr.errors import EvalcorrError
from evalcorr.stats.blas import one_blas_thread
from evalcorr.stats.clustering import cluster_family_agreement
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs, task_families
from evalcorr.stats.inputs import family_series, score_matrix
from evalcorr.stats.pca import principal_components
from evalcorr.stats.summary import summarise_pairs

INSTRUCT_PATTERN = r"(?i)(?:instruct|chat|(?:^|[-_./])it(?:$|[-_.])|sft|dpo|orpo|rlhf|kto|simpo)"
PARAM_BUCKETS = (0, 1, 2, 4, 8, 16, 32, 64, 128, np.inf)
SUBSET_RULES = ("all", "type", "size", "dedup", "base-family", "identical", "near-duplicates")
DUPLICATE_TOLERANCE = 0.01
UNKNOWN_ARCHITECTURES = {"", "?", "unknown", "nan", "none"}
METADATA_FIELDS = ("params_b", "architecture", "base_family", "base_model", "model_type")


def model_metadata(scores: pd.DataFrame) -> pd.DataFrame:
    """One row of model metadata per model (index ``model``) from tidy scores.

    Keeps the metadata columns that exist (params_b, architecture, base_family, base_model, model_type); a
    non-positive params_b and placeholder architectures ('?', 'Unknown', '') become missing.
    """
    if "model" not in scores.columns:
        raise EvalcorrError("`scores` must be the tidy scores table (evalcorr.load_scores) with a `model` column")
    columns = [c for c in METADATA_FIELDS if c in scores.columns]
    meta = scores.drop_duplicates("model").set_index("model")[columns].copy()
    if "params_b" in meta:
        params = pd.to_numeric(meta["params_b"], errors="coerce").astype(float)
        meta["params_b"] = params.where(params > 0)
    if "architecture" in meta:
        arch = meta["architecture"].astype("string")
        meta["architecture"] = arch.mask(arch.str.strip().str.lower().isin(UNKNOWN_ARCHITECTURES))
    return meta


def architecture_size_labels(metadata: pd.DataFrame) -> pd.Series:
    """``"architecture | [lo, hi)"`` (:data:`PARAM_BUCKETS`, billions) of each model with both fields known.

    Parameters
    ----------
    metadata : DataFrame
        index model, columns ``architecture`` and ``params_b`` as from :func:`model_metadata`
        (non-positive counts and placeholder architectures already missing).

    Returns
    -------
    Series
        model -> label, only for the models with both fields (empty when a column is missing).
    """
    if not {"params_b", "architecture"} <= set(metadata.columns):
        return pd.Series(dtype="string", name="group")
    known = metadata.dropna(subset=["params_b", "architecture"])
    bucket = pd.cut(known["params_b"].astype(float), PARAM_BUCKETS, right=False).astype(str)
    return (known["architecture"].astype(str) + " | " + bucket).astype("string").rename("group")


def _most_complete(groups: pd.Series, wide: pd.DataFrame) -> list[str]:
    """Per group, the model with the most scores in ``wide`` (ties: first model id in sorted order)."""
    frame = pd.DataFrame({"group": groups.to_numpy(), "model": groups.index.astype(str),
                          "n": wide.notna().sum(axis=1).reindex(groups.index).fillna(0).to_numpy()})
    frame = frame.sort_values(["group", "n", "model"], ascending=[True, False, True], kind="stable")
    return sorted(frame.drop_duplicates("group")["model"])


def subset_models(metadata: pd.DataFrame, by: str, wide: pd.DataFrame | None = None, *,
                  tolerance: float = DUPLICATE_TOLERANCE) -> dict[str, list[str]]:
    """Model subsets by one rule (module docstring); an empty dict when the metadata it needs is missing.

    Parameters
    ----------
    metadata : DataFrame
        index model, columns as from :func:`model_metadata` (tidy scores are accepted too).
    by : {"all", "type", "size", "dedup", "base-family", "identical", "near-duplicates"}
    wide : DataFrame, optional
        the models x tasks matrix; its models are the universe (default: the metadata's models) and
        its completeness chooses the representative model in "dedup" and "base-family". Required by
        "identical" and "near-duplicates", which compare its score vectors.
    tolerance : float
        largest score difference on every shared task for "near-duplicates" (:func:`deduplicate_models`).

    Returns
    -------
    dict
        subset label -> sorted model ids, e.g. ``{"small (<= 8.0B)": [...], "large (> 8.0B)": [...]}``.
    """
    if "model" in metadata.columns:
        metadata = model_metadata(metadata)
    if by not in SUBSET_RULES:
        raise EvalcorrError(f"unknown subset rule {by!r}; use one of {', '.join(SUBSET_RULES)}")
    models = pd.Index(wide.index if wide is not None else metadata.index)
    meta = metadata.reindex(models)
    universe = wide if wide is not None else pd.DataFrame(index=models)
    if by == "all":
        return {"all models": sorted(models)}
    if by in ("identical", "near-duplicates"):
        if wide is None:
            raise EvalcorrError(f"subset rule {by!r} compares score vectors: pass the models x tasks matrix as `wide`")
        tol = 0.0 if by == "identical" else tolerance
        kept, _ = deduplicate_models(wide, tolerance=tol)
        label = "one per identical-score group" if by == "identical" else f"one per near-duplicate group (<= {tol:g})"
        return {label: sorted(kept.index.astype(str))}
    if by == "type":
        declared = meta["model_type"].astype("string").str.lower() if "model_type" in meta else pd.Series(pd.NA, index=models, dtype="string")
        marked = pd.Series(models, index=models).astype(str).str.contains(INSTRUCT_PATTERN, regex=True)
        instruct = declared.eq("instruct").fillna(False) | (declared.isna() & marked)
        return {"instruct/chat": sorted(models[instruct.to_numpy()]), "base": sorted(models[~instruct.to_numpy()])}
    if by == "size":
        if "params_b" not in meta or meta["params_b"].notna().sum() < 2:
            return {}
        params = meta["params_b"].dropna()
        median = float(params.median())
        return {f"small (<= {median:.1f}B)": sorted(params.index[params <= median]),
                f"large (> {median:.1f}B)": sorted(params.index[params > median])}
    if by == "dedup":
        groups = architecture_size_labels(meta)
        if groups.empty:
            return {}
        return {"one per architecture x size": _most_complete(groups, universe)}
    # base-family
    if "base_family" not in meta or meta["base_family"].notna().sum() == 0:
        return {}
    known = meta["base_family"].dropna().astype(str)
    return {"one per base family": _most_complete(known, universe)}


HEADLINE_COLUMNS = ["rule", "subset", "n_models", "n_tasks", "n_pairs", "share_positive", "median_r",
                    "median_within", "median_between", "pc1_share", "pc1_models", "ari", "note"]


# Small decompositions, often in loops over subsets: BLAS threads only add synchronisation (on a busy
# two-core machine they made these functions over ten times slower), so they run single-threaded.
@one_blas_thread
def headline_statistics(wide: pd.DataFrame, families, method: str = "pearson", min_periods: int = 30,
                        min_coverage: float = 0.5) -> dict:
    """The headline statistics of one models x tasks matrix.

    Tasks scored for fewer than ``min_periods`` models, or for less than ``min_coverage`` of the
    models (e.g. the leaderboard's arc_challenge, 85 of 1,860), are dropped first, so that every
    subset's PCA has most of its models as complete rows; the note names the dropped tasks. Returns n_models, n_tasks, n_pairs,
    share_positive, median_r, median_within, median_between (as
    :func:`evalcorr.stats.summary.correlation_summary` gives them),
    pc1_share (variance share of PC1 of the complete-case PCA, on pc1_models complete rows) and ari
    (:func:`cluster_family_agreement` at k = number of families).
    """
    wide = wide.loc[wide.notna().any(axis=1)]
    coverage = wide.notna().sum()
    sparse = list(wide.columns[(coverage < min_periods) | (coverage < min_coverage * len(wide))])
    wide = wide.drop(columns=sparse)
    out = {"n_models": len(wide), "n_tasks": wide.shape[1]}
    notes = [f"dropped sparse tasks: {', '.join(map(str, sparse))}"] if sparse else []
    if wide.shape[1] < 2:
        return out | {"note": "; ".join(notes + [f"fewer than 2 tasks with {min_periods} models"])}
    # One correlation matrix for the summary and the clustering: the pairs are its upper triangle, with
    # the r values correlation_pairs gives (a loop over draws computes it hundreds of times).
    corr = correlation_matrix(wide, method=method, min_periods=min_periods)
    upper = np.triu_indices(wide.shape[1], 1)
    family = task_families(families, wide.columns)
    same = (family.take(upper[0]) == family.take(upper[1])).to_numpy(dtype=float, na_value=np.nan)
    summary = summarise_pairs(corr.to_numpy()[upper], same)
    out |= {key: summary[key] for key in ("n_pairs", "share_positive", "median_r", "median_within", "median_between")}
    out["n_pairs"] = int(out["n_pairs"])
    complete = wide.dropna()
    if len(complete) >= 3:
        pca = principal_components(complete, n_components=1)
        out |= {"pc1_share": float(pca.explained_variance_ratio["PC1"]), "pc1_models": pca.n_models}
    else:
        notes.append("too few complete rows for PCA")
    if corr.notna().all().all():
        out["ari"] = cluster_family_agreement(corr, families)
    else:
        notes.append("NaN correlations: no clustering")
    if notes:
        out["note"] = "; ".join(notes)
    return out


def robustness_table(wide: pd.DataFrame, metadata: pd.DataFrame, families, subsets=("all", "type", "size", "dedup"),
                     method: str = "pearson", min_periods: int = 30, min_coverage: float = 0.5, *,
                     tolerance: float = DUPLICATE_TOLERANCE) -> pd.DataFrame:
    """The headline statistics on model subsets, side by side.

    Parameters
    ----------
    wide : DataFrame
        models x tasks.
    metadata : DataFrame
        model metadata (:func:`model_metadata`) or the tidy scores it is built from.
    families : Series or DataFrame
        task -> family.
    subsets : sequence of str
        subset rules (:data:`SUBSET_RULES`), in the order of the table.
    method, min_periods, min_coverage :
        as in :func:`headline_statistics`.
    tolerance : float
        for the "near-duplicates" rule (:func:`deduplicate_models`).

    Returns
    -------
    DataFrame
        one row per subset: :data:`HEADLINE_COLUMNS`. A rule whose metadata is missing gets one row
        with a note saying so; a subset with fewer than ``min_periods`` models gets a note too.
    """
    if "model" in metadata.columns:
        metadata = model_metadata(metadata)
    families = family_series(families)      # once: a Series is read as it is on every subset
    rows = []
    for rule in subsets:
        groups = subset_models(metadata, rule, wide, tolerance=tolerance)
        if not groups:
            rows.append({"rule": rule, "subset": "", "n_models": 0,
                         "note": f"skipped: the metadata this rule needs is missing ({rule})"})
            continue
        for label, models in groups.items():
            row = {"rule": rule, "subset": label}
            if len(models) < min_periods:
                row |= {"n_models": len(models), "note": f"skipped: {len(models)} models, fewer than {min_periods}"}
            else:
                row |= headline_statistics(wide.loc[models], families, method=method, min_periods=min_periods,
                                           min_coverage=min_coverage)
            rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=HEADLINE_COLUMNS)
    for column in ("n_models", "n_tasks", "n_pairs", "pc1_models"):
        table[column] = table[column].astype("Int64")
    table["note"] = table["note"].astype("string").fillna("")
    table[["rule", "subset"]] = table[["rule", "subset"]].astype("string")
    return table


DRAW_STATISTICS = ["n_models", "n_tasks", "share_positive", "median_r", "median_within", "median_between",
                   "pc1_share", "ari"]


def representative_draws(wide: pd.DataFrame, groups: pd.Series, families, n_draws: int = 200, seed: int = 0,
                         method: str = "pearson", min_periods: int = 30, min_coverage: float = 0.5) -> pd.DataFrame:
    """The headline statistics over random draws of one model per group.

    Picking the most complete model of each group (the ``"dedup"`` subset) is one arbitrary draw,
    and a biased one where a sparse task makes some models more complete than others. Here each draw
    picks one model per group uniformly at random (models of ``wide`` without a group are left out).

    Parameters
    ----------
    wide : DataFrame
        models x tasks.
    groups : Series
        model -> group label (e.g. :func:`architecture_size_labels`); models without a label are left out.
    families : Series or DataFrame
        task -> family.
    n_draws : int
        number of draws (seeded).
    method, min_periods, min_coverage :
        as in :func:`headline_statistics` (sparse tasks are dropped within each draw).

    Returns
    -------
    DataFrame
        one row per draw: draw and :data:`DRAW_STATISTICS`.
    """
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise EvalcorrError(f"`n_draws` must be a positive number of draws, got {n_draws!r}")
    labels = groups.reindex(wide.index).dropna()
    if labels.nunique() < min_periods:
        raise EvalcorrError(f"`groups` has {labels.nunique()} groups among the models of `wide`; one model per "
                            f"group needs at least min_periods={min_periods}")
    families = family_series(families)      # once: a Series is read as it is in every draw
    rng = np.random.default_rng(seed)
    rows = []
    for draw in range(n_draws):
        shuffled = labels.iloc[rng.permutation(len(labels))]
        picked = shuffled[~shuffled.duplicated()].index
        stats = headline_statistics(wide.loc[picked], families, method=method, min_periods=min_periods,
                                    min_coverage=min_coverage)
        rows.append({"draw": draw, **{key: stats.get(key, np.nan) for key in DRAW_STATISTICS}})
    return pd.DataFrame(rows)


@one_blas_thread
def block_above_floor(wide: pd.DataFrame, families, family: str, floors=(0.0, 0.02, 0.05, 0.10),
                      control: str | None = "pc1", min_periods: int = 30) -> pd.DataFrame:
    """One family's block on the models whose mean score on that family reaches each floor.

    Near-zero scores can make a block by themselves: models that solve almost nothing on every task of
    a family agree on all of them. Keeping only models at or above a floor on the family's mean score
    tests whether the block survives among models that do score.

    Parameters
    ----------
    wide : DataFrame
        models x tasks (dense tasks when ``control`` is PC-based).
    families : Series or DataFrame
        task -> family.
    family : str
        the family whose block is tested (e.g. "MATH").
    floors : sequence of float
        minimum mean score over the family's tasks (0 keeps every model that has them).
    control : str or None
        a control of :func:`evalcorr.stats.partial.partial_correlation_matrix` for the partial columns
        (recomputed on each subset), or None to skip them.

    Returns
    -------
    DataFrame
        one row per floor: floor, n_models, mean_within, mean_between, difference (plain Pearson, from
        :func:`evalcorr.stats.partial.block_structure`) and partial_within, partial_between,
        partial_difference under ``control``. Floors leaving fewer than ``min_periods`` models get NaN.
    """
    from evalcorr.stats.partial import block_structure, partial_correlation_matrix

    fam = family_series(families, wide.columns).loc[list(wide.columns)]
    members = list(fam.index[fam == family])
    if len(members) < 2:
        raise EvalcorrError(f"family {family!r} has {len(members)} tasks in `wide`; a block needs at least 2")
    level = wide[members].mean(axis=1)
    rows = []
    for floor in floors:
        subset = wide.loc[level >= floor]
        row = {"floor": float(floor), "n_models": len(subset)}
        if len(subset) >= min_periods:
            plain = block_structure(correlation_matrix(subset, min_periods=min_periods), fam).set_index("family")
            row |= {key: plain.loc[family, key] for key in ("mean_within", "mean_between", "difference")}
            if control is not None:
                partial = block_structure(partial_correlation_matrix(subset, control=control, min_periods=min_periods,
                                                                     families=fam), fam).set_index("family")
                row |= {f"partial_{key.split('_')[-1]}": partial.loc[family, key]
                        for key in ("mean_within", "mean_between", "difference")}
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=["floor", "n_models", "mean_within", "mean_between", "difference",
                                               "partial_within", "partial_between", "partial_difference"])


FLOAT_SLACK = 1e-12   # scores equal up to floating-point rounding count as equal
PAIR_CHUNK = 200_000  # candidate pairs compared per batch (bounds memory)
PRUNING_TASKS = 3     # tasks besides the sweep's key that cheaply drop candidate pairs


def _check_models(wide: pd.DataFrame, name: str = "wide") -> np.ndarray:
    values = score_matrix(wide, name)
    if wide.index.has_duplicates:
        dup = sorted(map(str, set(wide.index[wide.index.duplicated()])))[:5]
        raise EvalcorrError(f"`{name}` has duplicated model rows {dup}; each model must appear once")
    return values


def _candidate_pairs(values: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) that can be within ``tolerance`` on every shared task.

    Two models that both have the key task (the most spread-out of the best-covered tasks) can only
    qualify when they are within the tolerance on it, so those are found by a sorted sweep; a model without that task is paired with
    every other model. The next :data:`PRUNING_TASKS` most spread-out tasks then drop the pairs that are
    farther apart than the tolerance on one of them (the full comparison would reject them too).
    """
    n = len(values)
    coverage = (~np.isnan(values)).sum(axis=0)
    std = np.nanstd(np.where(coverage > 1, values, 0.0), axis=0)
    key_task = int(np.argmax(np.where(coverage == coverage.max(), std, -1.0)))
    key = values[:, key_task]    # the most spread-out of the best-covered tasks prunes most
    has = np.flatnonzero(~np.isnan(key))
    order = has[np.argsort(key[has], kind="stable")]
    sorted_key = key[order]
    upper = np.searchsorted(sorted_key, sorted_key + tolerance + FLOAT_SLACK, side="right")
    counts = upper - np.arange(len(order)) - 1
    left = np.repeat(np.arange(len(order)), counts)
    right = left + 1 + np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    first, second = [order[left]], [order[right]]
    for i in np.flatnonzero(np.isnan(key)):
        others = np.flatnonzero(~np.isnan(key) | (np.arange(n) > i))
        others = others[others != i]
        first.append(np.full(len(others), i))
        second.append(others)
    i, j = np.concatenate(first), np.concatenate(second)
    pruning_tasks = [task for task in np.argsort(-std, kind="stable") if task != key_task][:PRUNING_TASKS]
    for task in pruning_tasks:
        apart = np.abs(values[i, task] - values[j, task]) > tolerance + FLOAT_SLACK   # NaN: not apart
        i, j = i[~apart], j[~apart]
    return np.minimum(i, j), np.maximum(i, j)


def near_duplicate_pairs(wide: pd.DataFrame, tolerance: float = DUPLICATE_TOLERANCE,
                         min_shared: int | None = None) -> pd.DataFrame:
    """Pairs of models whose scores differ by at most ``tolerance`` on every task both have.

    Parameters
    ----------
    wide : DataFrame
        models x tasks, NaN where missing; one row per model.
    tolerance : float
        largest absolute score difference allowed on each shared task, in the units of ``wide``
        (0.01 = one percentage point for fractions); 0 means identical scores (up to rounding).
    min_shared : int, optional
        fewest tasks the two models must both have; default half of the columns, rounded up.

    Returns
    -------
    DataFrame
        model_a, model_b (model_a first in sorted order), n_shared, max_abs_diff; sorted by model_a,
        model_b; empty when no pair qualifies.
    """
    values = _check_models(wide)
    if values.shape[1] == 0:
        raise EvalcorrError("`wide` has no task columns; pass a models x tasks matrix")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise EvalcorrError(f"`tolerance` must be a finite score difference >= 0 (e.g. 0.01), got {tolerance}")
    if min_shared is None:
        min_shared = max(1, -(-values.shape[1] // 2))
    if int(min_shared) < 1:
        raise EvalcorrError(f"`min_shared` must be a number of tasks >= 1, got {min_shared}")
    i, j = _candidate_pairs(values, tolerance)
    found = []
    for start in range(0, len(i), PAIR_CHUNK):
        a, b = i[start:start + PAIR_CHUNK], j[start:start + PAIR_CHUNK]
        diff = np.abs(values[a] - values[b])
        shared = ~np.isnan(diff)
        n_shared = shared.sum(axis=1)
        largest = np.where(shared, diff, 0.0).max(axis=1, initial=0.0)
        keep = (n_shared >= min_shared) & (largest <= tolerance + FLOAT_SLACK)
        found.append(pd.DataFrame({"a": a[keep], "b": b[keep], "n_shared": n_shared[keep], "max_abs_diff": largest[keep]}))
    pairs = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=["a", "b", "n_shared", "max_abs_diff"])
    names = wide.index.astype(str).to_numpy()
    first, second = names[pairs["a"].to_numpy(int)], names[pairs["b"].to_numpy(int)]
    out = pd.DataFrame({"model_a": np.minimum(first, second), "model_b": np.maximum(first, second),
                        "n_shared": pairs["n_shared"].to_numpy(int), "max_abs_diff": pairs["max_abs_diff"].to_numpy(float)})
    out[["model_a", "model_b"]] = out[["model_a", "model_b"]].astype("string")
    return out.sort_values(["model_a", "model_b"], ignore_index=True)


REPORT_COLUMNS = ["group", "model", "kept", "n_scores", "n_shared", "max_abs_diff"]


def deduplicate_models(wide: pd.DataFrame, tolerance: float = DUPLICATE_TOLERANCE,
                       min_shared: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep one model per group of (near-)duplicates.

    Groups are the connected components of :func:`near_duplicate_pairs` (same ``tolerance`` and
    ``min_shared``); each keeps its model with the most scores (ties: first model id in sorted order).

    Returns
    -------
    (DataFrame, DataFrame)
        the rows of ``wide`` without the dropped models (order kept), and the report: one row per
        model in a group, columns group (0, 1, ... in the sorted order of the kept models), model,
        kept, n_scores, and n_shared / max_abs_diff against the kept model of its group (the largest
        difference can exceed the tolerance when a group is a chain).
    """
    pairs = near_duplicate_pairs(wide, tolerance=tolerance, min_shared=min_shared)
    if pairs.empty:
        return wide.copy(), pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            REPORT_COLUMNS, ["int64", "string", "bool", "int64", "int64", "float64"])})
    names = pd.Index(wide.index.astype(str))
    a, b = names.get_indexer(pairs["model_a"]), names.get_indexer(pairs["model_b"])
    graph = coo_array((np.ones(len(a)), (a, b)), shape=(len(names), len(names)))
    _, component = connected_components(graph, directed=False)
    members = np.unique(np.concatenate([a, b]))
    kept = _most_complete(pd.Series(component[members], index=wide.index[members]), wide)
    kept_rows = names.get_indexer(kept)
    number = pd.Series(np.arange(len(kept)), index=component[kept_rows])   # component -> group number
    keeper = pd.Series(kept_rows, index=component[kept_rows])               # component -> kept model's row
    values = wide.to_numpy(dtype=float, na_value=np.nan)
    diff = np.abs(values[members] - values[keeper.loc[component[members]].to_numpy()])
    shared = ~np.isnan(diff)
    report = pd.DataFrame({
        "group": number.loc[component[members]].to_numpy(),
        "model": pd.array(names[members], dtype="string"),
        "kept": names[members].isin(kept),
        "n_scores": (~np.isnan(values[members])).sum(axis=1),
        "n_shared": shared.sum(axis=1),
        "max_abs_diff": np.where(shared, diff, 0.0).max(axis=1),
    }).sort_values(["group", "kept", "model"], ascending=[True, False, True], ignore_index=True)
    dropped = report.loc[~report["kept"], "model"]
    return wide.loc[~names.isin(dropped)], report


def chance_normalise(wide: pd.DataFrame, chance: Mapping[str, float]) -> pd.DataFrame:
    """Rescale scores between chance and perfect, clipping below chance at 0, as the leaderboard displays them.

    ``(score - c) / (1 - c)`` clipped at 0 for each column named in ``chance`` (column -> chance level
    c in [0, 1)); other columns are returned unchanged. The rescaling is linear, the clipping is not,
    so the Pearson r of a column changes only through the models below chance.
    """
    missing = [c for c in chance if c not in wide.columns]
    if missing:
        raise EvalcorrError(f"`chance` names columns that are not in `wide`: {missing}; columns are {list(wide.columns)}")
    out = wide.copy()
    for column, level in chance.items():
        if not 0 <= level < 1:
            raise EvalcorrError(f"chance level of {column!r} must be in [0, 1), got {level}")
        out[column] = ((wide[column] - level) / (1 - level)).clip(lower=0)
    return out


@dataclass(frozen=True)
class SnapshotComparison:
    """Benchmark x benchmark correlations in two snapshots (:func:`snapshot_comparison`).

    ``pairs``: one row per unordered benchmark pair: task_a, task_b, n_a, r_a, n_b, r_b, diff (r_b -
    r_a; all models of each snapshot), n_common, r_a_common, r_b_common, diff_common (models in both).
    ``benchmarks``: benchmark, column_a, column_b, n_a, n_b, n_common, r_same_model and
    rho_same_model (Pearson and Spearman of one benchmark's scores of the common models across the
    two snapshots: 1 when the snapshots agree up to a linear / monotone rescaling).
    ``summary``: n_models_a, n_models_b, n_common, n_pairs, matrix_r and matrix_r_common (Pearson r
    between the two matrices' off-diagonal entries), mean_abs_diff(_common), max_abs_diff(_common).
    """

    pairs: pd.DataFrame
    benchmarks: pd.DataFrame
    summary: dict


def _benchmark_frame(wide: pd.DataFrame, columns: list[str], labels: list[str], name: str) -> pd.DataFrame:
    _check_models(wide, name)
    missing = [c for c in columns if c not in wide.columns]
    if missing:
        raise EvalcorrError(f"`mapping` names columns {missing} that are not in `{name}`; its columns are {list(wide.columns)}")
    frame = wide[columns].set_axis(labels, axis=1)
    return frame.loc[frame.notna().any(axis=1)]


def snapshot_comparison(wide_a: pd.DataFrame, wide_b: pd.DataFrame,
                        mapping: Mapping[str, tuple[str, str]] | None = None, method: str = "pearson",
                        min_periods: int = 30) -> SnapshotComparison:
    """Compare the benchmark x benchmark correlation matrices of two snapshots of one leaderboard.

    Parameters
    ----------
    wide_a, wide_b : DataFrame
        models x benchmarks of the two snapshots (models matched by exact id).
    mapping : dict, optional
        benchmark label -> (column in ``wide_a``, column in ``wide_b``); default: the columns both
        have, under their own names.
    method, min_periods :
        as in :func:`evalcorr.stats.correlation.correlation_pairs` (pairwise-complete).

    Returns
    -------
    SnapshotComparison
        On "all" models each snapshot uses every model it scores; on "common" models both use the
        models present in both, and a score counts only where the other snapshot has it too, so both
        matrices rest on the same models pair by pair.
    """
    if mapping is None:
        mapping = {c: (c, c) for c in wide_a.columns if c in set(wide_b.columns)}
    if len(mapping) < 2:
        raise EvalcorrError("`mapping` must name at least 2 benchmarks: label -> (column in wide_a, column in wide_b)")
    labels = list(mapping)
    a = _benchmark_frame(wide_a, [mapping[k][0] for k in labels], labels, "wide_a")
    b = _benchmark_frame(wide_b, [mapping[k][1] for k in labels], labels, "wide_b")
    common = a.index.intersection(b.index, sort=False)
    a_common, b_common = a.loc[common], b.loc[common]
    a_common, b_common = a_common.where(b_common.notna()), b_common.where(a_common.notna())

    def pairs_of(frame: pd.DataFrame, suffix: str) -> pd.DataFrame:
        table = correlation_pairs(frame, method=method, min_periods=min_periods)[["task_a", "task_b", "n", "r"]]
        return table.rename(columns={"n": f"n_{suffix}", "r": f"r_{suffix}"})

    pairs = pairs_of(a, "a").merge(pairs_of(b, "b"), on=["task_a", "task_b"])
    pairs["diff"] = pairs["r_b"] - pairs["r_a"]
    common_pairs = pairs_of(a_common, "a_common").merge(pairs_of(b_common, "b_common"), on=["task_a", "task_b"])
    pairs["n_common"] = common_pairs["n_a_common"].to_numpy()
    pairs[["r_a_common", "r_b_common"]] = common_pairs[["r_a_common", "r_b_common"]].to_numpy()
    pairs["diff_common"] = pairs["r_b_common"] - pairs["r_a_common"]

    rows = []
    for label in labels:
        both = pd.concat([a_common[label], b_common[label]], axis=1, keys=["a", "b"]).dropna()
        enough = len(both) >= max(min_periods, 3)
        rows.append({"benchmark": label, "column_a": mapping[label][0], "column_b": mapping[label][1],
                     "n_a": int(a[label].notna().sum()), "n_b": int(b[label].notna().sum()), "n_common": len(both),
                     "r_same_model": both["a"].corr(both["b"]) if enough else np.nan,
                     "rho_same_model": both["a"].corr(both["b"], method="spearman") if enough else np.nan})

    def agreement(x: pd.Series, y: pd.Series) -> float:
        ok = x.notna() & y.notna()
        return float(np.corrcoef(x[ok], y[ok])[0, 1]) if ok.sum() >= 3 else np.nan

    summary = {"n_models_a": len(a), "n_models_b": len(b), "n_common": len(common), "n_pairs": len(pairs),
               "matrix_r": agreement(pairs["r_a"], pairs["r_b"]),
               "matrix_r_common": agreement(pairs["r_a_common"], pairs["r_b_common"]),
               "mean_abs_diff": float(pairs["diff"].abs().mean()), "max_abs_diff": float(pairs["diff"].abs().max()),
               "mean_abs_diff_common": float(pairs["diff_common"].abs().mean()),
               "max_abs_diff_common": float(pairs["diff_common"].abs().max())}
    return SnapshotComparison(pairs=pairs, benchmarks=pd.DataFrame(rows), summary=summary)
