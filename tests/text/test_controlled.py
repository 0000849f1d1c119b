"""Verdict sentences of the controlled experiment (evalcorr.text.controlled): each branch follows the numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from evalcorr.text import controlled as tc

SIZES = {"s": "small", "l": "large"}


def _summary(own_passed=9):
    return pd.DataFrame([
        {"model": "s", "check": "own_task_after_A", "n": 9, "passed": own_passed, "worst": 0.874},
        {"model": "s", "check": "copy_transfers", "n": 2, "passed": 2, "worst": 0.991},
        {"model": "s", "check": "shuffled_does_not_help", "n": 9, "passed": 9, "worst": -0.024},
        {"model": "s", "check": "interval_half_width", "n": 100, "passed": 45, "worst": 0.19},
    ])


CHECKS = pd.DataFrame([{"model": "s", "check": "own_task_after_A", "threshold": 0.9}])


def test_sanity_sentence_passes_and_fails():
    text = tc.sanity_sentence(_summary(), CHECKS, "s", "the small size")
    assert text.startswith("At the small size every acceptance check passes: every task reaches 90% after training")
    assert "the lowest 87.4%" in text and "its largest improvement -2.4 points" in text and "half" not in text
    failed = tc.sanity_sentence(_summary(own_passed=8), CHECKS, "s", "s")
    assert failed.startswith("At s a check fails: not every task reaches 90% after training on it (8 of 9 tasks")
    with pytest.raises(ValueError, match="no acceptance check"):
        tc.sanity_sentence(_summary(), CHECKS, "l", "l")


def _contrast(favours, low, high):
    return pd.DataFrame({"model": ["s", "l"], "difference": [0.5, 0.6], "ci_low": low, "ci_high": high,
                         "favours": favours})


def test_truth_sentence_branches():
    both = tc.truth_sentence(_contrast(["shared primitives"] * 2, [0.4, 0.5], [0.6, 0.7]), SIZES)
    assert both.startswith("At every size the transfer similarity follows the shared primitives")
    assert "+0.50 [+0.40, +0.60] at small and +0.60 [+0.50, +0.70] at large" in both
    surface = tc.truth_sentence(_contrast(["same surface"] * 2, [-0.6, -0.7], [-0.4, -0.5]), SIZES)
    assert surface.startswith("At every size the transfer similarity follows the surface resemblance")
    mixed = tc.truth_sentence(_contrast(["shared primitives", "within noise"], [0.4, -0.1], [0.6, 0.2]), SIZES)
    assert mixed.startswith("Which the transfer similarity follows depends on the size: the shared primitives at "
                            "small and neither beyond noise at large")


def test_category_sentence_branches():
    rows = lambda low, high: pd.DataFrame({"model": ["s", "l"], "difference": [0.14, 0.12], "ci_low": low,
                                           "ci_high": high})
    assert tc.category_sentence(rows([0.1, 0.08], [0.18, 0.16]), SIZES).startswith(
        "At every size, pairs that share a primitive but look different transfer more")
    assert "+14.0 [+10.0, +18.0] points at small" in tc.category_sentence(rows([0.1, 0.08], [0.18, 0.16]), SIZES)
    assert tc.category_sentence(rows([-0.2, -0.3], [-0.1, -0.1]), SIZES).startswith(
        "At every size, look-alike pairs that share nothing transfer more")
    assert "beyond noise at small (" in tc.category_sentence(rows([0.1, -0.01], [0.18, 0.2]), SIZES)
    assert "beyond noise at no size" in tc.category_sentence(rows([-0.1, -0.01], [0.18, 0.2]), SIZES)


def test_half_width_groups_and_controls():
    counts = pd.DataFrame({"model": ["s", "l"], "n_cells": [100, 100], "n_met": [62, 46]})
    assert tc.half_width_sentence(counts, SIZES, 0.03) == (
        "The target half-width of 3 points is met by 62 of the 100 cells at small and 46 of the 100 cells at large; "
        "the others are wider.")
    assert tc.half_width_sentence(counts.assign(n_met=100), SIZES, 0.03) == (
        "Every cell meets the target half-width of 3 points (100 at small and 100 at large).")
    same = pd.Series([1, 1, 2], index=["a", "b", "c"])
    assert tc.groups_sentence({"s": same, "l": same.map({1: 5, 2: 6})}, {}) == "At every size the groups are {a, b}; {c}."
    differ = tc.groups_sentence({"s": same, "m": pd.Series([1, 2, 3], index=["a", "b", "c"]), "l": same}, {})
    assert differ == "The groups differ between sizes: at s and l, {a, b}; {c}; at m, {a}; {b}; {c}."
    copies = pd.DataFrame([{"model": "s", "train_task": "a", "eval_task": "a_copy", "value": 0.95, "ci_low": 0.9,
                            "ci_high": 0.99}])
    shuffled = pd.DataFrame([{"model": "s", "control": "b_sh", "n_tasks": 9, "mean": -0.024, "lowest": -0.074,
                              "highest": 0.008, "n_hurt": 5, "n_helped": 0}])
    rows = tc.controls_rows(copies, shuffled, {"a_copy": "a copy"})
    assert rows["control (size)"].tolist() == ["a → a copy (s)", "b_sh → each of 9 other tasks (s)"]
    assert rows.iloc[0, 1] == "+95.0 [+90.0, +99.0]"
    assert rows.iloc[1, 1] == "mean -2.4, from -7.4 to +0.8; 5 below 0 and 0 above 0 beyond noise"


def test_size_rows_and_verdict():
    head = pd.DataFrame([{"view": v, "model_a": "s", "model_b": "l", "mean_a": 0.01, "low_a": -0.02, "high_a": 0.1,
                          "mean_b": 0.02, "low_b": -0.03, "high_b": 0.12, "difference": -0.01,
                          "difference_low": -0.05, "difference_high": 0.03, "median_a": -0.01, "median_b": -0.02,
                          "favours": "within noise"} for v in ("pp", "logodds")])
    rows = tc.size_comparison_rows(head, SIZES)
    assert list(rows.columns) == ["sizes", "scale", "smaller", "larger", "smaller minus larger", "more transfer"]
    assert rows["sizes"].tolist() == ["small vs large"] * 2 and rows.loc[0, "smaller"] == "+1.0 [-2.0, +10.0]"
    assert tc.size_verdicts(head, SIZES) == ("For small against large, neither model transfers more beyond noise: "
                                             "on every scale the 95% interval of the difference includes 0.")
    # a second pair with the same verdict shares the sentence; one with another verdict gets its own
    middle = head.assign(model_b="m")
    both = tc.size_verdicts(pd.concat([middle, head]), {**SIZES, "m": "middle"})
    assert both.startswith("For small against large and against middle, neither model") and both.count("For ") == 1
    wins = middle.assign(difference=0.08, difference_low=0.02, difference_high=0.12, favours="s")
    apart = tc.size_verdicts(pd.concat([wins, head]), {**SIZES, "m": "middle"})
    assert apart.count("For small against") == 2 and apart.index("against large") < apart.index("against middle")
