"""The checks every public statistic applies to its models x tasks table: duplicated models and
infinite scores are errors naming what to fix, never silently counted."""

import numpy as np
import pandas as pd
import pytest
from tests._synthetic import latent_factor_matrix

from evalcorr.errors import EvalcorrError
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
from evalcorr.stats.inputs import has_family_structure, score_matrix
from evalcorr.stats.partial import partial_correlation_matrix
from evalcorr.stats.resampling import bootstrap_ci


@pytest.fixture(scope="module")
def wide():
    return latent_factor_matrix(n_models=50, seed=3)[0]


def test_duplicated_models_are_refused_not_counted_twice(wide):
    doubled = pd.concat([wide, wide])
    calls = [lambda: correlation_pairs(doubled), lambda: correlation_matrix(doubled),
             lambda: partial_correlation_matrix(doubled), lambda: bootstrap_ci(doubled, n_boot=100)]
    for call in calls:
        with pytest.raises(EvalcorrError, match=r"`wide` has duplicated model rows \(50 labels, e\.g\. 'model-0000'.*"
                                                r"drop or aggregate them first"):
            call()


def test_an_infinite_score_names_its_cell(wide):
    bad = wide.copy()
    bad.iloc[7, 2] = np.inf
    with pytest.raises(EvalcorrError, match=rf"`wide` holds an infinite score at model {bad.index[7]!r}, task "
                                            rf"{bad.columns[2]!r}.*use NaN for a missing score"):
        correlation_pairs(bad)
    with pytest.raises(EvalcorrError, match="infinite"):
        score_matrix(bad.astype(object))


def test_nan_is_missing_and_n_counts_only_the_finite_pairs(wide):
    holes = wide.copy()
    holes.iloc[:5, 0] = np.nan
    pairs = correlation_pairs(holes, min_periods=10)
    assert (pairs.loc[pairs["task_a"] == holes.columns[0], "n"] == 45).all()


def test_family_structure_needs_two_families_and_a_pair_within_one():
    assert has_family_structure(pd.Series({"a": "X", "b": "X", "c": "Y"}))
    assert has_family_structure(pd.DataFrame({"task": ["a", "b", "c"], "family": ["X", "X", "Y"]}))
    assert not has_family_structure(pd.Series({"a": "X", "b": "X"}))              # one family
    assert not has_family_structure(pd.Series({"a": "X", "b": "Y", "c": "Z"}))   # every task alone
    assert not has_family_structure(None)
