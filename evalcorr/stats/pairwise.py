"""Pairwise-complete correlation kernels on arrays: every pair of columns of an (n, k) array with NaN
where a value is missing, each pair over the rows that have both values.

Pearson is computed for all pairs at once with masked matrix products (and for many bootstrap
resamples at once, given row multiplicities); Spearman ranks each pair's common rows (pairs that share
the same set of rows, the usual case, are ranked together); Kendall's tau-b loops over pairs with scipy.
"""

from __future__ import annotations

import numpy as np

from evalcorr.errors import EvalcorrError

METHODS = ("pearson", "spearman", "kendall")


def check_method(method: str) -> str:
    """Return ``method`` if it is a known correlation method, else raise a clear error."""
    if method not in METHODS:
        raise EvalcorrError(f"unknown correlation method {method!r}; use one of {', '.join(METHODS)}")
    return method


# Elements per array of a batched computation: bounds each array (and the product columns kept
# between calls) to about 64 MB.
BATCH_ELEMENTS = 8_000_000
# Elements per (resamples, k, k) array when the product columns are kept: small enough for the CPU cache.
CACHE_ELEMENTS = 500_000


class PearsonKernel:
    """Pairwise-complete Pearson r of the columns of one score matrix, under any number of row weightings.

    A bootstrap resample is a vector of row multiplicities ``w`` (the count of each model drawn), so a
    resample's correlations are weighted sums over the rows of the one matrix. With ``x`` the scores
    centred on their column means (0 where missing) and ``M_g`` the presence mask of the columns that
    share missingness pattern ``g`` (few patterns: tasks of one benchmark are scored together), every
    pair (a, c) needs

    - ``sum w x_a x_c``: one matrix product of the weights with the per-row products ``x_a x_c``
      (a <= c) for all resamples at once, the Gram-matrix arithmetic of each resample done as a
      single large product;
    - ``sum w M_g M_h``, ``sum w x_a M_h`` and ``sum w x_a^2 M_h`` (pair counts, sums and sums of
      squares over the pair's common rows): per pattern, a product over the pattern's present rows or,
      when fewer, the total minus one over its missing rows.

    Everything else is elementwise on (B, k, k) arrays. Memory is bounded by computing the products in
    blocks of rows (:data:`BATCH_ELEMENTS` elements each); the per-row products are built once and kept
    when they fit in one block.

    Parameters
    ----------
    values : ndarray (n, k)
        scores, NaN where missing.
    """

    def __init__(self, values: np.ndarray):
        values = np.asarray(values, dtype=float)
        self.shape = values.shape
        n, k = values.shape
        present = ~np.isnan(values)
        counts = present.sum(axis=0)
        means = np.divide(np.where(present, values, 0.0).sum(axis=0), counts,
                          out=np.zeros(k), where=counts > 0)
        # Centre each column on its mean first: the sums below then stay small and accurate.
        self.x = np.where(present, values - means, 0.0)
        patterns, self.pattern = np.unique(np.packbits(present, axis=0).T, axis=0, return_inverse=True)
        self.pattern = self.pattern.ravel()
        first = np.array([np.flatnonzero(self.pattern == g)[0] for g in range(len(patterns))], dtype=int)
        masks = present[:, first]                                         # (n, p) presence of each pattern
        # Columns whose weighted sums over each pattern's rows are needed: x, x^2 and the pattern masks.
        self._columns = np.hstack([self.x, self.x * self.x, masks.astype(float)])
        # Per pattern: rows to sum over, and whether that sum is subtracted from the total (when the
        # missing rows are fewer than the present ones); complete patterns need no rows at all.
        self._pattern_rows = []
        for g in range(len(patterns)):
            rows_present = np.flatnonzero(masks[:, g])
            rows_missing = np.flatnonzero(~masks[:, g])
            complement = len(rows_missing) < len(rows_present)
            self._pattern_rows.append((rows_missing if complement else rows_present, complement))
        self._upper = np.triu_indices(k)
        self._pair_column = np.empty((k, k), dtype=np.intp)     # pair (a, c) -> its column of the products
        self._pair_column[self._upper] = self._pair_column.T[self._upper] = np.arange(len(self._upper[0]))
        self._rows_per_block = max(1, BATCH_ELEMENTS // len(self._upper[0]))
        self._products = None            # the per-row products, built on first use when they fit one block

    @property
    def batch_size(self) -> int:
        """Resamples per call of :meth:`correlations` that keep every array within :data:`BATCH_ELEMENTS`.

        When the per-row products fit in one block, batches are kept small enough for the cache
        (:data:`CACHE_ELEMENTS` per (B, k, k) array); otherwise as large as the bound allows, so that the
        products, rebuilt at every call, are built for many resamples at once.
        """
        n, k = self.shape
        largest = max(1, BATCH_ELEMENTS // max(n, k * k, len(self._upper[0])))
        if n <= self._rows_per_block:
            return max(1, min(largest, CACHE_ELEMENTS // (k * k)))
        return largest

    def _cross_products(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` of the per-row products ``x_a x_c`` (a <= c): (rows, k(k+1)/2)."""
        x = self.x[start:stop]
        k = x.shape[1]
        out = np.empty((len(x), len(self._upper[0])))
        offset = 0
        for a in range(k):
            np.multiply(x[:, a:a + 1], x[:, a:], out=out[:, offset:offset + k - a])
            offset += k - a
        return out

    def _sum_xy(self, w: np.ndarray | None) -> np.ndarray:
        """``sum w x_a x_c`` of every pair for each weight row (B, k, k); None: each row once (1, k, k)."""
        n, k = self.shape
        if w is None:
            return (self.x.T @ self.x)[None]
        if self._products is None and n <= self._rows_per_block:
            self._products = self._cross_products(0, n)
        if self._products is not None:
            upper = w @ self._products
        else:
            upper = np.zeros((len(w), len(self._upper[0])))
            for start in range(0, n, self._rows_per_block):
                stop = min(n, start + self._rows_per_block)
                upper += w[:, start:stop] @ self._cross_products(start, stop)
        return upper[:, self._pair_column]          # (B, k, k): each pair from its one column


    def _pattern_sums(self, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The weights as (B, n) floats, and ``sums[b, h, :]``: the weighted sums over the rows of pattern
        h of x (k columns), x^2 (k) and every pattern's mask (p)."""
        n = self.shape[0]
        w = np.ones((1, n)) if weights is None else np.asarray(weights, dtype=float)
        if w.ndim != 2 or w.shape[1] != n:
            raise EvalcorrError(f"weights must be (resamples, {n}) row multiplicities, got shape {w.shape}")
        total = w @ self._columns                                        # (B, 2k + p)
        sums = np.empty((len(w), len(self._pattern_rows), total.shape[1]))
        for g, (rows, complement) in enumerate(self._pattern_rows):
            part = w[:, rows] @ self._columns[rows] if len(rows) else 0.0
            sums[:, g] = total - part if complement else part
        return w, sums

    def pair_counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Models behind each pair (B, k, k), counting multiplicity; (k, k) for ``weights`` None."""
        k = self.shape[1]
        _, sums = self._pattern_sums(weights)
        count = sums[:, :, 2 * k:][:, self.pattern[:, None], self.pattern[None, :]]
        return count[0] if weights is None else count

    def correlations(self, weights: np.ndarray | None = None, min_periods: int = 2) -> np.ndarray:
        """r (B, k, k) for weights (B, n) (non-negative row multiplicities), or (k, k) for None (each row
        once). r is NaN where a pair has fewer than ``max(min_periods, 2)`` rows (counting
        multiplicity) or no variance."""
        k = self.shape[1]
        w, sums = self._pattern_sums(weights)
        # The sums of a pair (a, c) over its common rows depend on c only through its pattern h = g(c):
        # everything but the cross products is computed per (task, partner pattern), (B, k, p), and
        # spread over the partners, (B, k, k), at the end.
        pattern = self.pattern
        sx = np.swapaxes(sums[:, :, :k], 1, 2)                          # (B, k, p): sum of x_a
        sxx = np.swapaxes(sums[:, :, k:2 * k], 1, 2)                    # (B, k, p): sum of x_a^2
        count = sums[:, :, 2 * k:][:, pattern, :]                       # (B, k, p): models behind the pair
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sx / count
            var = sxx - mean * sx
        # A pair on which one task is constant has zero variance up to round-off (relative to its sum
        # of squares); a pair with too few models has no r either.
        bad = (var <= 1e-12 * sxx + 1e-300) | (count < max(min_periods, 2))
        if len(self._pattern_rows) == 1:                 # complete data: every pair shares every row
            spread = lambda a: a                          # noqa: E731  (B, k, 1) broadcasts
        else:
            spread = lambda a: a[:, :, pattern]           # noqa: E731  (B, k, p) -> (B, k, k)
        # cov = sxy - sx_ac sx_ca / n, r = cov / sqrt(var_ac var_ca), in place.
        r = self._sum_xy(None if weights is None else w)
        with np.errstate(divide="ignore", invalid="ignore"):
            r -= spread(mean) * np.swapaxes(spread(sx), 1, 2)
            scale = spread(var)
            scale = np.sqrt(scale * np.swapaxes(scale, 1, 2))
            r /= scale
        np.clip(r, -1.0, 1.0, out=r)
        bad = spread(bad)
        r[bad | np.swapaxes(bad, 1, 2)] = np.nan
        diagonal = np.arange(k)
        r[:, diagonal, diagonal] = np.where(np.isnan(r[:, diagonal, diagonal]), np.nan, 1.0)
        return r[0] if weights is None else r


def pairwise_pearson(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Pearson r and pair counts of the columns of ``values`` by matrix products.

    Parameters
    ----------
    values : ndarray (n, k)
        scores, NaN where missing.
    weights : ndarray (B, n), optional
        non-negative integer row multiplicities, one row per replicate (a bootstrap resample is the
        count of each model drawn); None means each row once.

    Returns
    -------
    r, n : ndarray (B, k, k) (or (k, k) without weights)
        correlation (NaN where a pair has fewer than 2 models or no variance) and number of models
        behind each pair (counting multiplicity).

    See :class:`PearsonKernel` for the method, and to reuse the set-up over many batches of weights.
    """
    kernel = PearsonKernel(values)
    return kernel.correlations(weights), kernel.pair_counts(weights)


def _pairwise_spearman(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Spearman rho: ranks within each pair's common rows, then Pearson."""
    from scipy import stats   # here: importing scipy.stats takes most of a second

    present = ~np.isnan(values)
    k = values.shape[1]
    n = present.T.astype(float) @ present.astype(float)
    r = np.full((k, k), np.nan)
    ia, ib = np.triu_indices(k, 1)
    joint = present[:, ia] & present[:, ib]      # (n, pairs): each pair's common rows
    patterns, group = np.unique(np.packbits(joint, axis=0).T, axis=0, return_inverse=True)
    group = group.ravel()
    for g in range(len(patterns)):
        pair_ids = np.flatnonzero(group == g)
        rows = joint[:, pair_ids[0]]
        if rows.sum() < 2:
            continue
        cols = np.unique(np.concatenate([ia[pair_ids], ib[pair_ids]]))
        ranks = stats.rankdata(values[np.ix_(rows, cols)], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            sub = np.corrcoef(ranks, rowvar=False).reshape(len(cols), len(cols))
        where = {c: i for i, c in enumerate(cols)}
        a = np.array([where[c] for c in ia[pair_ids]])
        b = np.array([where[c] for c in ib[pair_ids]])
        r[ia[pair_ids], ib[pair_ids]] = sub[a, b]
    r = np.fmax(r, r.T)                          # mirror the upper triangle (fmax ignores the NaN side)
    np.fill_diagonal(r, np.where(np.diag(n) >= 2, 1.0, np.nan))
    return np.clip(r, -1.0, 1.0), n


def _pairwise_kendall(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete Kendall tau-b with scipy's p-values (a loop over pairs)."""
    from scipy import stats

    present = ~np.isnan(values)
    k = values.shape[1]
    n = present.T.astype(float) @ present.astype(float)
    r = np.full((k, k), np.nan)
    p = np.full((k, k), np.nan)
    for a, b in zip(*np.triu_indices(k, 1)):
        rows = present[:, a] & present[:, b]
        if rows.sum() < 2:
            continue
        result = stats.kendalltau(values[rows, a], values[rows, b])
        r[a, b] = r[b, a] = result.statistic
        p[a, b] = p[b, a] = result.pvalue
    np.fill_diagonal(r, np.where(np.diag(n) >= 2, 1.0, np.nan))
    return r, n, p


def pairwise_correlations(values: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """r, n and (Kendall only; else None) p for every pair of columns of an (n, k) array with NaN."""
    if method == "pearson":
        r, n = pairwise_pearson(values)
        return r, n, None
    if method == "spearman":
        r, n = _pairwise_spearman(values)
        return r, n, None
    return _pairwise_kendall(values)
