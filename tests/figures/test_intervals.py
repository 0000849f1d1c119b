"""The interval figure: every pair's r with its interval, sorted, within-family pairs marked."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evalcorr.errors import EvalcorrError  # noqa: E402
from evalcorr.figures.intervals import interval_caterpillar  # noqa: E402


def pairs_table(n=30, families=True, seed=0):
    rng = np.random.default_rng(seed)
    r = rng.uniform(-0.2, 0.9, n)
    table = pd.DataFrame({"task_a": [f"a{i}" for i in range(n)], "task_b": [f"b{i}" for i in range(n)],
                          "r": r, "ci_low": r - 0.1, "ci_high": r + 0.1})
    if families:
        table["same_family"] = pd.array(np.arange(n) % 3 == 0, dtype="boolean")
    return table


def test_curve_is_sorted_r_and_band_is_the_interval():
    pairs = pairs_table()
    pairs.loc[4, "r"] = np.nan
    fig = interval_caterpillar(pairs)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    expected = np.sort(pairs["r"].dropna().to_numpy())
    np.testing.assert_allclose(line.get_ydata(), expected)
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(expected.min() - 0.1) and band.max() == pytest.approx(expected.max() + 0.1)
    within, across = ax.collections[1], ax.collections[2]
    n_within = int(pairs.loc[pairs["r"].notna(), "same_family"].sum())
    assert len(within.get_offsets()) == n_within and len(across.get_offsets()) == len(expected) - n_within
    plt.close(fig)


def test_without_families_only_the_curve_and_band():
    fig = interval_caterpillar(pairs_table(families=False))
    assert len(fig.axes[0].collections) == 1
    plt.close(fig)


def test_needs_intervals():
    with pytest.raises(EvalcorrError, match="ci_low"):
        interval_caterpillar(pairs_table().drop(columns=["ci_low"]))
