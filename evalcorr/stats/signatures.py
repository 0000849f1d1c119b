"""Benchmark signatures: the few features that predict a target's score across models.

A signature is found by greedy forward selection with ordinary least squares: starting from the
intercept, add the candidate feature that most raises the cross-validated R^2 of a linear regression of
the target on the selected features, and stop when the best gain falls below ``min_gain`` (or when
``max_features`` are selected). The function takes any models x features table: scores on other
benchmarks (as here), token perplexities on benchmark text (as in the benchmark-signature study), or
model metadata.

Cross-validated R^2 is the pooled out-of-fold R^2, ``1 - sum((y - y_oof)^2) / sum((y - mean(y))^2)``,
with the same shuffled K folds (seeded) for every candidate and step, so candidates are compared on the
same splits. Every fold fit is computed from per-fold Gram matrices, which makes one selection step for
all candidates a single batched solve.

Missing values are handled by complete cases: only models with the target and every candidate feature
are used (``n`` and ``n_dropped`` in the result say how many). Drop sparse features first if that
loses too many models.

Related models (merges and fine-tunes of one base) on both sides of a split make the cross-validated
R^2 optimistic. ``groups`` (model -> lineage group, :mod:`evalcorr.stats.lineage`) keeps each group in
one fold. :func:`selection_stability` refits on half-samples (of groups) and reports how often each
feature is selected; :func:`temporal_validation` fits on the earlier models and scores the later ones.

>>> result = forward_select(features, target, max_features=5)    # doctest: +SKIP
>>> result.selected, result.cv_r2                                  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evalcorr.errors import EvalcorrError
from evalcorr.stats.blas import one_blas_thread
from evalcorr.stats.inputs import duplicated_models
from evalcorr.stats.resampling import group_codes
from evalcorr.stats.results_store import stored

STOP_RULES = ("cv-r2-gain", "max-features")
FOLDS = 5
FEATURE_SETS = ("tasks", "out-of-family", "tasks+metadata")


@dataclass(frozen=True)
class SignatureResult:
    """The outcome of :func:`forward_select` for one target.

    Attributes
    ----------
    target : str
        name of the target (the ``y`` Series name, or ``"y"``).
    selected : list of str
        selected features, in the order they were added.
    steps : DataFrame
        one row per step: ``step`` (0 = intercept only), ``feature`` (empty at step 0), ``cv_r2``
        after the step and ``cv_r2_gain`` over the previous step.
    coefficients : DataFrame
        the full-sample least-squares fit on the selected features: ``feature``, ``coef`` (raw
        units), ``beta`` (standardised: features and target scaled to unit variance, ddof=1).
    intercept : float
        intercept of the raw-unit fit.
    r2 : float
        in-sample R^2 of the full-sample fit.
    n, n_dropped : int
        complete rows used, and rows dropped for a missing target or feature value.
    cv, seed, stop, min_gain, max_features :
        the settings the selection ran with.
    dropped_features : list of str
        candidates removed before selection because they are constant over the complete rows.
    """

    target: str
    selected: list[str]
    steps: pd.DataFrame
    coefficients: pd.DataFrame
    intercept: float
    r2: float
    n: int
    n_dropped: int
    cv: int
    seed: int
    stop: str
    min_gain: float
    max_features: int
    dropped_features: list[str] = field(default_factory=list)

    @property
    def cv_r2(self) -> float:
        """Cross-validated R^2 of the final selection (intercept-only when nothing was selected)."""
        return float(self.steps["cv_r2"].iloc[-1])

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of the selection: one row per selected feature (step, CV R^2, coefficients)."""
        steps = self.steps.iloc[1:]   # step 0 is the intercept; the rest follow the selection order
        return pd.DataFrame({
            "target": pd.Series([self.target] * len(steps), dtype=str),
            "step": steps["step"].to_numpy(),
            "feature": pd.Series(steps["feature"].to_numpy(), dtype=str),
            "cv_r2": steps["cv_r2"].to_numpy(),
            "cv_r2_gain": steps["cv_r2_gain"].to_numpy(),
            "coef": self.coefficients["coef"].to_numpy(),
            "beta": self.coefficients["beta"].to_numpy(),
            "n": self.n,
        })


def _complete_cases(X: pd.DataFrame, y: pd.Series) -> tuple[pd.DataFrame, pd.Series, int]:
    """Align X and y on their index and keep the rows where y and every feature are present."""
    if not isinstance(X, pd.DataFrame):
        raise EvalcorrError("forward_select: `X` must be a DataFrame of models (rows) x features (columns)")
    if not isinstance(y, pd.Series):
        raise EvalcorrError("forward_select: `y` must be a Series indexed by model, like the rows of `X`")
    if X.columns.duplicated().any():
        dup = list(X.columns[X.columns.duplicated()])
        raise EvalcorrError(f"forward_select: `X` has duplicated feature names {dup}; rename them")
    duplicated_models(X.index, "X", "forward_select: ")
    duplicated_models(y.index, "y", "forward_select: ")
    non_numeric = [c for c, dtype in X.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
    if non_numeric:
        raise EvalcorrError(
            f"forward_select: features {non_numeric[:5]} are not numeric; encode them first "
            "(e.g. one-hot with pandas.get_dummies)")
    n_models = len(y)
    # Copies only where something changes, so that a large table is held once.
    Xc, yc = X, y
    if not X.index.equals(y.index):
        common = X.index.intersection(y.index)
        if len(common) == 0:
            raise EvalcorrError("forward_select: `X` and `y` share no index labels (models); align them first")
        Xc, yc = X.loc[common], y.loc[common]
    Xc, yc = Xc.astype(float), yc.astype(float)
    keep = ~(np.isnan(yc.to_numpy()) | np.isnan(Xc.to_numpy()).any(axis=1))
    n_dropped = int(n_models - keep.sum())
    return (Xc, yc, n_dropped) if keep.all() else (Xc[keep], yc[keep], n_dropped)


def fold_assignment(n: int, cv: int, seed: int, codes: np.ndarray | None = None) -> np.ndarray:
    """Fold (0..cv-1) of each of ``n`` rows.

    Without ``codes``: a seeded shuffle dealt round-robin (folds differ in size by at most one). With
    ``codes`` (integer group of each row): whole groups go to folds, in a seeded random order, larger
    groups first, each to the fold with the fewest rows so far (as scikit-learn's GroupKFold balances
    them), so no group is split between training and test.
    """
    rng = np.random.default_rng(seed)
    if codes is None:
        fold = np.empty(n, dtype=int)
        fold[rng.permutation(n)] = np.arange(n) % cv
        return fold
    codes = np.asarray(codes)
    labels, sizes = np.unique(codes, return_counts=True)
    if len(labels) < cv:
        raise EvalcorrError(f"forward_select: {len(labels)} groups cannot fill {cv} folds; lower `cv` or pass "
                            "finer `groups`")
    shuffled = rng.permutation(len(labels))
    order = shuffled[np.argsort(-sizes[shuffled], kind="stable")]
    load = np.zeros(cv)
    group_fold = np.empty(len(labels), dtype=int)
    for g in order:
        target = int(np.argmin(load))
        group_fold[g] = target
        load[target] += sizes[g]
    return group_fold[np.searchsorted(labels, codes)]


def _fold_grams(ZT: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Training and test Gram matrices ``Z'Z`` of each fold, from the design stored transposed with
    its columns (models) sorted by fold (fold k is ``ZT[:, bounds[k]:bounds[k + 1]]``): each test matrix
    is one Gram product of a slice, the training matrices are their total minus each."""
    test = np.stack([ZT[:, start:stop] @ ZT[:, start:stop].T for start, stop in zip(bounds[:-1], bounds[1:])])
    return test.sum(axis=0)[None] - test, test


def _cv_sse(train: np.ndarray, test: np.ndarray, subsets: np.ndarray, target: int) -> np.ndarray:
    """Out-of-fold SSE, summed over folds, of the OLS fit on each column subset.

    ``subsets`` is (n_subsets, s) column indices of Z (intercept column included); ``target`` is the
    column of y. Returns an (n_subsets,) array.
    """
    rows, cols = subsets[:, :, None], subsets[:, None, :]
    a = train[:, rows, cols]                       # (cv, m, s, s)
    b = train[:, subsets, target]                  # (cv, m, s)
    # pinv rather than solve: a candidate collinear with the selection gives the minimum-norm fit
    # (no gain) instead of an error.
    coef = np.einsum("kmij,kmj->kmi", np.linalg.pinv(a, hermitian=True), b)
    tg = test[:, rows, cols]
    ty = test[:, subsets, target]
    sse = (test[:, target, target][:, None]
           - 2 * np.einsum("kmi,kmi->km", coef, ty)
           + np.einsum("kmi,kmij,kmj->km", coef, tg, coef))
    return sse.sum(axis=0)


def _cv_sse_added(train: np.ndarray, test: np.ndarray, base: list[int], candidates: np.ndarray,
                  target: int) -> np.ndarray:
    """:func:`_cv_sse` of the subsets ``[*base, c]`` for every column ``c`` of ``candidates``.

    The fits share ``base``: with its Gram block ``A`` inverted once per fold, each candidate's fit
    follows from the Schur complement ``d - u'A^-1 u`` of its column (block elimination), for all
    candidates at once. A candidate (nearly) collinear with ``base`` on a training fold, or an
    ill-conditioned ``A``, is fitted by :func:`_cv_sse` (its minimum-norm fit); the results agree to
    rounding wherever both apply.
    """
    base = np.asarray(base)
    a = train[:, base[:, None], base[None, :]]                          # (cv, s, s)
    eig = np.linalg.eigvalsh(a)
    if not (eig[:, 0] > 1e-10 * eig[:, -1]).all():
        return _cv_sse(train, test, np.column_stack([np.tile(base, (len(candidates), 1)), candidates]), target)
    a_inv = np.linalg.inv(a)
    u = train[:, base[:, None], candidates[None, :]]                    # (cv, s, m)
    d = train[:, candidates, candidates]                                # (cv, m)
    w = a_inv @ u                                                       # A^-1 u
    schur = d - np.einsum("ksm,ksm->km", u, w)
    fit_base = np.einsum("kij,kj->ki", a_inv, train[:, base, target])   # (cv, s)
    with np.errstate(divide="ignore", invalid="ignore"):               # collinear candidates: refitted below
        coef_c = (train[:, candidates, target] - np.einsum("ksm,ks->km", u, fit_base)) / schur
        coef_base = fit_base[:, :, None] - w * coef_c[:, None, :]       # (cv, s, m)
        g = test[:, base[:, None], base[None, :]]
        g_c = test[:, base[:, None], candidates[None, :]]
        quadratic = (np.einsum("ksm,kst,ktm->km", coef_base, g, coef_base)
                     + 2 * coef_c * np.einsum("ksm,ksm->km", g_c, coef_base)
                     + coef_c**2 * test[:, candidates, candidates])
        linear = np.einsum("ksm,ks->km", coef_base, test[:, base, target]) + coef_c * test[:, candidates, target]
        sse = (test[:, target, target][:, None] - 2 * linear + quadratic).sum(axis=0)
    collinear = ~(schur > 1e-10 * d).all(axis=0)
    if collinear.any():
        subsets = np.column_stack([np.tile(base, (int(collinear.sum()), 1)), candidates[collinear]])
        sse[collinear] = _cv_sse(train, test, subsets, target)
    return sse


def _select(x: np.ndarray, y: np.ndarray, fold: np.ndarray, cv: int, max_features: int, stop: str,
            min_gain: float) -> tuple[list[int], list[tuple[float, float]]]:
    """The selection on arrays: chosen feature columns of ``x`` (0-based, in order) and the (cv_r2,
    gain) path, step 0 (intercept only) first. Features constant over the rows are never chosen."""
    n, p = x.shape
    # Standardising first changes no OLS prediction (the fit is affine invariant) but keeps the Gram
    # matrices well conditioned. Z = [intercept, features..., target], built in place (one array the
    # size of x), stored transposed (a feature per row) with the models sorted by fold.
    order = np.argsort(fold, kind="stable")
    bounds = np.searchsorted(fold[order], np.arange(cv + 1))
    if x.flags.f_contiguous:     # a feature per row in memory (pandas' layout): gather each row's models
        ZT = np.empty((p + 2, n))
        np.take(x.T, order, axis=1, out=ZT[1:p + 1], mode="clip")   # "clip": unbuffered; indices are valid
    else:                        # a model per row in memory: gather the models' rows, a block at a time
        ZT = np.empty((n, p + 2)).T
        for first in range(0, n, 8192):
            ZT[1:p + 1, first:first + 8192] = x[order[first:first + 8192]].T
    ZT[0] = 1.0
    features = ZT[1:p + 1]
    features -= features.mean(axis=1)[:, None]
    sd = np.sqrt(np.einsum("ij,ij->i", features, features) / (n - 1))
    usable = sd > 0
    features /= np.where(usable, sd, 1.0)[:, None]
    features[~usable] = 0.0
    yz = (y - y.mean()) / y.std(ddof=1)
    ZT[p + 1] = yz[order]
    target = p + 1
    train, test = _fold_grams(ZT, bounds)
    total_ss = float(((yz - yz.mean()) ** 2).sum())

    chosen: list[int] = []
    cv_r2 = 1 - _cv_sse(train, test, np.zeros((1, 1), dtype=int), target)[0] / total_ss
    path = [(cv_r2, np.nan)]
    remaining = [c for c in range(1, p + 1) if usable[c - 1]]
    while remaining and len(chosen) < max_features:
        scores = 1 - _cv_sse_added(train, test, [0, *chosen], np.array(remaining), target) / total_ss
        best = int(np.argmax(scores))
        gain = scores[best] - cv_r2
        if stop == "cv-r2-gain" and gain < min_gain:
            break
        chosen.append(remaining.pop(best))
        cv_r2 = scores[best]
        path.append((cv_r2, gain))
    return [c - 1 for c in chosen], path


# Many tiny solves: BLAS threads only add synchronisation (and slow down badly on a busy machine).
@one_blas_thread
def forward_select(X: pd.DataFrame, y: pd.Series, max_features: int | None = None, cv: int = 5,
                   seed: int = 0, stop: str = "cv-r2-gain", min_gain: float = 0.005,
                   groups: pd.Series | None = None) -> SignatureResult:
    """Greedy forward selection of the features that best predict ``y`` (cross-validated OLS).

    Parameters
    ----------
    X : DataFrame
        models (index) x candidate features (numeric columns), NaN where missing.
    y : Series
        the target score, indexed by model. Rows are aligned with ``X`` on the index.
    max_features : int, optional
        the most features to select (default: all candidates).
    cv : int
        number of cross-validation folds (shuffled with ``seed``).
    seed : int
        seed of the fold assignment.
    stop : {"cv-r2-gain", "max-features"}
        ``"cv-r2-gain"``: stop when the best candidate raises the CV R^2 by less than ``min_gain``;
        ``"max-features"``: always add the best candidate until ``max_features`` are selected.
    min_gain : float
        the smallest CV R^2 gain that admits a feature under ``stop="cv-r2-gain"`` (finite).
    groups : Series, optional
        model -> group label (e.g. a lineage group); folds then keep each group whole
        (:func:`fold_assignment`). Models without a label are groups of their own.

    Returns
    -------
    SignatureResult
        the selected features in order, the CV R^2 after each step, and the full-sample fit.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(200, 4)), columns=list("abcd"))
    >>> y = pd.Series(2 * X["a"] - X["c"] + rng.normal(scale=0.1, size=200))
    >>> forward_select(X, y).selected
    ['a', 'c']
    """
    if stop not in STOP_RULES:
        raise EvalcorrError(f"forward_select: `stop` must be one of {STOP_RULES}, got {stop!r}")
    if not (isinstance(cv, int | np.integer) and cv >= 2):
        raise EvalcorrError(f"forward_select: `cv` must be an integer >= 2, got {cv!r}")
    if not (isinstance(min_gain, (int, float, np.number)) and np.isfinite(min_gain)):
        raise EvalcorrError(f"forward_select: `min_gain` must be a finite number (a CV R^2 gain such as 0.005), "
                            f"got {min_gain!r}")
    if max_features is not None and int(max_features) < 0:
        raise EvalcorrError(f"forward_select: `max_features` must be >= 0, got {int(max_features)}")
    Xc, yc, n_dropped = _complete_cases(X, y)
    codes = None if groups is None else group_codes(yc.index, groups)[0]
    fit = _fit(Xc.to_numpy(), yc.to_numpy(), codes, max_features, cv, seed, stop, min_gain, y.name)
    columns = Xc.columns[fit.varies]
    steps = [(step, columns[c] if step else "", r2, gain)
             for step, (c, r2, gain) in enumerate(zip([-1, *fit.chosen], *zip(*fit.path)))]
    selected = [str(columns[c]) for c in fit.chosen]
    return SignatureResult(
        target=str(y.name) if y.name is not None else "y",
        selected=selected,
        steps=pd.DataFrame(steps, columns=["step", "feature", "cv_r2", "cv_r2_gain"]).astype({"feature": str}),
        coefficients=pd.DataFrame({"feature": pd.Series(selected, dtype=str), "coef": fit.coef[1:], "beta": fit.beta}),
        intercept=float(fit.coef[0]),
        r2=fit.r2,
        n=len(yc),
        n_dropped=n_dropped,
        cv=int(cv),
        seed=int(seed),
        stop=stop,
        min_gain=float(min_gain),
        max_features=fit.max_features,
        dropped_features=list(Xc.columns[~fit.varies]),
    )


@dataclass(frozen=True)
class _Fit:
    """A forward selection on arrays: the varying columns (mask), the chosen ones among them (in order),
    the (cv_r2, gain) path, the full-sample OLS coefficients (intercept first), their standardised betas,
    its R^2 and the feature limit applied."""

    varies: np.ndarray
    chosen: list[int]
    path: list[tuple[float, float]]
    coef: np.ndarray
    beta: np.ndarray
    r2: float
    max_features: int

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions for the rows of ``x`` (all the columns the fit was given)."""
        return self.coef[0] + np.asfortranarray(x[:, np.flatnonzero(self.varies)[self.chosen]]) @ self.coef[1:]


def _fit(values: np.ndarray, y: np.ndarray, codes: np.ndarray | None, max_features: int | None, cv: int,
         seed: int, stop: str, min_gain: float, name=None) -> _Fit:
    """:func:`forward_select` on complete arrays (models x features, and the target), the features
    constant over these rows left out; ``codes`` are the rows' integer groups for the folds, or None."""
    n = len(y)
    if n < 2 * cv:
        raise EvalcorrError(
            f"forward_select: only {n} models have the target and every candidate feature "
            f"(need at least {2 * cv} for {cv}-fold CV); drop sparse features or lower `cv`")
    varies = values.max(axis=0) > values.min(axis=0)
    # a feature per row in memory, as a DataFrame's values are: the selection reads them in that layout
    x = values if varies.all() else np.asfortranarray(values[:, varies])
    if y.std(ddof=1) == 0:
        raise EvalcorrError(f"forward_select: the target {name!r} is constant over the complete rows")
    p = x.shape[1]
    limit = min(p if max_features is None else int(max_features), p, n - n // cv - 2)
    chosen, path = _select(x, y, fold_assignment(n, cv, seed, codes), cv, limit, stop, min_gain)
    design = np.column_stack([np.ones(n), x[:, chosen]])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = design @ coef
    r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    beta = coef[1:] * x[:, chosen].std(axis=0, ddof=1) / y.std(ddof=1)
    return _Fit(varies, chosen, path, coef, beta, float(r2), limit)


def selection_stability(X: pd.DataFrame, y: pd.Series, n_resamples: int = 100, fraction: float = 0.5,
                        groups: pd.Series | None = None, seed: int = 0, **select_kwargs) -> pd.DataFrame:
    """How often each candidate is selected when the signature is refitted on half-samples.

    Each resample keeps a random ``fraction`` of the groups (of the models, without ``groups``),
    without replacement, and reruns :func:`forward_select` on them (with the same ``groups`` for its
    folds). A feature selected in most resamples is a stable part of the signature; among strongly
    correlated candidates the choice is often arbitrary, and the shares say so.

    Parameters
    ----------
    X, y :
        as in :func:`forward_select` (complete cases are taken first).
    n_resamples : int
        number of half-samples (seeded).
    fraction : float
        share of the groups kept in each resample.
    groups : Series, optional
        model -> lineage group: whole groups are kept or left out, and folds keep them whole.
    **select_kwargs :
        passed to :func:`forward_select` (``max_features``, ``cv``, ``stop``, ``min_gain``).

    Returns
    -------
    DataFrame
        one row per candidate: feature, share (of the resamples selecting it), in_signature (selected
        on the full sample), n_resamples; sorted by share, then by name.
    """
    if not 0 < fraction < 1:
        raise EvalcorrError(f"selection_stability: `fraction` must be in (0, 1), got {fraction}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 1:
        raise EvalcorrError(f"selection_stability: `n_resamples` must be a positive integer, got {n_resamples!r}")
    full = forward_select(X, y, groups=groups, **select_kwargs)
    Xc, yc, _ = _complete_cases(X, y)
    Xc = Xc.drop(columns=full.dropped_features)
    codes, n_groups = group_codes(yc.index, groups)
    keep = max(2, int(round(fraction * n_groups)))
    x, yv = Xc.to_numpy(), yc.to_numpy()
    rng = np.random.default_rng(seed)
    counts = np.zeros(x.shape[1], dtype="int64")
    with one_blas_thread:
        for _ in range(n_resamples):
            rows = np.isin(codes, rng.choice(n_groups, size=keep, replace=False))
            sub_codes = None if groups is None else codes[rows]
            n = int(rows.sum())
            if n < 2 * full.cv or yv[rows].std() == 0:
                raise EvalcorrError(f"selection_stability: a half-sample holds only {n} models; use a larger "
                                    "`fraction` or finer `groups`")
            fold = fold_assignment(n, full.cv, full.seed, sub_codes)
            limit = min(full.max_features, n - n // full.cv - 2)
            chosen, _ = _select(x[rows], yv[rows], fold, full.cv, limit, full.stop, full.min_gain)
            counts[chosen] += 1
    table = pd.DataFrame({"feature": Xc.columns.astype(str), "share": counts / n_resamples,
                          "in_signature": Xc.columns.isin(full.selected), "n_resamples": n_resamples})
    return table.sort_values(["share", "feature"], ascending=[False, True], ignore_index=True)


def _r2(y: np.ndarray, predicted: np.ndarray) -> float:
    """Out-of-sample R^2 around the test sample's own mean."""
    return float(1 - ((y - predicted) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def _predict(result: SignatureResult, X: pd.DataFrame) -> np.ndarray:
    return result.intercept + X[result.selected].to_numpy(dtype=float) @ result.coefficients["coef"].to_numpy()


def temporal_validation(X: pd.DataFrame, y: pd.Series, dates: pd.Series, cutoff=None, n_random: int = 20,
                        seed: int = 0, **select_kwargs) -> dict:
    """Fit the signature on the earlier models and score its predictions on the later ones.

    Parameters
    ----------
    X, y :
        as in :func:`forward_select`.
    dates : Series
        model -> date (e.g. upload dates from :func:`evalcorr.data.loaders.model_dates`); models
        without one are left out.
    cutoff : date-like, optional
        models dated before it train, the others test (default: the median date of the usable models).
    n_random : int
        random splits of the same sizes whose mean test R^2 is the baseline (seeded).
    **select_kwargs :
        passed to :func:`forward_select`.

    Returns
    -------
    dict
        cutoff, n_train, n_test, selected (fitted on the earlier models), train_cv_r2, test_r2 (out of
        time: R^2 of the predictions for the later models around their own mean), random_test_r2 (mean
        over the random splits).
    """
    if not isinstance(dates, pd.Series):
        raise EvalcorrError("temporal_validation: `dates` must be a Series model -> date")
    when = pd.to_datetime(dates, errors="coerce").reindex(y.index)
    Xc, yc, _ = _complete_cases(X.loc[when.notna().to_numpy()], y.loc[when.notna().to_numpy()])
    when = when.loc[yc.index]
    cutoff = when.median() if cutoff is None else pd.Timestamp(cutoff)
    early = (when < cutoff).to_numpy()
    n_train, n_test = int(early.sum()), int((~early).sum())
    if min(n_train, n_test) < 10:
        raise EvalcorrError(f"temporal_validation: the cutoff {cutoff.date()} leaves {n_train} earlier and {n_test} "
                            "later models; each side needs at least 10")
    fit = forward_select(Xc[early], yc[early], **select_kwargs)
    test_r2 = _r2(yc[~early].to_numpy(), _predict(fit, Xc[~early]))
    # The random splits repeat the selection many times: on the arrays, as forward_select runs it, with
    # the settings it recorded for the earlier models.
    options = {"max_features": select_kwargs.get("max_features"), "cv": fit.cv, "seed": fit.seed, "stop": fit.stop,
               "min_gain": fit.min_gain}
    groups = select_kwargs.get("groups")
    x, yv = Xc.to_numpy(), yc.to_numpy()
    rng = np.random.default_rng(seed)
    random_r2 = []
    for _ in range(n_random):
        train = np.zeros(len(yc), dtype=bool)
        train[rng.choice(len(yc), size=n_train, replace=False)] = True
        codes = None if groups is None else group_codes(yc.index[train], groups)[0]
        split = _fit(np.asfortranarray(x[train]), yv[train], codes, name=y.name, **options)
        random_r2.append(_r2(yv[~train], split.predict(x[~train])))
    return {"cutoff": cutoff, "n_train": n_train, "n_test": n_test, "selected": fit.selected,
            "train_cv_r2": fit.cv_r2, "test_r2": test_r2, "random_test_r2": float(np.mean(random_r2))}


def default_folds(n_models: int, folds: int = FOLDS) -> int:
    """Cross-validation folds for ``n_models`` complete rows: ``folds`` (5), fewer for small tables so
    that every fold has at least two models (``forward_select`` needs ``n >= 2 * cv``), never fewer than 2."""
    return int(max(2, min(folds, n_models // 2)))


def model_metadata(scores: pd.DataFrame, *, min_models: int = 20) -> pd.DataFrame:
    """Model metadata features from a tidy scores frame: log10 parameters and architecture one-hot.

    Parameters
    ----------
    scores : DataFrame
        tidy scores (``evalcorr.load_scores``) with columns ``model`` and, where known, ``params_b``
        and ``architecture``.
    min_models : int
        an architecture gets its own indicator column only when at least this many models have it;
        rarer architectures share the all-zero baseline with models of unknown architecture
        (missing, empty, ``"?"`` or ``"unknown"``).

    Returns
    -------
    DataFrame
        one row per model: ``log10_params_b`` (NaN where unknown or not positive; absent when no
        model has a count) and one 0/1 column ``arch: NAME`` per common architecture.
    """
    missing = {"model"} - set(scores.columns)
    if missing:
        raise EvalcorrError("model_metadata: `scores` needs a `model` column (a tidy scores frame)")
    cols = [c for c in ("params_b", "architecture") if c in scores.columns]
    per_model = scores[["model", *cols]].drop_duplicates("model").set_index("model")
    out = pd.DataFrame(index=per_model.index)
    if "params_b" in per_model:
        params = pd.to_numeric(per_model["params_b"], errors="coerce").astype(float)
        if (params > 0).any():  # a source without parameter counts gets no column, not an all-NaN one
            out["log10_params_b"] = np.log10(params.where(params > 0))
    if "architecture" in per_model:
        arch = per_model["architecture"].astype("string").str.strip()
        arch = arch.mask(arch.isin(["", "?", "unknown"]))  # placeholders the sources use for "unknown"
        counts = arch.value_counts()
        for name in sorted(counts[counts >= min_models].index):
            out[f"arch: {name}"] = (arch == name).fillna(False).astype(float)
    return out


def candidate_features(wide: pd.DataFrame, target: str, *, families: pd.Series | None = None,
                       features: str = "tasks", metadata: pd.DataFrame | None = None) -> pd.DataFrame:
    """The candidate feature table for one target task.

    Parameters
    ----------
    wide : DataFrame
        models x tasks scores.
    target : str
        the target task (a column of ``wide``).
    families : Series, optional
        task -> family; needed for ``features="out-of-family"``.
    features : {"tasks", "out-of-family", "tasks+metadata"}
        every other task; only the tasks of other families; or every other task plus ``metadata``.
    metadata : DataFrame, optional
        models x metadata features (e.g. :func:`model_metadata`); needed for ``"tasks+metadata"``.
    """
    if target not in wide.columns:
        raise EvalcorrError(
            f"unknown target {target!r}; choose one of the tasks: {', '.join(map(str, wide.columns))}")
    if features not in FEATURE_SETS:
        raise EvalcorrError(f"`features` must be one of {FEATURE_SETS}, got {features!r}")
    others = [c for c in wide.columns if c != target]
    if features == "out-of-family":
        if families is None:
            raise EvalcorrError("features='out-of-family' needs `families` (a task -> family Series)")
        unknown = [t for t in wide.columns if t not in families.index]
        if unknown:
            raise EvalcorrError(f"tasks {unknown[:5]} have no family in `families`; pass the full table")
        others = [c for c in others if families[c] != families[target]]
    table = wide[others]
    if features == "tasks+metadata":
        if metadata is None:
            raise EvalcorrError("features='tasks+metadata' needs `metadata` (e.g. model_metadata(scores))")
        table = table.join(metadata.reindex(wide.index))
    return table


@stored
def signatures(wide: pd.DataFrame, *, targets: list[str] | None = None, families: pd.Series | None = None,
               features: str = "tasks", metadata: pd.DataFrame | None = None,
               **select_kwargs) -> dict[str, SignatureResult]:
    """Forward-selected signatures of several target tasks from the same kind of candidates.

    Parameters
    ----------
    wide : DataFrame
        models x tasks scores; every column is a target unless ``targets`` is given.
    targets : list of str, optional
        the target tasks (default: every column of ``wide``).
    families, features, metadata :
        passed to :func:`candidate_features`.
    **select_kwargs :
        passed to :func:`forward_select` (``max_features``, ``cv``, ``seed``, ``stop``, ``min_gain``).

    Returns
    -------
    dict
        target -> :class:`SignatureResult`, in the order of ``targets``.
    """
    targets = list(wide.columns) if targets is None else list(targets)
    out = {}
    for target in targets:
        X = candidate_features(wide, target, families=families, features=features, metadata=metadata)
        out[target] = forward_select(X, wide[target].rename(target), **select_kwargs)
    return out


def signature_summary(results: dict[str, SignatureResult]) -> pd.DataFrame:
    """One row per target: n, number of selected features, CV R^2, in-sample R^2, first feature, and
    the selected features in order (a tuple)."""
    rows = [{
        "target": r.target, "n": r.n, "n_features": len(r.selected), "cv_r2": r.cv_r2, "r2": r.r2,
        "first_feature": r.selected[0] if r.selected else "", "selected": tuple(r.selected),
    } for r in results.values()]
    return pd.DataFrame(rows, columns=["target", "n", "n_features", "cv_r2", "r2", "first_feature", "selected"])


def signature_table(results: dict[str, SignatureResult]) -> pd.DataFrame:
    """Long table of every selection: target, step, feature, cv_r2, cv_r2_gain, coef, beta, n."""
    columns = {name: [] for name in ("target", "step", "feature", "cv_r2", "cv_r2_gain", "coef", "beta", "n")}
    for r in results.values():
        k = len(r.selected)
        columns["target"] += [r.target] * k
        columns["step"] += list(range(1, k + 1))
        columns["feature"] += r.selected
        columns["cv_r2"] += r.steps["cv_r2"].iloc[1:].tolist()
        columns["cv_r2_gain"] += r.steps["cv_r2_gain"].iloc[1:].tolist()
        columns["coef"] += r.coefficients["coef"].tolist()
        columns["beta"] += r.coefficients["beta"].tolist()
        columns["n"] += [r.n] * k
    table = pd.DataFrame(columns)
    return table.astype({"target": str, "feature": str, "step": "int64", "n": "int64",
                         "cv_r2": float, "cv_r2_gain": float, "coef": float, "beta": float})
