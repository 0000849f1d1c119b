"""Verdict sentences follow the numbers they are given."""

import pandas as pd

from evalcorr.text.correlation_verdicts import lineage_verdict, subset_verdict


def frames(width, ratio, gap_low):
    summary = pd.DataFrame({"grouping": ["g"], "n_models": [1860], "median_width": [width], "width_ratio": [ratio],
                            "median_n_eff": [94.4]})
    statistics = pd.DataFrame({"grouping": ["g", "g"], "statistic": ["within - between", "PC1 share"],
                               "estimate": [0.12, 0.61], "ci_low": [gap_low, 0.54], "ci_high": [0.17, 0.68]})
    return summary, statistics


def test_lineage_verdict_follows_the_widening():
    wide = lineage_verdict(*frames(0.24, 4.4, 0.08), "g")
    assert "no longer negligible" in wide and "4.4 times" in wide and "about 94 independent" in wide
    assert "stays above zero (0.12, 95% interval [0.08, 0.17])" in wide and "61%" in wide
    narrow = lineage_verdict(*frames(0.06, 1.1, 0.08), "g")
    assert narrow.startswith("Sampling noise is not what limits this analysis")
    assert "not distinguishable from zero" in lineage_verdict(*frames(0.24, 4.4, -0.01), "g")


def test_subset_verdict_reads_the_percentile():
    base = {"observed": 0.54, "null_mean": 0.47, "size": 5}
    assert "They correlate with MATH more than almost any" in subset_verdict({**base, "p": 0.01, "percentile": 0.99}, "They", "MATH", "BBH tasks")
    middle = subset_verdict({**base, "p": 0.056, "percentile": 0.94}, "They", "MATH", "BBH tasks")
    assert "but not beyond what chance selection gives" in middle and "94% of the sets lie below" in middle
    assert "no more than" in subset_verdict({**base, "p": 0.4, "percentile": 0.6}, "They", "MATH", "BBH tasks")


def test_rank_verdict_names_the_direction_of_each_score():
    from evalcorr.text.correlation_verdicts import rank_verdict

    mixed = rank_verdict({"MATH": True, "GSM8K": False}, "Abstract Algebra")
    assert mixed.startswith("the answer is mixed") and "above the median subject with MATH but below it with GSM8K" in mixed
    assert "does not replicate" in rank_verdict({"MATH": True, "GSM8K": True}, "AA")
    assert "as the original observation says" in rank_verdict({"MATH": False, "GSM8K": False}, "AA")
