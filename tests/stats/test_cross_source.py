"""Correlations of every task of one source with another source's scores on the common models."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalcorr.errors import EvalcorrError
from evalcorr.stats.cross_source import correlations_with


def test_correlations_with_match_scipy_on_the_common_models():
    rng = np.random.default_rng(0)
    models = [f"m{i}" for i in range(60)]
    z = rng.normal(size=60)
    wide = pd.DataFrame({f"t{j}": z * j / 4 + rng.normal(size=60) for j in range(5)}, index=models)
    wide.iloc[3, 2] = np.nan
    external = pd.DataFrame({"x": z[10:]}, index=models[10:])   # only 50 models in common
    table = correlations_with(wide, external).set_index("task")
    for task in wide.columns:
        both = pd.concat([wide[task], external["x"]], axis=1).dropna()
        result = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1])
        assert table.loc[task, "n"] == len(both)
        assert table.loc[task, "r"] == pytest.approx(result.statistic, abs=1e-12)
        assert table.loc[task, "p"] == pytest.approx(result.pvalue, rel=1e-9)
        low, high = result.confidence_interval()
        assert (table.loc[task, "ci_low"], table.loc[task, "ci_high"]) == pytest.approx((low, high), abs=1e-12)
    # t4 carries the most of z, t0 none: ranks follow r.
    assert table.loc["t4", "rank"] == 1 and table.loc["t4", "rank_from_bottom"] == 5
    assert (table["n_tasks"] == 5).all()


def test_no_common_models_is_a_clear_error():
    wide = pd.DataFrame({"a": range(20), "b": range(20)}, index=[f"m{i}" for i in range(20)], dtype=float)
    with pytest.raises(EvalcorrError, match="share 0 models"):
        correlations_with(wide, pd.DataFrame({"x": range(20)}, index=[f"other{i}" for i in range(20)], dtype=float))
