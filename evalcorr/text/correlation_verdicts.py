"""Verdict sentences about correlations, chosen from the numbers: the wording follows what the statistics found.

Each function takes what a statistic returned and picks its sentence by explicit thresholds (stated
in its docstring), so the chapters never hand-write a conclusion the numbers might not support.
"""

from __future__ import annotations

import pandas as pd

from evalcorr.text.numbers import interval


def lineage_verdict(summary: pd.DataFrame, statistics: pd.DataFrame, grouping: str) -> str:
    """Whether sampling noise limits the analysis once related models are resampled together.

    Parameters
    ----------
    summary, statistics :
        the ``summary`` and ``statistics`` frames of :func:`evalcorr.stats.uncertainty.interval_comparison`.
    grouping :
        the lineage grouping to judge by (a ``grouping`` of those frames).

    Returns
    -------
    str
        Two sentences. The first says sampling noise is negligible when the cluster intervals are
        less than 1.5 times the naive ones and narrower than 0.1 (median over pairs); otherwise it gives
        the widening and the effective sample size. The second says whether the within-minus-between
        gap and the PC1 share keep intervals clear of zero (gap) under that grouping.
    """
    row = summary.set_index("grouping").loc[grouping]
    stats = statistics[statistics["grouping"] == grouping].set_index("statistic")
    gap = stats.loc["within - between"]
    pc1 = stats.loc["PC1 share"]
    if row["width_ratio"] < 1.5 and row["median_width"] < 0.1:
        first = (f"Sampling noise is not what limits this analysis, even with models resampled in {grouping} "
                 f"groups: the median interval is {row['median_width']:.2f} wide.")
    else:
        first = (f"Once related models are resampled together ({grouping} groups), sampling noise is no longer "
                 f"negligible: the median interval of a pair is {row['width_ratio']:.1f} times as wide as the "
                 f"naive one ({row['median_width']:.2f}), as if the {int(row['n_models']):,} models were about "
                 f"{row['median_n_eff']:,.0f} independent ones.")
    if gap["ci_low"] > 0:
        second = (f"The headline contrasts survive it: the within-minus-between gap stays above zero "
                  f"({gap['estimate']:.2f}, 95% interval {interval(gap['ci_low'], gap['ci_high'])}) and PC1 "
                  f"carries {pc1['estimate']:.0%} of the variance {interval(pc1['ci_low'], pc1['ci_high'], '.0%')}.")
    else:
        second = (f"The within-minus-between gap is then not distinguishable from zero ({gap['estimate']:.2f}, 95% "
                  f"interval {interval(gap['ci_low'], gap['ci_high'])}); PC1 carries {pc1['estimate']:.0%} of the "
                  f"variance {interval(pc1['ci_low'], pc1['ci_high'], '.0%')}.")
    return f"{first} {second}"


def subset_verdict(result: dict, chosen: str, reference: str, pool: str) -> str:
    """How a chosen subset compares with random subsets of its pool (:func:`evalcorr.stats.resampling.subset_permutation_test`).

    Reads "higher than almost all" when p < 0.025, "higher than most ... but within what chance
    selection gives" when it is at or above the 75th percentile, "no higher than" below that.
    """
    how = f"{result['observed']:.2f}, against {result['null_mean']:.2f} on average for random sets of {result['size']} {pool}"
    if result["p"] < 0.025:
        return f"{chosen} correlate with {reference} more than almost any random set of {result['size']} {pool} ({how})"
    if result["percentile"] >= 0.75:
        return (f"{chosen} correlate with {reference} more than most random sets of {result['size']} {pool}, but not "
                f"beyond what chance selection gives ({how}; {result['percentile']:.0%} of the sets lie below)")
    return f"{chosen} correlate with {reference} no more than random sets of {result['size']} {pool} ({how})"


def rank_verdict(above: dict, subject: str) -> str:
    """Whether a subject goes with each external score more or less than the median subject does.

    ``above`` maps the name of each external score to True when the subject's correlation with it is
    above the median subject's. All True: the observation that the subject stands apart does not
    replicate; all False: it does; otherwise the answer is mixed, naming which way each score goes.
    """
    from evalcorr.text.lists import join_and

    if not above:
        raise ValueError("rank_verdict needs at least one external score")
    names = list(above)
    if all(above.values()):
        return (f"{subject} goes with {join_and(names)} at least as much as the median subject does, so on these "
                "data the observation does not replicate")
    if not any(above.values()):
        return f"{subject} goes with {join_and(names)} less than the median subject does, as the original observation says"
    ups = [n for n in names if above[n]]
    downs = [n for n in names if not above[n]]
    return (f"the answer is mixed, neither a clean replication nor a clean non-replication: {subject} ranks above "
            f"the median subject with {join_and(ups)} but below it with {join_and(downs)}")
