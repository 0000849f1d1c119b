"""Each observational method of the report, run unchanged on a population whose truth is known, scored.

The methods (:data:`MATRIX_METHODS`, :func:`method_scores`): the correlation matrix and the partial
correlation matrices under the controls of the observational chapters (first principal component,
mean score, family means, the Schmid-Leiman general factor, log parameter count), each scored by
:func:`evalcorr.stats.recovery.pair_auc` and :func:`evalcorr.stats.recovery.cluster_ari`; and the
varimax factor loadings, scored by :func:`evalcorr.stats.recovery.mean_congruence`, with as many
factors as there are primitives and with the number parallel analysis retains.

:func:`recovery_table` gives every score with a cluster-bootstrap interval (base models resampled)
and its chance level (task labels of the truth permuted). :func:`replicate_scores` repeats the scores
on each replicate leaderboard, to show how much one leaderboard's verdict varies.

>>> table = recovery_table(wide, uses, surface, groups, covariate)      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalcorr.stats import recovery as R
from evalcorr.stats.clustering import cluster_labels
from evalcorr.stats.correlation import correlation_matrix
from evalcorr.stats.factors import factor_loadings, parallel_analysis
from evalcorr.stats.results_store import stored
from evalcorr.stats.weighted import ResampledMoments

# label -> control of evalcorr.stats.partial (None: the plain correlation matrix)
MATRIX_METHODS: dict[str, str | None] = {
    "correlation": None,
    "partial: PC1": "pc1",
    "partial: mean score": "mean",
    "partial: family means": "family-means",
    "partial: general factor": "general-factor",
    "partial: log parameters": "log-params",
}
REGIMES = ("independent", "co-training")   # the population's mixture regimes, in reading order
SCORES = {"pair AUC": "pairs sharing a primitive correlate more (0.5 = chance)",
          "cluster ARI": "clusters are the primitives (0 = chance)",
          "factor congruence": "factor loadings are the primitive columns (Tucker)"}


def matrices(wide: pd.DataFrame, surface: pd.Series, covariate: pd.Series | None = None,
             n_factors: int = 1, min_periods: int = 30, counts: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    """Every matrix method's task x task matrix (``log parameters`` only with a covariate that varies);
    the general factor is the Schmid-Leiman one of ``n_factors`` group factors (fixed, so that a
    bootstrap resample does not re-run the parallel analysis).

    The table must be complete (the population is). The matrices are those of
    :func:`evalcorr.stats.partial.partial_correlation_matrix`, computed from the table's moments
    (:class:`evalcorr.stats.weighted.ResampledMoments`) so that a resample is given by ``counts``, each
    model's multiplicity (default: once each), without building its table.
    """
    return _matrices(_table_moments(wide, surface, covariate, min_periods, counts), wide.columns, n_factors)


def _table_moments(wide, surface, covariate, min_periods, counts) -> ResampledMoments:
    return _moments_of(wide, surface, covariate, min_periods)(np.ones(len(wide)) if counts is None else counts)


def _moments_of(wide, surface, covariate, min_periods) -> Callable[[np.ndarray], ResampledMoments]:
    """The table's moments as a function of each model's multiplicity (its arrays are read once)."""
    log_params = None
    if covariate is not None:
        params = pd.to_numeric(covariate, errors="coerce").reindex(wide.index).to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_params = np.where(params > 0, np.log10(params), np.nan)
    values, families = wide.to_numpy(float), surface.reindex(wide.columns).to_numpy()
    return lambda counts: ResampledMoments(values, counts, families=families, covariate=log_params,
                                           min_periods=min_periods)


def _matrices(moments: ResampledMoments, tasks: pd.Index, n_factors: int) -> dict[str, pd.DataFrame]:
    return {label: pd.DataFrame(matrix, index=tasks, columns=tasks)
            for label, matrix in _matrix_arrays(moments, n_factors).items()}


def _matrix_arrays(moments: ResampledMoments, n_factors: int) -> dict[str, np.ndarray]:
    out = {}
    for label, control in MATRIX_METHODS.items():
        if control == "log-params" and (moments.covariate is None or pd.Series(moments.covariate).nunique() < 2):
            continue
        if control == "general-factor":
            control = f"general-factor:{max(int(n_factors), 1)}"
        out[label] = moments.partial(control)
    return out


def _loadings(moments: ResampledMoments, tasks: pd.Index, uses: pd.DataFrame,
              n_factors: int | None) -> dict[str, pd.DataFrame]:
    return {label: pd.DataFrame(values, index=tasks) for label, values in _loading_arrays(moments, uses, n_factors).items()}


def _loading_arrays(moments: ResampledMoments, uses: pd.DataFrame, n_factors: int | None) -> dict[str, np.ndarray]:
    """label -> varimax loadings: one factor per primitive, and the parallel-analysis count when it differs."""
    ks = {f"factors: {uses.shape[1]} (one per primitive)": uses.shape[1]}
    if n_factors is not None and n_factors != uses.shape[1] and n_factors >= 1:
        ks[f"factors: {n_factors} (parallel analysis)"] = n_factors
    return {label: moments.factor_loadings(k) for label, k in ks.items()}


def method_scores(wide: pd.DataFrame, uses: pd.DataFrame, surface: pd.Series, covariate: pd.Series | None = None,
                  n_factors: int | None = None, min_periods: int = 30,
                  counts: np.ndarray | None = None) -> dict[tuple[str, str], float]:
    """{(method, score): value} for every method: AUC and ARI of each matrix, congruence of the factors.

    ``n_factors`` is the parallel-analysis count to add a second factor solution for (None: only the
    solution with one factor per primitive). ``counts``: a resample, as for :func:`matrices`.
    """
    moments = _table_moments(wide, surface, covariate, min_periods, counts)
    return _scores(moments, R.TruthScores(uses, wide.columns), uses, n_factors)


def _scores(moments: ResampledMoments, truth: R.TruthScores, uses: pd.DataFrame,
            n_factors: int | None) -> dict[tuple[str, str], float]:
    out = {}
    for label, matrix in _matrix_arrays(moments, n_factors or 1).items():
        out[(label, "pair AUC")] = truth.pair_auc(matrix)
        out[(label, "cluster ARI")] = truth.cluster_ari(matrix)
    for label, loadings in _loading_arrays(moments, uses, n_factors).items():
        out[(label, "factor congruence")] = truth.mean_congruence(loadings)
    return out


def _null(wide, uses, surface, covariate, n_factors, n_perm, seed, min_periods) -> dict[tuple[str, str], dict]:
    """Chance level of every score: the same matrices and loadings against task-permuted truths."""
    moments = _table_moments(wide, surface, covariate, min_periods, None)
    out = {}
    for label, matrix in _matrices(moments, wide.columns, n_factors or 1).items():
        clusters = cluster_labels(matrix, uses.shape[1])
        out[(label, "pair AUC")] = R.permutation_null_rows(R.pair_auc_scorer(matrix, uses), uses, n_perm, seed)
        out[(label, "cluster ARI")] = R.permutation_null_rows(R.labels_ari_scorer(clusters, uses), uses, n_perm, seed)
    for label, loadings in _loadings(moments, wide.columns, uses, n_factors).items():
        out[(label, "factor congruence")] = R.permutation_null_rows(R.mean_congruence_scorer(loadings, uses), uses,
                                                                    n_perm, seed)
    return out


def recovery_table(wide: pd.DataFrame, uses: pd.DataFrame, surface: pd.Series, groups: pd.Series | None,
                   covariate: pd.Series | None = None, n_boot: int = 200, n_perm: int = 999, seed: int = 0,
                   min_periods: int = 30) -> pd.DataFrame:
    """Every method's recovery scores with a cluster-bootstrap interval and the chance level.

    Parameters
    ----------
    wide : models x tasks scores; uses : tasks x primitives truth (:func:`evalcorr.stats.recovery.uses_table`);
    surface : task -> surface family (the eval family); groups : model -> base model (lineage), the
    clusters the bootstrap resamples (None: models); covariate : model -> params_b, for the
    log-parameter control.

    Returns
    -------
    DataFrame: method, score, estimate, ci_low, ci_high, n_boot (resamples that gave the score),
    null_mean, null_q95, p (one-sided permutation p of the estimate against task-permuted truths),
    n_factors_parallel (the parallel-analysis count used).
    """
    k = parallel_analysis(wide, seed=seed).n_factors
    moments, truth = _moments_of(wide, surface, covariate, min_periods), R.TruthScores(uses, wide.columns)
    statistic = lambda _, counts: {f"{m}|{s}": v for (m, s), v in _scores(moments(counts), truth, uses, k).items()}
    boot = R.cluster_bootstrap(wide, groups, statistic, n_boot=n_boot, seed=seed, counts=True).set_index("statistic")
    null = _null(wide, uses, surface, covariate, k, n_perm, seed, min_periods)
    rows = []
    for (method, score), result in null.items():
        b = boot.loc[f"{method}|{score}"]
        rows.append({"method": method, "score": score, "estimate": result["observed"], "ci_low": b["ci_low"],
                     "ci_high": b["ci_high"], "n_boot": int(b["n_valid"]), "null_mean": result["null_mean"],
                     "null_q95": result["null_q95"], "p": result["p"], "n_factors_parallel": k})
    return pd.DataFrame(rows)


def replicate_scores(wide: pd.DataFrame, replicate: pd.Series, uses: pd.DataFrame, surface: pd.Series,
                     covariate: pd.Series | None = None, min_periods: int = 30) -> pd.DataFrame:
    """The scores of :func:`method_scores` on each replicate leaderboard alone (one factor per primitive).

    Returns: replicate, method, score, value (long).
    """
    rows = []
    for k in sorted(replicate.loc[wide.index].unique()):
        part = wide.loc[replicate.loc[wide.index] == k]
        for (method, score), value in method_scores(part, uses, surface, covariate, None, min_periods).items():
            rows.append({"replicate": k, "method": method, "score": score, "value": value})
    return pd.DataFrame(rows)


def block_by_regime(wides: Mapping[str, pd.DataFrame], uses: pd.DataFrame, surface: pd.Series,
                    groups: pd.Series | None, controls: Mapping[str, str | None] | None = None,
                    n_boot: int = 500, seed: int = 0, min_periods: int = 30) -> pd.DataFrame:
    """Mean r by kind of pair (:func:`evalcorr.stats.recovery.category_means`) in each regime, with
    cluster-bootstrap intervals, for the plain correlations and the partial ones of ``controls``
    (default: none and PC1).

    Returns: regime, control, category, estimate, ci_low, ci_high.
    """
    controls = {"none": None, "PC1": "pc1"} if controls is None else dict(controls)
    rows = []
    for regime, wide in wides.items():
        means, moments = R.pair_kinds(wide.columns, uses, surface), _moments_of(wide, surface, None, min_periods)

        def statistic(_, counts):
            resample = moments(counts)
            return {f"{label}|{category}": value for label, control in controls.items()
                    for category, value in means(resample.partial(control)).items()}
        boot = R.cluster_bootstrap(wide, groups, statistic, n_boot=n_boot, seed=seed, counts=True)
        for _, row in boot.iterrows():
            control, category = row["statistic"].split("|")
            rows.append({"regime": regime, "control": control, "category": category, "estimate": row["estimate"],
                         "ci_low": row["ci_low"], "ci_high": row["ci_high"]})
    return pd.DataFrame(rows)


@stored
def paired_block_difference(wides: Mapping[str, pd.DataFrame], pairs: pd.Series, uses: pd.DataFrame,
                            surface: pd.Series, groups: pd.Series, control: str | None = None,
                            n_boot: int = 1000, seed: int = 0, min_periods: int = 30) -> dict:
    """The surface block of the second regime minus the first's, with a paired cluster bootstrap.

    ``wides`` holds exactly two regimes' models x tasks; ``pairs`` maps each model of the second
    regime to its twin in the first (same base, steps and data; only the mixture differs), so a
    resample draws base models once and takes both regimes' models of them.

    Returns a dict: first, second (the regimes), estimate, ci_low, ci_high, n_boot.
    """
    (first, a), (second, b) = list(wides.items())
    twin = pairs.loc[b.index]
    joined = pd.concat([a.loc[twin.to_numpy()].set_axis(b.index).add_prefix("A:"), b.add_prefix("B:")], axis=1)

    halves = {prefix: (_moments_of(joined[[prefix + t for t in part.columns]].set_axis(part.columns, axis=1),
                                   surface, None, min_periods), R.pair_kinds(part.columns, uses, surface))
              for prefix, part in (("A:", a), ("B:", b))}

    def statistic(_, counts):           # the resample is `counts` over the rows of `joined`
        block = {prefix: means(moments(counts).partial(control))["surface block"]
                 for prefix, (moments, means) in halves.items()}
        return {"difference": block["B:"] - block["A:"]}

    result = R.cluster_bootstrap(joined, groups.loc[b.index], statistic, n_boot=n_boot, seed=seed,
                                 counts=True).iloc[0]
    return {"first": first, "second": second, "estimate": float(result["estimate"]),
            "ci_low": float(result["ci_low"]), "ci_high": float(result["ci_high"]), "n_boot": int(result["n_valid"])}


def common_factor(wide: pd.DataFrame, metadata: pd.DataFrame) -> pd.DataFrame:
    """How much of the first principal component size and training compute explain.

    ``metadata``: models x (params, steps) at least; regressors are log10 parameters, log10 fine-tuning
    steps and log10 total compute where present (:func:`evalcorr.stats.recovery.factor_drivers`).
    """
    covariates = pd.DataFrame(index=wide.index)
    names = {"params": "log10 parameters", "steps": "log10 fine-tuning steps"}
    for column, label in names.items():
        covariates[label] = np.log10(metadata.loc[wide.index, column].astype(float))
    return R.factor_drivers(wide, covariates)


def steps_effect(wide: pd.DataFrame, models: pd.DataFrame, steps: str = "steps") -> pd.DataFrame:
    """How each task's score moves with training compute (fine-tuning steps) across the models.

    Returns, one row per task: task, n, low_steps, high_steps, mean_low and mean_high (the mean score of
    the models with the fewest and with the most steps), rho and p (Spearman correlation of score and
    steps over every model, two-sided).
    """
    from scipy.stats import spearmanr

    meta = models.loc[wide.index, steps].astype(float)
    low, high = meta.min(), meta.max()
    rows = []
    for task in wide.columns:
        rho, p = spearmanr(meta.to_numpy(), wide[task].to_numpy(float), nan_policy="omit")
        rows.append({"task": task, "n": int(wide[task].notna().sum()), "low_steps": low, "high_steps": high,
                     "mean_low": float(wide.loc[meta == low, task].mean()),
                     "mean_high": float(wide.loc[meta == high, task].mean()), "rho": float(rho), "p": float(p)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# The population as the analyses need it


@dataclass(frozen=True)
class PopulationStudy:
    """The population's tables, arranged for the analyses.

    Attributes
    ----------
    wide : every model x task (exact match).
    models : the models table indexed by model (regime, leaderboard, base, size, params, steps, weights).
    uses : tasks x primitives truth; surface : task -> surface family (the eval family).
    regimes : regime -> its models x tasks.
    groups : model -> base model (lineage); replicate : model -> replicate leaderboard.
    twins : model of the second regime (co-training) -> its twin in the first (independent; same base,
        steps and data).
    params_b : model -> parameters in billions (the log-parameter control's covariate).
    """

    wide: pd.DataFrame
    models: pd.DataFrame
    uses: pd.DataFrame
    surface: pd.Series
    regimes: dict
    groups: pd.Series
    replicate: pd.Series
    twins: pd.Series
    params_b: pd.Series


def population_study(wide: pd.DataFrame, models: pd.DataFrame, truth: pd.DataFrame) -> PopulationStudy:
    """Arrange the population's score matrix, models table and ground truth for the analyses.

    ``models`` is the population's models table (:func:`evalcorr.load_source_file` role ``models``),
    ``truth`` its ground-truth table (:func:`evalcorr.load_ground_truth`).
    """
    meta = models.set_index("model") if "model" in models.columns else models
    missing = sorted(set(wide.index) - set(meta.index))
    if missing:
        raise R.RecoveryError(f"models {missing[:3]} of the score matrix are not in the models table")
    meta = meta.loc[wide.index]
    uses = R.uses_table(truth, list(wide.columns))
    surface = truth.set_index("task").loc[list(wide.columns), "surface"].rename("family")
    # the regimes in the population's order (independent first: the twins map the second to the first)
    present = list(pd.unique(meta["regime"]))
    ordered = [r for r in REGIMES if r in present] + [r for r in present if r not in REGIMES]
    regimes = {r: wide.loc[meta.index[meta["regime"] == r]] for r in ordered}
    key = ["leaderboard", "base", "steps", "data_seed"]
    first, second = list(regimes)[:2] if len(regimes) >= 2 else (None, None)
    twins = pd.Series(dtype=object)
    if first is not None:
        a = meta.loc[regimes[first].index].reset_index().set_index(key)["model"]
        b = meta.loc[regimes[second].index].reset_index().set_index(key)["model"]
        twins = pd.Series(a.loc[b.index].to_numpy(), index=b.to_numpy(), name="twin")
    return PopulationStudy(wide=wide, models=meta, uses=uses, surface=surface, regimes=regimes,
                           groups=meta["base"].rename("group"), replicate=meta["leaderboard"].rename("replicate"),
                           twins=twins, params_b=(meta["params"] / 1e9).rename("params_b"))


# --------------------------------------------------------------------------------------------------
# Benchmark signatures from the probe corpus, latent abilities, and the transfer matrix


def probe_signatures(features: pd.DataFrame, wide: pd.DataFrame, groups: pd.Series | None = None,
                     max_features: int = 5, cv: int = 5, seed: int = 0) -> dict:
    """Each task's benchmark signature over the probe's token types (forward selection, linear
    regression; :func:`evalcorr.stats.signatures.forward_select`), folds keeping lineages whole.

    ``features`` is models x token types (mean log-perplexity); returns {task: SignatureResult}.
    """
    from evalcorr.stats.signatures import forward_select

    X = features.loc[wide.index]
    return {task: forward_select(X, wide[task], max_features=max_features, cv=cv, seed=seed,
                                 groups=None if groups is None else groups.loc[wide.index])
            for task in wide.columns}


def latent_recovery(transfer: Mapping[str, pd.DataFrame], uses: pd.DataFrame, n_perm: int = 999,
                    seed: int = 0) -> pd.DataFrame:
    """Are the components of transfer matrices the primitives?

    Each matrix (train task x evaluated task, e.g. the mean pp improvement of one model size) is
    decomposed as the latent-abilities chapter does (:func:`evalcorr.stats.latent.transfer_pca`,
    self-transfer set to 0); its first ``k`` = (number of primitives) components are varimax-rotated
    and matched to the primitive columns (:func:`evalcorr.stats.recovery.loading_congruence`).

    Returns: matrix, k, variance_share (of the k components), primitive, factor, congruence, mean
    (over primitives), null_mean, null_q95, p (tasks of the truth permuted).
    """
    from evalcorr.stats.factors import varimax
    from evalcorr.stats.latent import transfer_pca

    k = uses.shape[1]
    rows = []
    for name, matrix in transfer.items():
        tasks = [t for t in uses.index if t in matrix.index and t in matrix.columns]
        pca = transfer_pca(matrix.loc[tasks, tasks])
        loadings = pca.loadings.iloc[:, :k]
        rotated, _ = varimax(loadings.to_numpy())
        rotated = pd.DataFrame(rotated, index=loadings.index, columns=[f"RC{i + 1}" for i in range(k)])
        table = R.loading_congruence(rotated, uses.loc[tasks])
        null = R.permutation_null_rows(R.mean_congruence_scorer(rotated, uses.loc[tasks]), uses.loc[tasks], n_perm, seed)
        for _, row in table.iterrows():
            rows.append({"matrix": name, "k": k, "variance_share": float(pca.explained_variance_ratio.iloc[:k].sum()),
                         **row.to_dict(), "mean": null["observed"], "null_mean": null["null_mean"],
                         "null_q95": null["null_q95"], "p": null["p"]})
    return pd.DataFrame(rows)


def population_factors(wides: Mapping[str, pd.DataFrame], uses: pd.DataFrame, n_perm: int = 999,
                       seed: int = 0) -> pd.DataFrame:
    """The latent-traits reading of the population's scores: varimax loadings with one factor per
    primitive, matched to the primitives. Same columns as :func:`latent_recovery` (``matrix`` = regime;
    variance_share = the k factors' share of the tasks' variance)."""
    k = uses.shape[1]
    rows = []
    for name, wide in wides.items():
        loadings = factor_loadings(wide, k)
        table = R.loading_congruence(loadings, uses)
        null = R.permutation_null_rows(R.mean_congruence_scorer(loadings, uses), uses, n_perm, seed)
        share = float((loadings ** 2).to_numpy().sum() / wide.shape[1])
        for _, row in table.iterrows():
            rows.append({"matrix": name, "k": k, "variance_share": share, **row.to_dict(),
                         "mean": null["observed"], "null_mean": null["null_mean"], "null_q95": null["null_q95"],
                         "p": null["p"]})
    return pd.DataFrame(rows)


def transfer_agreement(correlations: Mapping[str, pd.DataFrame], similarities: Mapping[str, pd.DataFrame],
                       n_perm: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Mantel correlation of each population correlation matrix with each transfer similarity.

    Returns: population, transfer, n_tasks, r, p (exact over every relabelling of up to 9 tasks;
    :func:`evalcorr.stats.ground_truth.mantel_test`).
    """
    from evalcorr.stats.ground_truth import mantel_test

    rows = []
    for name, corr in correlations.items():
        for size, sim in similarities.items():
            tasks = [t for t in corr.index if t in sim.index]
            values = sim.loc[tasks, tasks].to_numpy(float, copy=True)
            np.fill_diagonal(values, 1.0)        # the diagonal is left out of the Mantel pairs anyway
            filled = pd.DataFrame(values, index=tasks, columns=tasks)
            result = mantel_test(corr.loc[tasks, tasks], filled, n_perm=n_perm, seed=seed)
            rows.append({"population": name, "transfer": size, "n_tasks": result["n_tasks"], "r": result["r"],
                         "p": result["p"]})
    return pd.DataFrame(rows)


def primitive_labels(uses: pd.DataFrame) -> pd.Series:
    """Each task's primitives as one label (``cipher``, ``cipher + facts``), for colour bars."""
    return pd.Series({task: " + ".join(uses.columns[row.to_numpy() == 1]) or "none" for task, row in uses.iterrows()},
                     name="primitive")


def figure_families(families: pd.DataFrame, uses: pd.DataFrame) -> pd.DataFrame:
    """The families table of the population's tasks with a ``primitive`` column (the truth), so that a
    clustered matrix can draw both the surface family and the primitives as colour bars."""
    table = families[families["task"].isin(uses.index)].copy()
    table["primitive"] = table["task"].map(primitive_labels(uses))
    return table.reset_index(drop=True)


def signature_families(uses: pd.DataFrame, token_primitive: pd.Series) -> pd.Series:
    """task or token -> primitive label: the colour groups of a signature heatmap whose targets are tasks
    and whose features are probe tokens."""
    return pd.concat([primitive_labels(uses), token_primitive.rename("primitive")])
