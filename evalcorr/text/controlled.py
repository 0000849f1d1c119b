"""Verdict sentences of the controlled experiment, chosen from the numbers its statistics computed.

Every function takes tables of :mod:`evalcorr.stats.seeded_transfer` (or the experiment's own sanity
summary) and returns a sentence whose wording follows stated rules: a claim is made only where a 95%
interval lies on one side of 0, and the numbers behind it are printed with their intervals.

>>> import pandas as pd
>>> contrast = pd.DataFrame({"model": ["s", "l"], "difference": [0.59, 0.63], "ci_low": [0.52, 0.58],
...                          "ci_high": [0.63, 0.65], "favours": ["shared primitives"] * 2})
>>> truth_sentence(contrast, {"s": "small", "l": "large"})[:62]
'At every size the transfer similarity follows the shared primit'
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from evalcorr.text.lists import join_and
from evalcorr.text.numbers import percent, with_interval

# The acceptance checks the issue asks for: how a sentence says each passed, and failed.
CHECKS = {"own_task_after_A": ("every task reaches {bar}% after training on it",
                               "not every task reaches {bar}% after training on it"),
          "copy_transfers": ("the copy control transfers", "the copy control does not transfer fully"),
          "shuffled_does_not_help": ("the shuffled control helps no task", "the shuffled control helps some task")}


def sanity_sentence(summary: pd.DataFrame, checks: pd.DataFrame, model: str, display: str) -> str:
    """Whether the acceptance checks pass at one size, with the worst value of each.

    ``summary`` is the experiment's sanity summary (model, check, n, passed, worst), ``checks`` its
    per-subject table (for the thresholds). Checks other than those of :data:`CHECKS` are left to
    their own sentences.
    """
    rows = summary[(summary["model"] == model) & summary["check"].isin(list(CHECKS))].set_index("check")
    if rows.empty:
        raise ValueError(f"no acceptance check of model {model!r} in the summary")
    threshold = checks[(checks["model"] == model) & (checks["check"] == "own_task_after_A")]["threshold"]
    bar = percent(float(threshold.iloc[0])) if len(threshold) else "90"
    passed, failed = [], []
    for check, (good, bad) in CHECKS.items():
        if check not in rows.index:
            continue
        row = rows.loc[check]
        n, k = int(row["n"]), int(row["passed"])
        if check == "own_task_after_A":
            detail = f"{k} of {n} tasks; the lowest {percent(row['worst'], 1)}%"
        elif check == "copy_transfers":
            detail = f"{k} of {n} directions; the lowest {percent(row['worst'], 1)}%"
        else:
            detail = f"{k} of {n} tasks; its largest improvement {percent(row['worst'], 1)} points"
        if k == n:
            passed.append(f"{good.format(bar=bar)} ({detail})")
        else:
            failed.append(f"{bad.format(bar=bar)} ({detail})")
    if not failed:
        return f"At {display} every acceptance check passes: {join_and(passed)}."
    rest = f"; {join_and(passed)}" if passed else ""
    return f"At {display} {'a check fails' if len(failed) == 1 else 'checks fail'}: {join_and(failed)}{rest}."


def truth_sentence(contrast: pd.DataFrame, display: Mapping[str, str]) -> str:
    """Whether transfer similarity follows the shared primitives or the surfaces, size by size.

    ``contrast`` is :func:`evalcorr.stats.seeded_transfer.agreement_contrast` (Mantel r with the
    primitives minus r with the surfaces, with its interval and ``favours``).
    """
    verdicts = contrast.set_index("model")["favours"]
    numbers = join_and([f"{with_interval(r.difference, r.ci_low, r.ci_high, '+.2f')} at {display.get(m, m)}"
                        for m, r in contrast.set_index("model").iterrows()])
    if (verdicts == "shared primitives").all():
        return ("At every size the transfer similarity follows the shared primitives more than the surface "
                f"resemblance: the Mantel correlation with the shared primitives exceeds that with the same "
                f"surface by {numbers}, every interval above 0.")
    if (verdicts == "same surface").all():
        return ("At every size the transfer similarity follows the surface resemblance more than the shared "
                f"primitives: the Mantel correlation with the shared primitives minus that with the same surface "
                f"is {numbers}, every interval below 0.")
    by = {v: [display.get(m, m) for m in verdicts.index[verdicts == v]] for v in pd.unique(verdicts)}
    parts = [f"the shared primitives at {join_and(by['shared primitives'])}" if "shared primitives" in by else "",
             f"the surface at {join_and(by['same surface'])}" if "same surface" in by else "",
             f"neither beyond noise at {join_and(by['within noise'])}" if "within noise" in by else ""]
    return (f"Which the transfer similarity follows depends on the size: {join_and([p for p in parts if p])} "
            f"(Mantel correlation with the primitives minus that with the surfaces: {numbers}).")


def category_sentence(contrast: pd.DataFrame, display: Mapping[str, str]) -> str:
    """Whether pairs that share a primitive but look different transfer more than look-alike pairs
    that share nothing, size by size (points, with intervals).

    ``contrast`` is :func:`evalcorr.stats.seeded_transfer.category_contrast` of those two categories
    (first minus second) on the pp view.
    """
    rows = contrast.set_index("model")
    numbers = join_and([f"{with_interval(r.difference, r.ci_low, r.ci_high, scale=100)} points at {display.get(m, m)}"
                        for m, r in rows.iterrows()])
    above, below = rows["ci_low"] > 0, rows["ci_high"] < 0
    if above.all():
        return (f"At every size, pairs that share a primitive but look different transfer more than pairs that "
                f"look alike and share nothing, by {numbers}.")
    if below.all():
        return (f"At every size, look-alike pairs that share nothing transfer more than pairs that share a "
                f"primitive but look different: the difference is {numbers}.")
    sizes_above = [display.get(m, m) for m in rows.index[above]]
    return (f"Pairs that share a primitive but look different transfer more than look-alike pairs that share "
            f"nothing beyond noise at {join_and(sizes_above) or 'no size'} (differences {numbers}).")


def half_width_sentence(counts: pd.DataFrame, display: Mapping[str, str], target: float) -> str:
    """How many cells meet the interval target at each size.

    ``counts``: model, n_cells, n_met (cells whose 95% half-width is at most ``target``).
    """
    if (counts["n_met"] == counts["n_cells"]).all():
        parts = [f"{int(r.n_cells)} at {display.get(r.model, r.model)}" for r in counts.itertuples()]
        return f"Every cell meets the target half-width of {percent(target)} points ({join_and(parts)})."
    parts = [f"{int(r.n_met)} of the {int(r.n_cells)} cells at {display.get(r.model, r.model)}"
             for r in counts.itertuples()]
    return f"The target half-width of {percent(target)} points is met by {join_and(parts)}; the others are wider."


def controls_rows(copies: pd.DataFrame, shuffled: pd.DataFrame, display: Mapping[str, str]) -> pd.DataFrame:
    """The controls' table as the chapter prints it: control (with the size), improvement (points, intervals).

    ``copies`` and ``shuffled`` are :func:`evalcorr.stats.seeded_transfer.control_effects`.
    """
    rows = [{"control (size)": f"{display.get(r.train_task, r.train_task)} → {display.get(r.eval_task, r.eval_task)} ({r.model})",
             "improvement (points)": with_interval(r.value, r.ci_low, r.ci_high, scale=100)} for r in copies.itertuples()]
    rows += [{"control (size)": f"{display.get(r.control, r.control)} → each of {r.n_tasks} other tasks ({r.model})",
              "improvement (points)": f"mean {100 * r.mean:+.1f}, from {100 * r.lowest:+.1f} to {100 * r.highest:+.1f}; "
                                      f"{r.n_hurt} below 0 and {r.n_helped} above 0 beyond noise"}
             for r in shuffled.itertuples()]
    return pd.DataFrame(rows)


def groups_sentence(groups: Mapping[str, pd.Series], display: Mapping[str, str]) -> str:
    """The groups of mutual transfer at each size; sizes with the same groups are named together."""
    from evalcorr.text.lists import brace_groups

    def canonical(labels: pd.Series) -> frozenset:
        return frozenset(frozenset(group.index) for _, group in labels.groupby(labels))

    alike: dict[frozenset, list[str]] = {}
    for size, labels in groups.items():
        alike.setdefault(canonical(labels), []).append(size)
    if len(alike) == 1:
        return f"At every size the groups are {brace_groups(next(iter(groups.values())), display)}."
    parts = [f"at {join_and(sizes)}, {brace_groups(groups[sizes[0]], display)}" for sizes in alike.values()]
    return "The groups differ between sizes: " + "; ".join(parts) + "."


# How the chapter names the stages of the experiment's run (run.yaml, seconds_by_stage).
STAGE_NAMES = {"pretrain": "pretraining", "untuned": "scoring the base models", "finetune_A": "fine-tuning on A",
               "after_A_scores": "scoring after A", "few_B": "a few of B (baseline and after A), scored"}


def size_comparison_rows(head: pd.DataFrame, display: Mapping[str, str]) -> pd.DataFrame:
    """:func:`evalcorr.stats.seeded_transfer.size_comparison` as the chapter shows it: one row per pair of
    sizes and scale (:func:`evalcorr.text.verdicts.headline_rows` without the medians, with columns named
    for any pair)."""
    from evalcorr.text.verdicts import headline_rows

    parts = []
    for (a, b), rows in head.groupby(["model_a", "model_b"], sort=False):
        shown = headline_rows(rows, display).drop(columns="medians")
        shown.columns = ["scale", "smaller", "larger", "smaller minus larger", "more transfer"]
        parts.append(shown.assign(sizes=f"{display.get(a, a)} vs {display.get(b, b)}"))
    table = pd.concat(parts, ignore_index=True)
    return table[["sizes", *table.columns[:-1]]]


def size_verdicts(head: pd.DataFrame, display: Mapping[str, str]) -> str:
    """The headline verdicts (:func:`evalcorr.text.verdicts.headline_sentence`) of every pair of sizes in
    ``head`` (:func:`evalcorr.stats.seeded_transfer.size_comparison`), led by the pair, the last pair
    first; pairs with the same smaller size and the same verdict share one sentence
    ("For ct-s against ct-l and against ct-m, neither ...")."""
    from evalcorr.text.verdicts import headline_sentence

    pairs = head[["model_a", "model_b"]].drop_duplicates().iloc[::-1]
    groups: dict[tuple[str, str], list[str]] = {}
    for a, b in pairs.itertuples(index=False):
        sentence = headline_sentence(head[(head["model_a"] == a) & (head["model_b"] == b)], display)
        groups.setdefault((a, sentence), []).append(display.get(b, b))
    return " ".join(f"For {display.get(a, a)} against {' and against '.join(others)}, {sentence[0].lower()}{sentence[1:]}"
                    for (a, sentence), others in groups.items())
