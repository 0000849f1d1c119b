"""Recovery sentences: each wording follows the rule its function states."""

import pandas as pd
import pytest

from evalcorr.text import recovery as say


def _table(plain=(0.55, 0.40, 0.70, 0.50, 0.30), pc1=(0.80, 0.70, 0.90, 0.50, 0.001)):
    rows = []
    for method, (estimate, low, high, chance, p) in (("correlation", plain), ("partial: PC1", pc1)):
        rows.append({"method": method, "score": "pair AUC", "estimate": estimate, "ci_low": low, "ci_high": high,
                     "null_mean": chance, "null_q95": chance + 0.2, "p": p})
    return pd.DataFrame(rows)


def test_beats_chance_needs_both_the_p_value_and_the_interval():
    assert say.beats_chance({"p": 0.01, "ci_low": 0.6, "null_mean": 0.5})
    assert not say.beats_chance({"p": 0.01, "ci_low": 0.45, "null_mean": 0.5})
    assert not say.beats_chance({"p": 0.2, "ci_low": 0.6, "null_mean": 0.5})


def test_plain_versus_partial_cases():
    text = say.plain_versus_partial(_table())
    assert "not distinguishable from chance" in text and "under PC1 beat chance" in text
    assert "removing a common factor" in text
    assert "above chance: it recovers" in say.plain_versus_partial(_table(plain=(0.8, 0.7, 0.9, 0.5, 0.001)))
    neither = say.plain_versus_partial(_table(pc1=(0.55, 0.4, 0.7, 0.5, 0.3)))
    assert "no partial correlation beats it either" in neither
    assert say.best_method(_table()) == "partial: PC1"
    assert say.best_method(_table(pc1=(0.55, 0.4, 0.7, 0.5, 0.3))) is None


def test_block_and_contamination_verdicts_follow_the_paired_interval():
    recovery = {"independent": _table(), "co-training": _table(pc1=(0.55, 0.4, 0.7, 0.5, 0.3))}
    made = {"estimate": 0.2, "ci_low": 0.1, "ci_high": 0.3}
    none = {"estimate": 0.01, "ci_low": -0.05, "ci_high": 0.07}
    unclear = {"estimate": 0.1, "ci_low": -0.02, "ci_high": 0.2}
    assert "co-training alone makes" in say.block_verdict(made)
    assert "no block of its own" in say.block_verdict(none)
    assert "cannot tell from noise" in say.block_verdict(unclear)
    text = say.contamination_verdict(made, recovery)
    assert text.startswith("In this world the contamination hypothesis holds")
    assert "(the partial correlations under PC1)" in text and "0.80 in the independent regime (above chance)" in text
    assert "0.55 in the co-training regime (not distinguishable from chance)" in text
    assert "finds no support" in say.contamination_verdict(none, recovery)
    assert "cannot tell" in say.contamination_verdict(unclear, recovery)
    nothing = {"independent": _table(pc1=(0.55, 0.4, 0.7, 0.5, 0.3))}
    assert "No method recovers" in say.contamination_verdict(made, nothing)


def test_drivers_verdict_names_the_larger_r2():
    drivers = pd.DataFrame({"predictors": ["log10 parameters", "log10 fine-tuning steps",
                                           "log10 parameters + log10 fine-tuning steps"],
                            "r2": [0.1, 0.6, 0.7], "n": 100, "pc1_share": 0.5})
    assert say.drivers_verdict(drivers) == ("the common factor follows compute (fine-tuning steps) more than the "
                                            "other, and the two together explain most of it (R² 0.70)")
    swapped = drivers.assign(r2=[0.3, 0.1, 0.35])
    assert "follows size (parameters)" in say.drivers_verdict(swapped) and "less than half" in say.drivers_verdict(swapped)


def test_budget_run_note_steps_and_mantel():
    assert say.budget_sentence(2280) == "38 minutes of wall time, within the 60 minutes the design allows"
    assert "over the 60" in say.budget_sentence(3700)
    assert "resumed" in say.run_note({"seconds_total": {"wall": 3000}, "this_process_seconds": 900})
    assert say.run_note({"seconds_total": {"wall": 3000}, "this_process_seconds": 3050}) == "the run went through in one process"
    effect = pd.DataFrame({"task": ["a", "b"], "n": 10, "low_steps": 25, "high_steps": 200, "mean_low": [0.1, 0.5],
                           "mean_high": [0.6, 0.5], "rho": [0.7, 0.01], "p": [0.001, 0.9]})
    text = say.steps_sentence(effect, {"b": "task B"})
    assert "on 1 of the 2 tasks" in text and "from 0.10 to 0.50 after 25 steps and from 0.50 to 0.60 after 200" in text
    assert text.endswith("do not rise with steps on task B")
    agreement = pd.DataFrame({"population": ["independent"] * 2 + ["co-training"] * 2, "transfer": ["s", "l"] * 2,
                              "n_tasks": 8, "r": [0.5, 0.6, 0.1, 0.2], "p": [0.01, 0.02, 0.3, 0.04]})
    assert say.mantel_verdict(agreement) == ("the agreement is significant (p < 0.05) for 2 of 2 sizes in the "
                                             "independent regime (r from 0.50 to 0.60) and 1 of 2 sizes in the "
                                             "co-training regime (r from 0.10 to 0.20)")


def test_coverage_verdict_per_kind_of_interval():
    def summary(naive_high, lineage_high):
        return pd.DataFrame({"grouping": ["models (naive)", "base model"], "ci_high": [naive_high, lineage_high],
                             "attainable": 0.9})
    text = say.coverage_verdict({"independent": summary(0.8, 0.93), "co-training": summary(0.95, 0.92)})
    assert text == ("the base model intervals covered the truth about as often as a correct interval would in every "
                    "regime; the models (naive) intervals covered the truth about as often as a correct interval "
                    "would in the co-training regime and fell short in the independent regime")
    assert "fell short of a correct interval's coverage in every regime" in say.coverage_verdict(
        {"independent": summary(0.8, 0.8)})


def test_method_names():
    assert say.method_names([]) == "no method"
    assert say.method_names(["partial: PC1", "factors: 3 (one per primitive)"]) == (
        "the partial correlations under PC1 and the 3-factor solution (one per primitive)")


def test_regimes_above_chance_and_the_display_table():
    weak = _table(pc1=(0.55, 0.4, 0.7, 0.5, 0.3))
    assert say.regimes_above_chance({"a": _table(), "b": _table()}, "pair AUC", "the pairs") == (
        "the pairs beat chance for the partial correlations under PC1 in every regime")
    assert say.regimes_above_chance({"a": weak, "b": weak}, "pair AUC", "the pairs") == (
        "the pairs beat chance for no method in any regime")
    assert say.regimes_above_chance({"a": _table(), "b": weak}, "pair AUC", "the pairs") == (
        "the pairs beat chance for the partial correlations under PC1 in the a regime and no method in the b regime")
    shown = say.recovery_display({"a": _table(), "b": weak})
    assert list(shown.columns) == ["method", "score", "regime", "estimate [95% interval]", "chance", "p"]
    assert shown["regime"].tolist() == ["a", "b", "a", "b"] and shown["method"].tolist()[2:] == ["partial: PC1"] * 2
    assert shown.loc[2, "estimate [95% interval]"] == "0.80 [0.70, 0.90]" and shown.loc[3, "p"] == "0.300"


def test_coverage_sentence_gives_the_attainable_share():
    summary = pd.DataFrame({"grouping": ["models (naive)", "base model"], "coverage": [0.79, 0.85],
                            "attainable": [0.87, 0.86]})
    assert say.coverage_sentence(summary) == ("79% of the models (naive) intervals and 85% of the base model intervals "
                                              "(correct intervals of the same widths would reach 87% and 86%)")
