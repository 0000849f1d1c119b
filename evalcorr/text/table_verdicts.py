"""Verdict sentences about a score table, chosen from the numbers the statistics computed.

Each function takes results of :mod:`evalcorr.stats` and returns one or two sentences; the branch (how
many blocks, whether families matter, how sure) is decided here from those numbers, never typed by hand.
The table report (``python -m evalcorr report``) prints them; every rule is in the function's docstring.

>>> from evalcorr.text.table_verdicts import resample_count
>>> resample_count(1000)
'1,000 times'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from evalcorr.text.lists import join_and, names, short_list
from evalcorr.text.numbers import count_word, format_permutation_p, percent, plural
from evalcorr.text.tables import escape_markdown, markdown_table

# Rows of a table printed into a page: a PDF page holds about this many two-line rows, and the PDF
# does not break a table across pages.
TABLE_ROWS = 24

# Adjusted Rand index cut-offs for "the blocks are the families" / "partly follow them".
ARI_MATCH, ARI_PARTLY = 0.8, 0.3
# Shares of positive pairs for "almost all", "most", "more than half".
MANIFOLD_WORDS = ((0.95, "almost all"), (0.75, "most"), (0.5, "more than half"), (0.0, "fewer than half"))


def _md(items, display: Mapping | Callable | None = None) -> list[str]:
    """Display names escaped for a sentence printed into the page as Markdown (names come from data)."""
    return [escape_markdown(name) for name in names(list(items), display)]


def resample_count(n_boot: int, usual: int = 1000) -> str:
    """'1,000 times', or '200 times (fewer than the usual 1,000, because the table is large)'."""
    text = f"{n_boot:,} times"
    return text if n_boot >= usual else text + f" (fewer than the usual {usual:,}, because the table is large)"


def blocks_verdict(blocks, display: Mapping | Callable | None = None) -> str:
    """What the block structure of a table is, from :func:`evalcorr.stats.blocks.find_blocks`.

    - two or more blocks: "The table shows two blocks of tasks: {...}; {...}." (tasks in no block named);
    - one block covering every task: "one common factor and no separate blocks";
    - one block and tasks outside it: "one block of N tasks ...; the other tasks share no factor";
    - factors but none shared by two tasks, or no factor at all (parallel analysis): "no blocks" /
      "no structure beyond what random data of the same size gives".

    When the bootstrap does not support the factor count (``blocks.supported`` is False), "shows"
    becomes "may show"; :func:`count_stability` gives the numbers.
    """
    groups = blocks.groups()
    outside = blocks.unassigned
    shows = "shows" if blocks.supported else "may show"
    if blocks.n_blocks >= 2:
        parts = "; ".join("{" + short_list(_md(tasks, display)) + "}" for tasks in groups.values())
        text = f"The table {shows} {count_word(blocks.n_blocks)} blocks of tasks: {parts}."
        if outside:
            text += f" {short_list(_md(outside, display))} {'joins' if len(outside) == 1 else 'join'} no block."
        return text
    if blocks.n_blocks == 1 and not outside:
        return (f"The table {shows} one common factor and no separate blocks: every task loads on the same "
                "factor.")
    if blocks.n_blocks == 1:
        (tasks,) = groups.values()
        return (f"The table {shows} one block of {plural(len(tasks), 'task')} ({short_list(_md(tasks, display))}); "
                f"the other {plural(len(outside), 'task')} share no factor with {'it' if len(tasks) == 1 else 'them'}.")
    if blocks.n_factors >= 1:
        return (f"The table shows no blocks: parallel analysis retains {plural(blocks.n_factors, 'factor')}, "
                "but no factor is shared by two tasks.")
    return "The table shows no structure beyond what random data of the same size gives."


def count_stability(blocks) -> str:
    """How sure the factor count is: the parallel analysis and the bootstrap share of the same count.

    Below the support threshold (:data:`evalcorr.stats.blocks.SUPPORT`) the sentence says the count is
    uncertain and gives the most frequent alternative.
    """
    share = blocks.count_share
    factors = f"{count_word(blocks.n_factors)} factor{'' if blocks.n_factors == 1 else 's'}"
    text = (f"Parallel analysis retains {factors} on the {blocks.n_models:,} models "
            f"that have every analysed score; {percent(share)}% of {blocks.n_boot:,} bootstrap resamples of "
            "the models give the same number")
    others = blocks.count_stability[blocks.count_stability["n_factors"] != blocks.n_factors]
    if blocks.supported or others.empty:
        return text + "."
    best = others.sort_values(["share", "n_factors"], ascending=[False, True]).iloc[0]
    return (text + f", so the count is uncertain ({percent(best['share'])}% give "
            f"{plural(int(best['n_factors']), 'factor')}).")


def manifold_sentence(summary: pd.Series, intervals: pd.Series | None = None) -> str:
    """How many pairs correlate positively (from ``correlation_summary``), and how many surely do.

    The quantifier follows the share of positive pairs (:data:`MANIFOLD_WORDS`); with ``intervals``
    (``interval_summary`` of bootstrap intervals) the share whose interval lies above zero is added.
    """
    share = float(summary["share_positive"])
    n_pairs = int(summary["n_pairs"])
    if share == 1:
        text = (f"All {n_pairs:,} pairs of tasks correlate positively across models "
                f"(median r = {summary['median_r']:.2f})")
    else:
        word = next(w for cut, w in MANIFOLD_WORDS if share >= cut)
        text = (f"{word.capitalize()} of the {n_pairs:,} pairs of tasks correlate positively across models "
                f"({percent(share)}%; median r = {summary['median_r']:.2f})")
    if intervals is None:
        return text + "."
    return (text + f"; the 95% bootstrap interval lies above zero for {percent(intervals['share_above_zero'])}% "
            f"of the pairs and below zero for {percent(intervals['share_below_zero'])}%.")


def families_sentence(test: dict, ari: float | None = None) -> str:
    """Whether tasks of one family correlate more than tasks of different families.

    ``test`` is :func:`evalcorr.stats.resampling.family_permutation_test` (mean statistic); the verdict
    is "more" when the within-minus-between difference is positive with p < 0.05, else "not clearly
    more". ``ari`` (:func:`evalcorr.stats.blocks.block_family_agreement`) adds whether the blocks found
    follow the families (:data:`ARI_MATCH`, :data:`ARI_PARTLY`).
    """
    clear = test["difference"] > 0 and test["p"] < 0.05
    verb = "correlate more" if clear else "do not clearly correlate more"
    text = (f"Tasks of the same family {verb} than tasks of different families: mean r "
            f"{test['within']:.2f} within against {test['between']:.2f} between "
            f"(permutation test of the family labels, {format_permutation_p(test['p'], test['n_perm'])}).")
    if ari is None or not np.isfinite(ari):
        return text
    how = "are the families" if ari >= ARI_MATCH else ("partly follow the families" if ari >= ARI_PARTLY
                                                      else "do not follow the families")
    return text + f" The blocks found {how} (adjusted Rand index {ari:.2f})."


def _r(value: float) -> str:
    """A correlation to two decimals, never '-0.00'."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _kept(share: float) -> str:
    return "nothing" if not share > 0 else f"{percent(share)}%"


CONTROL_NAMES = {"none": "none", "pc1": "first principal component", "mean": "mean score",
                 "family-means": "mean of the family means"}
GROUP_WORDS = {"families": "family", "blocks": "block"}


def _overall(survival: pd.DataFrame) -> pd.DataFrame:
    """The ``all`` rows of :func:`evalcorr.stats.partial.block_survival`, indexed by control label."""
    return survival[survival["family"] == "all"].set_index("control")


def control_sentence(survival: pd.DataFrame, kind: str = "blocks") -> str:
    """What removing the common factor leaves, from :func:`evalcorr.stats.partial.block_survival`
    (controls labelled ``pc1``, ``mean`` and optionally ``family-means``; ``kind`` as
    :func:`evalcorr.stats.blocks.comparison_groups` returns it).

    With groups: how much of the mean within-group correlation survives the first principal component and
    the mean score, and where the between-group mean goes. Without (``kind="none"``): where the mean
    correlation over all pairs goes.
    """
    rows = _overall(survival)
    plain, pc1 = rows.loc["none"], rows.loc["pc1"]
    mean = rows.loc["mean"] if "mean" in rows.index else None
    if kind not in GROUP_WORDS:
        text = ("Removing the first principal component (the common factor) takes the mean correlation over "
                f"all pairs from {_r(plain['mean_within'])} to {_r(pc1['mean_within'])}")
        if mean is not None:
            text += f"; removing each model's mean score takes it to {_r(mean['mean_within'])}"
        return text + "."
    group = GROUP_WORDS[kind]
    text = (f"Removing the first principal component (the common factor) leaves {_kept(pc1['kept'])} "
            f"of the mean within-{group} correlation ({_r(plain['mean_within'])} to {_r(pc1['mean_within'])}); "
            f"the between-{group} mean goes from {_r(plain['mean_between'])} to {_r(pc1['mean_between'])}")
    others = [(CONTROL_NAMES[label], _kept(rows.loc[label, "kept"])) for label in ("mean", "family-means")
              if label in rows.index]
    if others:
        (name, kept), rest = others[0], others[1:]
        text += f". Removing the {name} instead leaves {kept}" + "".join(f", and the {n} {k}" for n, k in rest)
    return text + "."


def controls_markdown(survival: pd.DataFrame) -> str:
    """The ``all`` rows of :func:`evalcorr.stats.partial.block_survival` as Markdown: one row per control."""
    rows = _overall(survival)

    def number(value) -> str:
        return _r(value) if np.isfinite(value) else "–"

    table = pd.DataFrame({
        "Control removed": [CONTROL_NAMES.get(label, label) for label in rows.index],
        "Mean r within": rows["mean_within"].map(number),
        "Mean r between": rows["mean_between"].map(number),
        "Within minus between": rows["difference"].map(number),
        "Within kept": rows["kept"].map(lambda v: f"{percent(v)}%" if np.isfinite(v) else "–"),
    })
    return markdown_table(table, disable_numparse=True, colalign=("left", "right", "right", "right", "right"))


def excluded_tasks(excluded) -> str:
    """'(every task of the table)', or '(X and Y, which fewer models have, are left out)'."""
    if not len(excluded):
        return "(every task of the table)"
    verb = "is" if len(excluded) == 1 else "are"
    return f"({short_list(excluded)}, which fewer models have, {verb} left out)"


def congruence_sentence(summary: pd.DataFrame, n_boot: int) -> str:
    """How stable the factors' loadings are, from :func:`evalcorr.stats.factors.congruence_summary`.

    A factor is "stable" when its median bootstrap congruence is at least 0.95, "fairly stable" from
    0.85, else "unstable" (Lorenzo-Seva and ten Berge's reading of Tucker's coefficient).
    """
    def word(median: float) -> str:
        return "stable" if median >= 0.95 else ("fairly stable" if median >= 0.85 else "unstable")

    parts = [f"{row.factor} is {word(row.median)} (median congruence {row.median:.2f}, 90% of resamples "
             f"between {row.q05:.2f} and {row.q95:.2f})" for row in summary.itertuples()]
    return (f"Over {n_boot:,} bootstrap resamples of the models [@lorenzoseva2006tucker], "
            f"{join_and(parts)}.")


def duplicates_sentence(report: pd.DataFrame, n_models: int, tolerance_text: str) -> str:
    """How many models are near-duplicates (from :func:`evalcorr.stats.robustness.deduplicate_models`)."""
    if report.empty:
        return (f"No two of the {n_models:,} models have scores within {tolerance_text} of each other on every "
                "shared task.")
    groups = int(report["group"].nunique())
    dropped = int((~report["kept"]).sum())
    return (f"{plural(len(report), 'model')} fall into {plural(groups, 'group')} of near-duplicates (scores within "
            f"{tolerance_text} on every shared task); keeping one model per group removes {plural(dropped, 'model')}.")


def signatures_sentence(summary: pd.DataFrame, max_features: int, display: Mapping | Callable | None = None) -> str:
    """How well a few other tasks predict each task (from ``signature_summary``)."""
    ranked = summary.sort_values("cv_r2", ascending=False, kind="stable")
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    best_name, worst_name = _md([best["target"], worst["target"]], display)
    source = f", from {short_list(_md(best['selected'], display))}" if len(best["selected"]) else ""
    empty = int((summary["n_features"] == 0).sum())
    text = (f"With at most {max_features} other tasks each, the median task is predicted with a cross-validated "
            f"R² of {summary['cv_r2'].median():.2f}; {best_name} is predicted best "
            f"(R² = {best['cv_r2']:.2f}{source}) "
            f"and {worst_name} worst (R² = {worst['cv_r2']:.2f}).")
    if empty:
        text += (f" For {plural(empty, 'task')} no other task improves the prediction over the mean, so "
                 f"{'its' if empty == 1 else 'their'} signature is empty.")
    return text


def signature_rows(summary: pd.DataFrame, limit: int = TABLE_ROWS) -> pd.DataFrame:
    """The targets a signatures table shows: all of them up to ``limit``, else the ``limit // 2`` best
    and the ``limit // 2`` worst predicted (by cross-validated R², best first)."""
    ranked = summary.sort_values("cv_r2", ascending=False, kind="stable")
    if len(ranked) <= limit:
        return summary
    return pd.concat([ranked.head(limit // 2), ranked.tail(limit // 2)])


def signatures_table_note(summary: pd.DataFrame, limit: int = TABLE_ROWS) -> str:
    """What the signatures table shows, every task or the best and worst predicted of many (a clause for
    the page to end with its table reference)."""
    if len(summary) <= limit:
        return "The table below lists each task's signature in the order forward selection chose it"
    return (f"The table below lists the signatures of the {limit // 2} tasks predicted best and the {limit // 2} "
            f"predicted worst of the {len(summary):,}, each in the order forward selection chose it")


def signatures_markdown(summary: pd.DataFrame, display: Mapping | Callable | None = None,
                        limit: int = TABLE_ROWS) -> str:
    """Signatures as a Markdown table (rows of :func:`signature_rows`): task, selected tasks in order,
    CV R², models."""
    shown = signature_rows(summary, limit)
    table = pd.DataFrame({
        "Task": names(shown["target"], display),
        "Signature (in order of selection)": [", ".join(names(s, display)) or "none" for s in shown["selected"]],
        "Cross-validated R²": shown["cv_r2"].map("{:.2f}".format),
        "Models": shown["n"].map("{:,}".format),
    })
    return markdown_table(table, disable_numparse=True, colalign=("left", "left", "right", "right"))


def duplicates_markdown(report: pd.DataFrame, limit: int = TABLE_ROWS) -> str:
    """Near-duplicate groups (``deduplicate_models``'s report) as Markdown, at most ``limit`` rows."""
    if report.empty:
        return ""
    shown = report.head(limit)
    table = pd.DataFrame({
        "Group": (shown["group"] + 1).astype(int),
        "Model": shown["model"].astype(str),
        "Kept": shown["kept"].map({True: "kept", False: "dropped"}),
        "Tasks shared with the kept model": shown["n_shared"].astype(int),
        "Largest difference": shown["max_abs_diff"].map("{:.3f}".format),
    })
    more = (f"\n\n({len(report) - limit:,} more models in near-duplicate groups are not listed.)"
            if len(report) > limit else "")
    return markdown_table(table, disable_numparse=True, colalign=("right", "left", "left", "right", "right")) + more


def _change(what: str, before, after, fmt: str = "") -> str:
    """'moves the median correlation from 0.63 to 0.60', or 'leaves it at 0.63' when they read the same."""
    a, b = format(before, fmt), format(after, fmt)
    return f"leaves {what} at {a}" if a == b else f"moves {what} from {a} to {b}"


def deduplicated_effect(before: pd.Series, after: pd.Series, blocks_before, blocks_after) -> str:
    """What keeping one model per near-duplicate group changes: the median r and the number of blocks
    (``correlation_summary`` and ``find_blocks`` on the table with and without the duplicates)."""
    median = _change("the median correlation", before["median_r"], after["median_r"], ".2f")
    blocks = _change("the number of blocks", blocks_before.n_blocks, blocks_after.n_blocks)
    return f"Keeping one model per group {median} and {blocks}."
