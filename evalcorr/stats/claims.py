"""The claims of the original transfer post, each with a verdict that knows the noise.

"Transfer learning and generalization-qua-capability in Babbage and Davinci (or, why division is
better than Spanish)" (RP & agg, LessWrong, 2024) made qualitative claims from its percentage-point
heatmaps. :func:`check_claims` recomputes each from the tidy transfer frame and gives two readings:
``holds`` compares the point estimates as the post did, and ``verdict`` is one of "holds", "does not
hold" or "within noise", decided by a 95% interval of the quantity the claim is about:

- one cell ("A helps B"): the cell's interval (:mod:`evalcorr.stats.transfer_cells`);
- two cells ("A->B more than C->D"): the interval of their difference (Newcombe when both are
  evaluated on the same task, else MOVER over the two cells' intervals);
- "A helps B but not the reverse": read literally on the point estimates (A->B > 0, B->A <= 0);
  the verdict holds when A->B is above 0 and above B->A beyond noise (both
  lower limits > 0); does not hold when A->B is below 0 or B->A above 0 beyond noise;
- "A and B help each other equally": holds when the interval of A->B minus B->A lies inside
  +-:data:`EQUIVALENCE_MARGIN`; does not hold when it excludes 0;
- "nearly everything helps T": holds when all but at most one task help T beyond noise; does not
  hold when at least two hurt it beyond noise;
- counts, row means and clusterings: a parametric bootstrap that redraws every accuracy from its
  binomial (:func:`evalcorr.stats.transfer_cells.redraw_pp`); a count or mean difference holds when
  its 95% bootstrap interval is above 0, and a clustering holds when at least :data:`SUPPORT` of
  the redraws reproduce it (does not hold when at most 1 - SUPPORT do);
- Babbage against Davinci: the mean transfer on each scale with a bootstrap over tasks
  (:func:`evalcorr.stats.transfer_cells.headline_table`).

Otherwise the verdict is "within noise". Cell values are after minus baseline computed from the
released accuracies (the released pp sheet rounds them to whole points); counts of asymmetric
pairs and clusterings are read off the released pp sheet, as the chapter's table and dendrogram
show them. Only the noise of scoring a finite set of items is known
(single runs, no seeds), so "holds" means "holds beyond item noise", not "replicates".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalcorr.stats.proportions import combine_differences
from evalcorr.stats.results_store import stored
from evalcorr.stats.transfer import (asymmetric_pairs, cell_matrix, cluster_labels_of, cluster_tasks,
                                     count_asymmetries, similarity, similarity_values, transfer_matrix)
from evalcorr.stats.transfer_cells import (SCALE_NAMES, cell_intervals, difference_of_improvements,
                                           headline_table, redraw_pp)

SOURCE = "transfer-scaling"
MODELS = {"babbage-002": "Babbage", "davinci-002": "Davinci"}
ASYMMETRY_THRESHOLD = 0.05        # the post's "asymmetric" cut: 5 percentage points
EQUIVALENCE_MARGIN = 0.05         # "no difference" must be shown to lie within +-5 points
SUPPORT = 0.95                    # share of redraws that must reproduce a clustering
N_REDRAWS = 1000
VERDICTS = ("holds", "does not hold", "within noise")
CLAIMED_CLUSTERS = {"math": ["addition", "subtraction", "division", "math_expressions", "multiplication_2x1"],
                    "trivia": ["faith", "science"], "translation": ["spanish"]}
DISPLAY = {
    "addition": "addition", "subtraction": "subtraction", "spanish": "Spanish translation",
    "division": "division", "math_expressions": "math expressions",
    "multiplication_2x1": "multiplication (2x1)", "faith": "faith", "science": "science",
}
HEADLINE = "Babbage transfers more than Davinci"


def _name(task: str) -> str:
    return DISPLAY.get(task, task)


def _pp(value: float) -> str:
    """A fraction as signed percentage points, one decimal."""
    return f"{100 * value:+.1f} pp"


def _interval(low: float, high: float, fmt=_pp) -> str:
    return f"[{fmt(low)}, {fmt(high)}]".replace(" pp,", ",")


def verdict_from_interval(low: float, high: float) -> str:
    """"holds" when the interval is above 0, "does not hold" when below, else "within noise"."""
    if low > 0:
        return "holds"
    if high < 0:
        return "does not hold"
    return "within noise"


def _row(claim, model, metric, numbers, value_a, value_b, holds, verdict, estimate, low, high, rule, items):
    sentence = (f"{MODELS.get(model, 'Babbage vs Davinci')}: {numbers}. On the point estimates the claim "
                f"{'holds' if holds else 'does not hold'}; with the noise of scoring {items} "
                f"items it {_verdict_phrase(verdict)}.")
    return {"claim": claim, "model": model, "metric": metric, "numbers": numbers, "value_a": float(value_a),
            "value_b": float(value_b), "holds": bool(holds), "verdict": verdict, "estimate": float(estimate),
            "ci_low": float(low), "ci_high": float(high), "rule": rule, "sentence": sentence}


def _verdict_phrase(verdict: str) -> str:
    return {"holds": "holds", "does not hold": "does not hold", "within noise": "is within noise"}[verdict]


class _Cells:
    """One model's pp cells with intervals, and the helpers the claims share."""

    def __init__(self, cells: pd.DataFrame):
        self.cells = cells
        self.table = cells.set_index(["train_task", "eval_task"])

    def cell(self, a, b):
        row = self.table.loc[(a, b)]
        return float(row["value"]), float(row["ci_low"]), float(row["ci_high"])

    def text(self, a, b):
        v, lo, hi = self.cell(a, b)
        return f"{_name(a)}->{_name(b)} {_pp(v)} {_interval(lo, hi)}"


def _compare(claim, model, cells: _Cells, first, second, items):
    x, y = cells.cell(*first)[0], cells.cell(*second)[0]
    d, lo, hi = difference_of_improvements(cells.cells, first, second)
    numbers = f"{cells.text(*first)}; {cells.text(*second)}; difference {_pp(d)} {_interval(lo, hi)}"
    return _row(claim, model, "pp", numbers, x, y, x > y, verdict_from_interval(lo, hi), d, lo, hi,
                "95% interval of the difference of the two improvements above 0", items)


def _one_way(claim, model, cells: _Cells, a, b, items):
    x, x_lo, x_hi = cells.cell(a, b)
    y, y_lo, y_hi = cells.cell(b, a)
    d, lo, hi = difference_of_improvements(cells.cells, (a, b), (b, a))
    if x_lo > 0 and lo > 0 and not y_lo > 0:
        verdict = "holds"
    elif x_hi < 0 or y_lo > 0:
        verdict = "does not hold"
    else:
        verdict = "within noise"
    numbers = f"{cells.text(a, b)}; {cells.text(b, a)}; difference {_pp(d)} {_interval(lo, hi)}"
    return _row(claim, model, "pp", numbers, x, y, (x > 0) and (y <= 0), verdict, d, lo, hi,
                "A->B above 0 and above B->A (both lower limits > 0); fails if A->B < 0 or B->A > 0 "
                "beyond noise", items)


def _equal(claim, model, cells: _Cells, a, b, items):
    x, y = cells.cell(a, b)[0], cells.cell(b, a)[0]
    d, lo, hi = difference_of_improvements(cells.cells, (a, b), (b, a))
    if -EQUIVALENCE_MARGIN <= lo and hi <= EQUIVALENCE_MARGIN:
        verdict = "holds"
    elif lo > 0 or hi < 0:
        verdict = "does not hold"
    else:
        verdict = "within noise"
    numbers = f"{cells.text(a, b)}; {cells.text(b, a)}; difference {_pp(d)} {_interval(lo, hi)}"
    return _row(claim, model, "pp", numbers, x, y, abs(x - y) <= EQUIVALENCE_MARGIN, verdict, d, lo, hi,
                f"95% interval of the difference inside +-{100 * EQUIVALENCE_MARGIN:g} pp; fails if it excludes 0",
                items)


def _everything_helps(claim, model, cells: _Cells, target, items):
    column = cells.cells[(cells.cells["eval_task"] == target) & (cells.cells["train_task"] != target)]
    k = len(column)
    helped = int((column["value"] > 0).sum())
    above, below = int((column["ci_low"] > 0).sum()), int((column["ci_high"] < 0).sum())
    verdict = "holds" if above >= k - 1 else "does not hold" if below >= 2 else "within noise"
    numbers = (f"{helped} of {k} tasks raise {_name(target)} ({_pp(column['value'].min())} to "
               f"{_pp(column['value'].max())}); {above} beyond noise, {below} lower beyond noise")
    return _row(claim, model, "pp", numbers, helped, k, helped >= k - 1, verdict, above, below, k,
                "at least all but one task help beyond noise (lower limit > 0); fails if two hurt beyond noise",
                items)


def _bootstrap_interval(values: np.ndarray, ci: float = 0.95) -> tuple[float, float]:
    alpha = (1 - ci) / 2
    low, high = np.nanquantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def _pairwise_abs_differences(cube: np.ndarray) -> np.ndarray:
    """|A->B - B->A| over the unordered pairs of each replicate, in whole points rounded to 1e-6."""
    upper = np.triu_indices(cube.shape[-1], 1)
    return np.round(100 * np.abs(cube - np.swapaxes(cube, -1, -2))[..., upper[0], upper[1]], 6)


def _asymmetry_claim(pp: dict, redraws: dict, threshold: float, items: str):
    counts = {m: count_asymmetries(pp[m], threshold) for m in MODELS}
    cut = round(100 * threshold, 6)
    boot = {m: (_pairwise_abs_differences(redraws[m]) > cut).sum(axis=1) for m in MODELS}
    diff = boot["babbage-002"] - boot["davinci-002"]
    lo, hi = _bootstrap_interval(diff)
    b, d = counts["babbage-002"], counts["davinci-002"]
    ranges = {m: _bootstrap_interval(boot[m]) for m in MODELS}
    numbers = (f"pairs whose directions differ by more than {100 * threshold:g} pp: Babbage {b}, Davinci {d} "
               f"(of 28); redrawing the items gives Babbage {ranges['babbage-002'][0]:.0f} to "
               f"{ranges['babbage-002'][1]:.0f}, Davinci {ranges['davinci-002'][0]:.0f} to "
               f"{ranges['davinci-002'][1]:.0f}, difference {lo:+.0f} to {hi:+.0f}")
    return _row("more asymmetries in Babbage than in Davinci", "both", "pp", numbers, b, d, b > d,
                verdict_from_interval(lo, hi), b - d, lo, hi,
                f"95% interval of the difference in counts over {len(diff)} binomial redraws above 0", items)


def _row_means_claim(redraws: dict, pp: dict, model: str, better: str, worse: str, items: str):
    """Mean pp from ``better`` to the other tasks minus the same from ``worse``."""
    tasks = list(pp[model].index)
    targets = [tasks.index(t) for t in tasks if t not in (better, worse)]
    i, j = tasks.index(better), tasks.index(worse)
    observed = pp[model].to_numpy()
    x, y = observed[i, targets].mean(), observed[j, targets].mean()
    cube = redraws[model]
    diff = cube[:, i, targets].mean(axis=1) - cube[:, j, targets].mean(axis=1)
    lo, hi = _bootstrap_interval(diff)
    numbers = (f"mean change of the {len(targets)} other tasks after training on {_name(better)} {_pp(x)}, on "
               f"{_name(worse)} {_pp(y)}; difference {_pp(x - y)} {_interval(lo, hi)}")
    return _row(f"{_name(better)} is better than {_name(worse)} (helps the other tasks more)", model, "pp",
                numbers, x, y, x > y, verdict_from_interval(lo, hi), x - y, lo, hi,
                "95% interval of the difference of the row means over binomial redraws above 0", items)


def _partition(labels) -> frozenset:
    groups: dict = {}
    for task, label in labels.items():
        groups.setdefault(label, set()).add(task)
    return frozenset(frozenset(g) for g in groups.values())


def _cluster_claim(pp: dict, redraws: dict, model: str, items: str):
    claimed = frozenset(frozenset(g) for g in CLAIMED_CLUSTERS.values())
    tasks = list(pp[model].index)
    observed = _partition(cluster_tasks(similarity(pp[model]), len(CLAIMED_CLUSTERS)))
    hits = 0
    for replicate in redraws[model]:     # arrays, not frames: a thousand redraws per model
        labels = cluster_labels_of(similarity_values(replicate), len(CLAIMED_CLUSTERS))
        hits += _partition(dict(zip(tasks, labels))) == claimed
    share = hits / len(redraws[model])
    verdict = "holds" if share >= SUPPORT else "does not hold" if share <= 1 - SUPPORT else "within noise"
    numbers = (f"three clusters of the symmetric similarity {'are' if observed == claimed else 'are not'} "
               f"math / trivia / translation; {100 * share:.0f}% of {len(redraws[model]):,} redraws give them")
    return _row("the tasks cluster into math, trivia and translation", model, "pp", numbers,
                float(observed == claimed), share, observed == claimed, verdict, share, share, share,
                f"at least {100 * SUPPORT:g}% of binomial redraws reproduce the clusters; fails at "
                f"{100 * (1 - SUPPORT):g}% or fewer", items)


def _headline_rows(head: pd.DataFrame, items: str):
    rows = []
    for r in head.itertuples():
        fmt = _pp if r.view == "pp" else (lambda v: f"{v:+.2f}")
        numbers = (f"mean {SCALE_NAMES[r.view]}: Babbage {fmt(r.mean_a)} {_interval(r.low_a, r.high_a, fmt)}, "
                   f"Davinci {fmt(r.mean_b)} {_interval(r.low_b, r.high_b, fmt)}; difference {fmt(r.difference)} "
                   f"{_interval(r.difference_low, r.difference_high, fmt)}")
        rows.append(_row(HEADLINE, "both", r.view, numbers, r.mean_a, r.mean_b, r.difference > 0,
                         verdict_from_interval(r.difference_low, r.difference_high), r.difference,
                         r.difference_low, r.difference_high,
                         f"95% interval of Babbage minus Davinci (bootstrap over the {r.n_tasks} tasks) above 0",
                         items))
    return rows


@stored
def check_claims(df: pd.DataFrame, threshold: float = ASYMMETRY_THRESHOLD, n_redraws: int = N_REDRAWS,
                 n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Every claim of the post with its point-estimate reading and its noise-aware verdict.

    Parameters
    ----------
    df : DataFrame
        ``evalcorr.load_transfer("transfer-scaling")``.
    threshold : float
        Asymmetry threshold on |A->B - B->A| in fractions (0.05 = 5 percentage points).
    n_redraws, n_boot, seed : int
        Binomial redraws (counts, row means, clusters), bootstrap replicates over tasks (headline), seed.

    Returns
    -------
    Tidy DataFrame: claim, model (``both`` for Babbage-vs-Davinci comparisons), metric, numbers
    (human-readable, with 95% intervals), value_a, value_b (the two numbers compared; Babbage first
    in model comparisons), holds (point estimates), verdict (holds / does not hold / within noise),
    estimate, ci_low, ci_high (of the quantity the verdict reads), rule, sentence.
    """
    cells = {m: _Cells(cell_intervals(df, "pp", model=m)) for m in MODELS}
    pp = {m: cell_matrix(cells[m].cells) for m in MODELS}
    # Counts and clusterings are read off the released sheet, as the chapter's table and dendrogram show them.
    sheet = {m: transfer_matrix(df, SOURCE, model=m, view="pp") for m in MODELS}
    redraws = redraw_pp(df, tuple(MODELS), n_boot=n_redraws, seed=seed)
    n_items = sorted(set(cells["babbage-002"].cells["n_items"]))
    items = f"{n_items[0]}" if len(n_items) == 1 else f"{n_items[0]} to {n_items[-1]}"
    rows = _headline_rows(headline_table(df, n_boot=n_boot, seed=seed), items)
    for m in MODELS:
        rows.append(_row_means_claim(redraws, pp, m, "division", "spanish", items))
    for m in MODELS:
        rows.append(_compare("division helps multiplication more than subtraction helps addition", m, cells[m],
                             ("division", "multiplication_2x1"), ("subtraction", "addition"), items))
    for m in MODELS:
        rows.append(_compare("addition helps subtraction more than subtraction helps addition", m, cells[m],
                             ("addition", "subtraction"), ("subtraction", "addition"), items))
    for m in MODELS:
        rows.append(_one_way("translation helps faith while faith does not help translation", m, cells[m],
                             "spanish", "faith", items))
    for m in MODELS:
        rows.append(_everything_helps("nearly everything helps faith", m, cells[m], "faith", items))
    rows.append(_compare("fine-tuning on faith improves science more than it improves faith", "babbage-002",
                         cells["babbage-002"], ("faith", "science"), ("faith", "faith"), items))
    rows.append(_one_way("math expressions help subtraction but not the reverse", "davinci-002",
                         cells["davinci-002"], "math_expressions", "subtraction", items))
    rows.append(_equal("math expressions and subtraction help each other equally", "babbage-002",
                       cells["babbage-002"], "math_expressions", "subtraction", items))
    rows.append(_asymmetry_claim(sheet, redraws, threshold, items))
    for m in MODELS:
        rows.append(_cluster_claim(sheet, redraws, m, items))
    return pd.DataFrame(rows)


def asymmetry_sensitivity(df: pd.DataFrame, thresholds) -> pd.DataFrame:
    """Asymmetric pair counts of each model at several thresholds of the released pp sheet.

    Differences are compared on the sheet's whole-point scale (see
    :func:`evalcorr.stats.transfer.asymmetric_pairs`), so a 1-point difference is not above a
    1-point threshold.

    Returns
    -------
    DataFrame: threshold, then one column per model with the number of pairs whose
    |pp(A->B) - pp(B->A)| exceeds it.
    """
    pp = {m: transfer_matrix(df, SOURCE, model=m, view="pp") for m in MODELS}
    return pd.DataFrame([{"threshold": float(t), **{m: count_asymmetries(pp[m], t) for m in MODELS}}
                         for t in thresholds])


def asymmetries_beyond_noise(df: pd.DataFrame) -> dict[str, int]:
    """Per model, the task pairs whose two directions differ beyond noise (95% interval of
    pp(A->B) - pp(B->A) excludes 0)."""
    out = {}
    for m in MODELS:
        cells = cell_intervals(df, "pp", model=m)
        pairs = asymmetric_pairs(cell_matrix(cells))
        count = 0
        for a, b in pairs[["task_a", "task_b"]].itertuples(index=False):
            _, lo, hi = difference_of_improvements(cells, (a, b), (b, a))
            count += (lo > 0) or (hi < 0)
        out[m] = int(count)
    return out
