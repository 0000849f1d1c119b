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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.clustering import cluster_family_agreement
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
from evalcorr.stats.pca import principal_components
from evalcorr.stats.summary import correlation_summary

INSTRUCT_PATTERN = r"(?i)(?:instruct|chat|(?:^|[-_./])it(?:$|[-_.])|sft|dpo|orpo|rlhf|kto|simpo)"
PARAM_BUCKETS = (0, 1, 2, 4, 8, 16, 32, 64, 128, np.inf)
SUBSET_RULES = ("all", "type", "size", "dedup", "base-family")
UNKNOWN_ARCHITECTURES = {"", "?", "unknown", "nan", "none"}
METADATA_FIELDS = ("params_b", "architecture", "base_family", "model_type")


def model_metadata(scores: pd.DataFrame) -> pd.DataFrame:
    """One row of model metadata per model (index ``model``) from tidy scores.

    Keeps the metadata columns that exist (params_b, architecture, base_family, model_type); a
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


def _most_complete(groups: pd.Series, wide: pd.DataFrame) -> list[str]:
    """Per group, the model with the most scores in ``wide`` (ties: first model id in sorted order)."""
    frame = pd.DataFrame({"group": groups.to_numpy(), "model": groups.index.astype(str),
                          "n": wide.notna().sum(axis=1).reindex(groups.index).fillna(0).to_numpy()})
    frame = frame.sort_values(["group", "n", "model"], ascending=[True, False, True], kind="stable")
    return sorted(frame.drop_duplicates("group")["model"])


def subset_models(metadata: pd.DataFrame, by: str, wide: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Model subsets by one rule (module docstring); an empty dict when the metadata it needs is missing.

    Parameters
    ----------
    metadata : DataFrame
        index model, columns as from :func:`model_metadata` (tidy scores are accepted too).
    by : {"all", "type", "size", "dedup", "base-family"}
    wide : DataFrame, optional
        the models x tasks matrix; its models are the universe (default: the metadata's models) and
        its completeness chooses the representative model in "dedup" and "base-family".

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
        if not {"params_b", "architecture"} <= set(meta.columns):
            return {}
        known = meta.dropna(subset=["params_b", "architecture"])
        if known.empty:
            return {}
        bucket = pd.cut(known["params_b"], PARAM_BUCKETS, right=False).astype(str)
        groups = known["architecture"].astype(str) + " | " + bucket
        return {"one per architecture x size": _most_complete(groups, universe)}
    # base-family
    if "base_family" not in meta or meta["base_family"].notna().sum() == 0:
        return {}
    known = meta["base_family"].dropna().astype(str)
    return {"one per base family": _most_complete(known, universe)}


HEADLINE_COLUMNS = ["rule", "subset", "n_models", "n_tasks", "n_pairs", "share_positive", "median_r",
                    "median_within", "median_between", "pc1_share", "pc1_models", "ari", "note"]


def headline_statistics(wide: pd.DataFrame, families, method: str = "pearson", min_periods: int = 30,
                        min_coverage: float = 0.5) -> dict:
    """The headline statistics of one models x tasks matrix.

    Tasks scored for fewer than ``min_periods`` models, or for less than ``min_coverage`` of the
    models (e.g. the leaderboard's arc_challenge, 85 of 1,860), are dropped first, so that every
    subset's PCA has most of its models as complete rows; the note names the dropped tasks. Returns n_models, n_tasks, n_pairs,
    share_positive, median_r, median_within, median_between (from :func:`correlation_summary`),
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
    summary = correlation_summary(correlation_pairs(wide, method=method, min_periods=min_periods, families=families))
    out |= {key: summary[key] for key in ("n_pairs", "share_positive", "median_r", "median_within", "median_between")}
    out["n_pairs"] = int(out["n_pairs"])
    complete = wide.dropna()
    if len(complete) >= 3:
        pca = principal_components(complete, n_components=1)
        out |= {"pc1_share": float(pca.explained_variance_ratio["PC1"]), "pc1_models": pca.n_models}
    else:
        notes.append("too few complete rows for PCA")
    corr = correlation_matrix(wide, method=method, min_periods=min_periods)
    if corr.notna().all().all():
        out["ari"] = cluster_family_agreement(corr, families)
    else:
        notes.append("NaN correlations: no clustering")
    if notes:
        out["note"] = "; ".join(notes)
    return out


def robustness_table(wide: pd.DataFrame, metadata: pd.DataFrame, families, subsets=("all", "type", "size", "dedup"),
                     method: str = "pearson", min_periods: int = 30, min_coverage: float = 0.5) -> pd.DataFrame:
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

    Returns
    -------
    DataFrame
        one row per subset: :data:`HEADLINE_COLUMNS`. A rule whose metadata is missing gets one row
        with a note saying so; a subset with fewer than ``min_periods`` models gets a note too.
    """
    if "model" in metadata.columns:
        metadata = model_metadata(metadata)
    rows = []
    for rule in subsets:
        groups = subset_models(metadata, rule, wide)
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
