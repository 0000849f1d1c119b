"""Lineage groups: which models of a leaderboard are likely related (merges and fine-tunes of one base).

Public leaderboards hold many models derived from a few bases, so their models are not independent
draws. Three rules group them from what the data hold, each returning a Series model -> group label
(missing where a rule cannot place a model; such a model counts as a group of its own):

- ``"architecture-size"``: the architecture the model card declares x the parameter bucket
  (:data:`evalcorr.stats.robustness.PARAM_BUCKETS`), e.g. ``LlamaForCausalLM | [8.0, 16.0)``. Coarse:
  unrelated models of one architecture and size share a group.
- ``"base-name"``: the base model named in the model id (:data:`BASE_MODELS`, e.g. ``qwen2.5`` in
  ``bunnycore/Qwen-2.5-7B-Deep-Stock-v5``) x the parameter bucket. Finer; ids that name no known base
  are left ungrouped.
- ``"near-duplicates"``: the groups of :func:`evalcorr.stats.robustness.deduplicate_models` (scores
  within a tolerance on every shared task). Finest: only re-uploads and near-copies.
- ``"base-model"``: the base model the source itself declares for each model (the ``base_model``
  metadata column; the controlled population records it for every fine-tune). Exact where it exists.

:func:`lineage_groups` applies one rule; :func:`group_summary` says how the models fall into groups.
The cluster bootstrap (:func:`evalcorr.stats.resampling.bootstrap_correlations` with ``groups``)
resamples these groups.

>>> groups = lineage_groups(model_metadata(scores), wide, rule="architecture-size")   # doctest: +SKIP
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.robustness import (
    DUPLICATE_TOLERANCE, PARAM_BUCKETS, architecture_size_labels, deduplicate_models, model_metadata)

LINEAGE_RULES = ("architecture-size", "base-name", "near-duplicates", "base-model")
# The groupings the report compares (label -> rule), and the one its headline intervals use.
REPORT_GROUPINGS = {"architecture x size": "architecture-size", "base model in the id": "base-name",
                    "near-duplicate scores": "near-duplicates"}
HEADLINE_GROUPING = "architecture x size"

# Base models recognisable in model ids, most specific first (the first match wins). Patterns are
# matched against the lower-cased id; a derived model usually keeps its base's name (Llama-3.1-8B-...,
# ...-Qwen2.5-7B-...). Ids that name two bases (a distillation "DeepSeek-R1-Distill-Qwen-7B") take the
# first in this order, which puts the weights' architecture families before the teachers.
BASE_MODELS: tuple[tuple[str, str], ...] = (
    ("llama-3.3", r"llama[-_ ]?3[._-]?3|(?<![a-z0-9])l-?3\.3"),
    ("llama-3.2", r"llama[-_ ]?3[._-]?2|(?<![a-z0-9])l-?3\.2"),
    ("llama-3.1", r"llama[-_ ]?3[._-]?1(?![0-9])|(?<![a-z0-9])l-?3\.1"),
    ("llama-3", r"llama[-_ ]?3|(?<![a-z0-9])l-?3(?![0-9.])"),
    ("llama-2", r"llama[-_ ]?2"),
    ("llama", r"llama"),
    ("qwen2.5", r"qwen[-_ ]?2[._-]?5"),
    ("qwen2", r"qwen[-_ ]?2"),
    ("qwen1.5", r"qwen[-_ ]?1[._-]?5"),
    ("qwen", r"qwen"),
    ("mixtral", r"mixtral"),
    ("mistral-nemo", r"nemo(?!tron)"),
    ("mistral", r"mistral"),
    ("gemma-2", r"gemma[-_ ]?2"),
    ("gemma", r"gemma"),
    ("phi-4", r"phi[-_ ]?4"),
    ("phi-3.5", r"phi[-_ ]?3[._-]?5"),
    ("phi-3", r"phi[-_ ]?3"),
    ("phi-2", r"phi[-_ ]?2"),
    ("yi-1.5", r"(?<![a-z])yi[-_ ]?1[._-]?5"),
    ("yi", r"(?<![a-z])yi(?![a-z])"),
    ("falcon", r"falcon"),
    ("smollm", r"smollm"),
    ("deepseek", r"deepseek"),
    ("internlm", r"internlm"),
    ("olmo", r"olmo"),
    ("granite", r"granite"),
    ("exaone", r"exaone"),
    ("nemotron", r"nemotron"),
    ("solar", r"solar"),
    ("command-r", r"command[-_ ]?r|c4ai|(?<![a-z])aya(?![a-z])"),
    ("stablelm", r"stablelm"),
    ("pythia", r"pythia"),
    ("gpt-neo/j", r"gpt[-_ ]?neo|gpt[-_ ]?j(?![a-z])"),
    ("gpt2", r"gpt[-_ ]?2"),
    ("bloom", r"bloom"),
    ("opt", r"(?<![a-z])opt[-_]"),
)
_BASE_PATTERNS = tuple((label, re.compile(pattern)) for label, pattern in BASE_MODELS)


def _first_base(model_id: str):
    text = model_id.lower()
    return next((label for label, pattern in _BASE_PATTERNS if pattern.search(text)), pd.NA)


def base_model_name(models) -> pd.Series:
    """The base model each id names (the first of :data:`BASE_MODELS` that matches), missing where none does.

    >>> base_model_name(["bunnycore/Qwen-2.5-7B-Deep-Stock-v5", "org/unknown-7b"]).tolist()
    ['qwen2.5', <NA>]
    """
    ids = pd.Index(models).astype(str)
    return pd.Series(pd.array([_first_base(model) for model in ids], dtype="string"), index=ids, name="base_model")


def lineage_groups(metadata: pd.DataFrame, wide: pd.DataFrame | None = None, rule: str = "architecture-size", *,
                   tolerance: float = DUPLICATE_TOLERANCE) -> pd.Series:
    """Lineage group of every model by one rule (module docstring).

    Parameters
    ----------
    metadata : DataFrame
        model metadata (index model; :func:`evalcorr.stats.robustness.model_metadata`) or the tidy
        scores it is built from.
    wide : DataFrame, optional
        models x tasks; its models are the ones labelled (default: the metadata's). Required by
        ``"near-duplicates"``, which compares score vectors.
    rule : {"architecture-size", "base-name", "near-duplicates", "base-model"}
    tolerance : float
        for ``"near-duplicates"``.

    Returns
    -------
    Series
        model -> group label (string), missing where the rule places no model (the model then
        stands alone), indexed like ``wide`` (or the metadata).
    """
    if rule not in LINEAGE_RULES:
        raise EvalcorrError(f"unknown lineage rule {rule!r}; use one of {', '.join(LINEAGE_RULES)}")
    if "model" in metadata.columns:
        metadata = model_metadata(metadata)
    models = pd.Index(wide.index if wide is not None else metadata.index)
    meta = metadata.reindex(models)
    if rule == "architecture-size":
        labels = architecture_size_labels(meta).reindex(models)
    elif rule == "base-name":
        base = base_model_name(models).set_axis(models)
        if "params_b" not in meta:
            raise EvalcorrError("lineage rule 'base-name' needs params_b in `metadata` for the size bucket")
        bucket = pd.cut(meta["params_b"].astype(float), PARAM_BUCKETS, right=False).astype("string")
        labels = (base + " | " + bucket).where(base.notna() & meta["params_b"].notna())
    elif rule == "base-model":
        if "base_model" not in meta or meta["base_model"].isna().all():
            raise EvalcorrError("lineage rule 'base-model' needs the base_model metadata column, which this "
                                "source does not fill; use another rule")
        labels = meta["base_model"]
    else:
        if wide is None:
            raise EvalcorrError("lineage rule 'near-duplicates' compares score vectors: pass the models x tasks "
                                "matrix as `wide`")
        _, report = deduplicate_models(wide, tolerance=tolerance)
        labels = pd.Series(("near-duplicates " + report["group"].astype(str)).to_numpy(),
                           index=pd.Index(report["model"].astype(str))).reindex(models.astype(str)).set_axis(models)
    return labels.astype("string").rename("group")


def lineage_groupings(metadata: pd.DataFrame, wide: pd.DataFrame, rules=None) -> dict[str, pd.Series]:
    """Label -> :func:`lineage_groups` of the models of `wide` under each rule of `rules`
    (default :data:`REPORT_GROUPINGS`), in order: the `groupings` of
    :func:`evalcorr.stats.uncertainty.interval_comparison`."""
    rules = REPORT_GROUPINGS if rules is None else rules
    return {label: lineage_groups(metadata, wide, rule) for label, rule in rules.items()}


def group_summary(groups: pd.Series) -> dict:
    """How the models fall into lineage groups.

    Returns
    -------
    dict
        n_models; n_labelled (models with a group); n_groups (clusters a bootstrap resamples: labelled
        groups plus one per unlabelled model); n_shared_groups (groups of two or more); largest (size of
        the largest group); share_in_shared (share of models in a group of two or more); mean_size
        (models per cluster).
    """
    labelled = groups.dropna()
    sizes = labelled.value_counts()
    n_models = len(groups)
    n_groups = len(sizes) + int(groups.isna().sum())
    return {
        "n_models": n_models,
        "n_labelled": len(labelled),
        "n_groups": n_groups,
        "n_shared_groups": int((sizes >= 2).sum()),
        "largest": int(sizes.max()) if len(sizes) else 1,
        "share_in_shared": float(sizes[sizes >= 2].sum() / n_models) if n_models else np.nan,
        "mean_size": n_models / n_groups if n_groups else np.nan,
    }
