"""Sentences about how far the methods recover a known structure, chosen from the numbers.

Each function takes what :mod:`evalcorr.stats.recovery` or :mod:`evalcorr.stats.method_recovery`
returned and picks its wording by the rule its docstring states.

A recovery score *beats chance* when its permutation p-value is below 0.05 and the lower end of its
95% interval lies above the chance mean (:func:`beats_chance`).
"""

from __future__ import annotations

import pandas as pd

from evalcorr.text.lists import join_and
from evalcorr.text.numbers import interval, percent

ALPHA = 0.05


def beats_chance(row) -> bool:
    """True when ``p < 0.05`` and ``ci_low`` lies above ``null_mean`` (a row of a recovery table)."""
    return bool(row["p"] < ALPHA and row["ci_low"] > row["null_mean"])


def score_text(row) -> str:
    """``0.81 (95% interval 0.60 to 0.85; chance 0.50)``."""
    return (f"{row['estimate']:.2f} (95% interval {interval(row['ci_low'], row['ci_high'])}; "
            f"chance {row['null_mean']:.2f})")


def recovery_sentence(table: pd.DataFrame, method: str, score: str) -> str:
    """One method's score and whether it beats chance (:func:`beats_chance`)."""
    row = table.set_index(["method", "score"]).loc[(method, score)]
    verdict = "above chance" if beats_chance(row) else "not distinguishable from chance"
    return f"{score} {score_text(row)}, {verdict}"


def methods_above_chance(table: pd.DataFrame, score: str) -> list[str]:
    """The methods whose ``score`` beats chance, in table order."""
    rows = table[table["score"] == score]
    return [m for m, (_, row) in zip(rows["method"], rows.iterrows()) if beats_chance(row)]


def method_names(methods) -> str:
    """Methods as prose: ``the plain correlations, the partial correlations under PC1 and general factor
    and the 3-factor solution (one per primitive)``; ``no method`` for none.

    >>> method_names(["correlation", "partial: PC1", "partial: general factor"])
    'the plain correlations and the partial correlations under PC1 and general factor'
    """
    methods = list(methods)
    partial = [m.removeprefix("partial: ") for m in methods if m.startswith("partial: ")]
    parts = ["the plain correlations"] if "correlation" in methods else []
    if partial:
        parts.append(f"the partial correlations under {join_and(partial)}")
    parts += [f"the {m.removeprefix('factors: ').replace(' (', '-factor solution (', 1)}" for m in methods
              if m.startswith("factors: ")]
    parts += [m for m in methods if m != "correlation" and not m.startswith(("partial: ", "factors: "))]
    return join_and(parts) if parts else "no method"


def above_chance_text(table: pd.DataFrame, score: str) -> str:
    """The methods whose ``score`` beats chance, as prose (:func:`method_names`)."""
    return method_names(methods_above_chance(table, score))


def block_verdict(difference: dict) -> str:
    """Whether co-training made a block among tasks that share no primitive.

    ``difference`` is :func:`evalcorr.stats.method_recovery.paired_block_difference`. The block is
    real when the 95% interval of the paired difference lies above 0, absent when it lies below or
    spans 0 with an estimate under 0.05, and unresolved otherwise.
    """
    value = f"{difference['estimate']:+.2f} (95% interval {interval(difference['ci_low'], difference['ci_high'])})"
    if difference["ci_low"] > 0:
        return (f"training the tasks of a family together raises the surface block by {value}: co-training "
                "alone makes tasks that share no skill correlate")
    if difference["ci_high"] < 0 or abs(difference["estimate"]) < 0.05:
        return f"co-training changes the surface block by {value}: it makes no block of its own here"
    return f"co-training changes the surface block by {value}, which this population cannot tell from noise"


def coverage_sentence(summary: pd.DataFrame) -> str:
    """How often each kind of interval covered the truth, beside the share a correct interval of its width
    would reach (a :func:`coverage_summary` table; the Wilson intervals are in the figure)."""
    rows = summary.set_index("grouping")
    covered = join_and(f"{percent(row['coverage'])}% of the {grouping} intervals" for grouping, row in rows.iterrows())
    attainable = join_and(f"{percent(row['attainable'])}%" for _, row in rows.iterrows())
    return f"{covered} (correct intervals of the same widths would reach {attainable})"


def coverage_verdict(summaries: dict, naive: str = "models (naive)", lineage: str = "base model") -> str:
    """Which intervals keep their promise, per kind of interval: one whose coverage interval reaches the
    attainable level (what a correct interval of its width reaches against the estimated truth) keeps it."""
    parts = []
    for grouping in (lineage, naive):
        kept = [r for r, summary in summaries.items()
                if (lambda row: row["ci_high"] >= row["attainable"])(summary.set_index("grouping").loc[grouping])]
        missed = [r for r in summaries if r not in kept]
        where = lambda regimes: "in every regime" if len(regimes) == len(summaries) else f"in the {join_and(regimes)} regime"
        if not missed:
            parts.append(f"the {grouping} intervals covered the truth about as often as a correct interval would {where(kept)}")
        elif not kept:
            parts.append(f"the {grouping} intervals fell short of a correct interval's coverage {where(missed)}")
        else:
            parts.append(f"the {grouping} intervals covered the truth about as often as a correct interval would "
                         f"{where(kept)} and fell short {where(missed)}")
    return "; ".join(parts)


def drivers_sentence(drivers: pd.DataFrame) -> str:
    """The PC1 share and how much of it parameters, steps and both explain (a :func:`factor_drivers` table)."""
    r2 = drivers.set_index("predictors")["r2"]
    names = list(r2.index)
    both = max(names, key=len)
    singles = [n for n in names if " + " not in n]
    parts = [f"{n} alone {percent(r2[n])}%" for n in singles]
    return (f"the first principal component carries {percent(drivers['pc1_share'].iloc[0])}% of the variance; "
            f"{join_and(parts)} of its variance across models, and {both} together {percent(r2[both])}%")


def signature_sentence(table: pd.DataFrame, null: dict) -> str:
    """Share of selected tokens that belong to their task's own primitives, against chance."""
    share, chance = null["observed"], null["null_mean"]
    first = int(table["first_own"].sum())
    verdict = ("more often than chance" if null["p"] < ALPHA else "no more often than chance would")
    return (f"{percent(share)}% of the selected tokens belong to their task's own primitives (chance: "
            f"{percent(chance)}%, permutation p = {null['p']:.3f}), {verdict}; the first token chosen is one "
            f"of the task's own for {first} of the {len(table)} tasks")


def latent_sentence(table: pd.DataFrame) -> str:
    """For each decomposed matrix, its mean congruence with the primitives and whether it beats chance."""
    parts = []
    for name, rows in table.groupby("matrix", sort=False):
        row = rows.iloc[0]
        verdict = "above chance" if row["p"] < ALPHA else "not distinguishable from chance"
        parts.append(f"{name} {row['mean']:.2f} (chance {row['null_mean']:.2f}, p = {row['p']:.2f}, {verdict})")
    return join_and(parts)


def best_method(table: pd.DataFrame, score: str = "pair AUC") -> str | None:
    """The method with the highest ``score`` among those that beat chance (:func:`beats_chance`), or None."""
    rows = table[table["score"] == score]
    rows = rows[[beats_chance(row) for _, row in rows.iterrows()]]
    return None if rows.empty else str(rows.loc[rows["estimate"].idxmax(), "method"])


def plain_versus_partial(table: pd.DataFrame, score: str = "pair AUC", plain: str = "correlation",
                         conclusion: bool = True) -> str:
    """Whether the plain correlation matrix recovers the truth, and whether removing a common factor does.

    Four cases, by :func:`beats_chance` of the plain matrix and of the ``partial:`` methods; with
    ``conclusion=False`` the case where only the partial ones do is not spelled out (for a second regime).
    """
    row = table.set_index(["method", "score"]).loc[(plain, score)]
    partial = [m for m in methods_above_chance(table, score) if m.startswith("partial")]
    named = method_names(partial).removeprefix("the partial correlations under ")
    head = f"the plain correlation matrix has a {score} of {score_text(row)}"
    if beats_chance(row):
        tail = (f"; the partial correlations under {named} beat chance too" if partial
                else "; no partial correlation beats chance")
        return f"{head}, above chance: it recovers the primitives without a control{tail}"
    if partial:
        return (f"{head}, not distinguishable from chance; the partial correlations under {named} beat chance"
                + (": removing a common factor is what lets the primitives show" if conclusion else ""))
    return f"{head}, not distinguishable from chance, and no partial correlation beats it either"


def steps_sentence(effect: pd.DataFrame, labels=None) -> str:
    """How scores move with fine-tuning steps (:func:`evalcorr.stats.method_recovery.steps_effect`): the
    tasks whose Spearman rho with steps is positive with p < 0.05, and the range over tasks of the mean
    score at the fewest and at the most steps."""
    labels = {} if labels is None else dict(labels)
    up = effect[(effect["rho"] > 0) & (effect["p"] < ALPHA)]
    flat = effect.drop(up.index)
    low, high = effect["low_steps"].iloc[0], effect["high_steps"].iloc[0]
    text = (f"more fine-tuning steps go with higher scores on {len(up)} of the {len(effect)} tasks (Spearman "
            f"correlation with steps above 0, p < {ALPHA}); the tasks' mean exact match ranges from "
            f"{effect['mean_low'].min():.2f} to {effect['mean_low'].max():.2f} after {low:.0f} steps and from "
            f"{effect['mean_high'].min():.2f} to {effect['mean_high'].max():.2f} after {high:.0f}")
    if len(flat):
        text += f"; the scores do not rise with steps on {join_and(labels.get(t, t) for t in flat['task'])}"
    return text


def regimes_above_chance(tables: dict, score: str, noun: str) -> str:
    """Which methods' ``score`` beats chance in each regime: ``the clusters beat chance for no method in
    any regime`` or per regime (:func:`method_names`)."""
    found = {regime: methods_above_chance(table, score) for regime, table in tables.items()}
    lists = list(found.values())
    if all(methods == lists[0] for methods in lists):
        if not lists[0]:
            return f"{noun} beat chance for no method in any regime"
        return f"{noun} beat chance for {method_names(lists[0])} in every regime"
    return f"{noun} beat chance for " + join_and(f"{method_names(m)} in the {r} regime" for r, m in found.items())


def drivers_verdict(drivers: pd.DataFrame, size: str = "log10 parameters",
                    compute: str = "log10 fine-tuning steps") -> str:
    """Which of size and compute explains more of the first principal component (the larger R²), and
    whether the two together explain most of it (R² above one half)."""
    r2 = drivers.set_index("predictors")["r2"]
    both = r2[f"{size} + {compute}"]
    leader = "compute (fine-tuning steps)" if r2[compute] > r2[size] else "size (parameters)"
    most = "most" if both > 0.5 else "less than half"
    return (f"the common factor follows {leader} more than the other, and the two together explain {most} of it "
            f"(R² {both:.2f})")


def mantel_verdict(agreement: pd.DataFrame, alpha: float = ALPHA) -> str:
    """Per regime: for how many model sizes the population's correlations agree with the transfer
    similarity (Mantel p < ``alpha``), with the range of r."""
    parts = []
    for regime, rows in agreement.groupby("population", sort=False):
        k = int((rows["p"] < alpha).sum())
        parts.append(f"{k} of {len(rows)} sizes in the {regime} regime (r from {rows['r'].min():.2f} to "
                     f"{rows['r'].max():.2f})")
    return f"the agreement is significant (p < {alpha}) for {join_and(parts)}"


def budget_sentence(seconds: float, limit: float = 3600.0) -> str:
    """``38 minutes of wall time, within the 60 minutes the design allows`` (or ``over``)."""
    verdict = "within" if seconds <= limit else "over"
    return f"{seconds / 60:.0f} minutes of wall time, {verdict} the {limit / 60:.0f} minutes the design allows"


def run_note(run: dict) -> str:
    """How the time of a population run (its ``run.yaml``) was counted: a run whose last process took
    less wall time than the total was resumed, and the total adds the time of every finished unit."""
    total, last = run["seconds_total"]["wall"], run["this_process_seconds"]
    if last < total:
        return (f"the run was interrupted and resumed, and these totals add up the time of every unit of work "
                f"over its processes; the last process took {last / 60:.0f} minutes")
    return "the run went through in one process"


def contamination_verdict(difference: dict, recovery: dict, score: str = "pair AUC") -> str:
    """The verdict on the original study's contamination hypothesis for this world.

    The hypothesis: blocks of one eval family may come from training on the family's evals together
    rather than from a shared skill. It *holds here* when co-training raises the surface block (paired
    interval above 0), finds *no support* when the interval lies below 0 or the change is under 0.05,
    and is *unresolved* otherwise. The sentence then says, for the method that recovers the primitives
    best in the first regime (:func:`best_method`), whether it still does in the others.
    """
    if difference["ci_low"] > 0:
        first = ("In this world the contamination hypothesis holds: training a family's tasks together alone "
                 "makes them correlate although they share no skill.")
    elif difference["ci_high"] < 0 or abs(difference["estimate"]) < 0.05:
        first = ("In this world the contamination hypothesis finds no support: training a family's tasks "
                 "together made no block of tasks that share no skill.")
    else:
        first = ("In this world the population cannot tell whether training a family's tasks together makes a "
                 "block of its own.")
    regimes = list(recovery)
    method = best_method(recovery[regimes[0]], score)
    if method is None:
        return f"{first} No method recovers the primitives above chance in the {regimes[0]} regime."
    rows = {r: t.set_index(["method", "score"]).loc[(method, score)] for r, t in recovery.items()}
    detail = join_and(f"{rows[r]['estimate']:.2f} in the {r} regime ({'above chance' if beats_chance(rows[r]) else 'not distinguishable from chance'})"
                      for r in regimes)
    return f"{first} The method that recovers the primitives best ({method_names([method])}) has a {score} of {detail}."


def recovery_display(tables: dict) -> pd.DataFrame:
    """The recovery tables of several regimes in one table for reading: method, score, regime, the
    estimate with its interval (``0.84 [0.74, 0.90]``), the chance mean and the permutation p; the
    regimes of one method and score on adjacent rows."""
    parts = []
    for order, (regime, table) in enumerate(tables.items()):
        parts.append(pd.DataFrame({
            "method": table["method"], "score": table["score"], "regime": regime,
            "estimate [95% interval]": [f"{e:.2f} [{lo:.2f}, {hi:.2f}]"
                                        for e, lo, hi in table[["estimate", "ci_low", "ci_high"]].to_numpy()],
            "chance": table["null_mean"].map(lambda v: f"{v:.2f}"), "p": table["p"].map(lambda v: f"{v:.3f}"),
            "_row": range(len(table)), "_regime": order}))
    out = pd.concat(parts).sort_values(["_row", "_regime"], kind="stable")
    return out.drop(columns=["_row", "_regime"]).reset_index(drop=True)
