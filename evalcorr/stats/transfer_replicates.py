"""Intervals where a transfer source releases replicates: base models (massive-sft), seeds and
settings (TaskWeb).

massive-sft runs every SFT dataset on several base models, each once. The mean effect of a dataset on
a benchmark over base models gets a t interval over the models: it says how much the mean would move
with other base models of the same kind, not how noisy one run is (no run is repeated).

TaskWeb releases, for each (source, target) pair and setting, the mean relative change over 8 seeds
(``pct_change``) and the share of those seeds with a positive change (``share_positive_seeds``), but
neither the per-seed changes nor the target-only baselines they were computed against. So a per-seed
interval of the change cannot be rebuilt. What the release supports:

- the sign test of each (pair, setting): k of 8 seeds positive against the 50% expected if the source
  made no difference (two-sided binomial test; with 8 seeds only 0/8 and 8/8 reach p < 0.05);
- a t interval over the 7 settings for the averaged (``ALL``) matrix, whose cells are the means of
  the settings' cells: it says how much the average depends on which models and adaptation methods
  were chosen, which for TaskWeb is the larger source of variation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evalcorr.errors import EvalcorrError


def t_interval(values, ci: float = 0.95) -> tuple[float, float, float, int]:
    """Mean of ``values`` (NaN dropped) with its Student t interval.

    Returns
    -------
    (mean, low, high, n); the interval is NaN with fewer than 2 values.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, np.nan, np.nan, n
    half = float(stats.t.ppf(0.5 + ci / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def _interval_table(groups, ci: float) -> pd.DataFrame:
    rows = []
    for key, values in groups:
        mean, low, high, n = t_interval(values, ci)
        rows.append({**key, "n": n, "mean": mean, "ci_low": low, "ci_high": high})
    out = pd.DataFrame(rows)
    out["includes_zero"] = ~((out["ci_low"] > 0) | (out["ci_high"] < 0))
    return out


def effect_intervals(effects: pd.DataFrame, exclude=(), ci: float = 0.95) -> pd.DataFrame:
    """Mean effect of each SFT dataset on each benchmark over base models, with a t interval.

    Parameters
    ----------
    effects : DataFrame
        :func:`evalcorr.stats.transfer.sft_effects` (one configuration; filter to one scale first).
    exclude : sequence of str
        Base models left out (e.g. :func:`evalcorr.stats.transfer.duplicated_baselines`).

    Returns
    -------
    Tidy DataFrame: train_task, eval_task, n (base models), mean, ci_low, ci_high, includes_zero
    (the interval contains 0, or there are fewer than 2 models).
    """
    rows = effects[~effects["model"].isin(list(exclude))]
    groups = (({"train_task": d, "eval_task": b}, part["effect"])
              for (d, b), part in rows.groupby(["train_task", "eval_task"], sort=False))
    return _interval_table(groups, ci)


def dataset_intervals(effects: pd.DataFrame, exclude=(), ci: float = 0.95) -> pd.DataFrame:
    """Mean effect of each SFT dataset over benchmarks, with a t interval over base models.

    Each base model's effects are first averaged over the benchmarks, so a model counts once.

    Returns
    -------
    Tidy DataFrame: train_task, n (base models), mean, ci_low, ci_high, includes_zero; sorted by mean.
    """
    rows = effects[~effects["model"].isin(list(exclude))]
    per_model = rows.groupby(["train_task", "model"], sort=False)["effect"].mean().reset_index()
    groups = (({"train_task": d}, part["effect"]) for d, part in per_model.groupby("train_task", sort=False))
    return _interval_table(groups, ci).sort_values("mean").reset_index(drop=True)


def seed_signs(df: pd.DataFrame, source: str = "taskweb", n_seeds: int = 8) -> pd.DataFrame:
    """TaskWeb's share of positive seeds of every (pair, setting) as a count with its sign test.

    Parameters
    ----------
    df : DataFrame
        ``evalcorr.load_transfer("taskweb")``.
    n_seeds : int
        Seeds per setting (8 in TaskWeb; the configs list seeds 10 to 42).

    Returns
    -------
    Tidy DataFrame, one row per (setting, train_task, eval_task) of the single settings (``ALL``
    excluded): setting, train_task, eval_task, pct_change, n_seeds, k_positive, share_positive,
    p_sign (two-sided binomial test of k_positive against n_seeds / 2), direction ("positive" or
    "negative" when p_sign < 0.05, else "within noise").
    """
    rows = df[(df["source"] == source) & (df["setting"] != "ALL")]
    wide = rows.pivot_table(index=["setting", "train_task", "eval_task"], columns="metric", values="value",
                            aggfunc="first").reset_index()
    missing = {"pct_change", "share_positive_seeds"} - set(wide.columns)
    if missing:
        raise EvalcorrError(f"{source}: the frame lacks metric(s) {sorted(missing)}; load it with "
                            f"evalcorr.load_transfer({source!r})")
    k = wide["share_positive_seeds"] * n_seeds
    if not np.allclose(k, np.round(k), atol=1e-9):
        raise EvalcorrError(f"{source}: shares of positive seeds are not multiples of 1/{n_seeds}; "
                            "pass the right n_seeds")
    k = np.round(k).astype(int)
    p_of = {x: stats.binomtest(int(x), n_seeds, 0.5).pvalue for x in np.unique(k)}   # k takes n_seeds + 1 values
    p = np.array([p_of[x] for x in k])
    direction = np.where(p < 0.05, np.where(k > n_seeds / 2, "positive", "negative"), "within noise")
    return pd.DataFrame({"setting": wide["setting"], "train_task": wide["train_task"],
                         "eval_task": wide["eval_task"], "pct_change": wide["pct_change"], "n_seeds": n_seeds,
                         "k_positive": k, "share_positive": k / n_seeds, "p_sign": p, "direction": direction})


def setting_intervals(df: pd.DataFrame, source: str = "taskweb", metric: str = "pct_change",
                      ci: float = 0.95) -> pd.DataFrame:
    """Mean transfer of each (source, target) pair over TaskWeb's settings, with a t interval.

    Returns
    -------
    Tidy DataFrame: train_task, eval_task, n (settings), mean (equal to the released ``ALL`` cell),
    ci_low, ci_high, includes_zero.
    """
    rows = df[(df["source"] == source) & (df["setting"] != "ALL") & (df["metric"] == metric)]
    if rows.empty:
        raise EvalcorrError(f"no {source} rows of metric {metric!r} outside the ALL average")
    groups = (({"train_task": s, "eval_task": t}, part["value"])
              for (s, t), part in rows.groupby(["train_task", "eval_task"], sort=False))
    return _interval_table(groups, ci)


def conflicting_pairs(signs: pd.DataFrame) -> pd.DataFrame:
    """Pairs that transfer positively on every seed in one setting and negatively on every seed in another.

    ``signs`` is :func:`seed_signs`. Returns the pairs (train_task, eval_task) with the settings of
    each direction (columns positive, negative: lists of settings).
    """
    called = signs[signs["direction"] != "within noise"]
    rows = []
    for (source, target), part in called.groupby(["train_task", "eval_task"], sort=False):
        up = list(part.loc[part["direction"] == "positive", "setting"])
        down = list(part.loc[part["direction"] == "negative", "setting"])
        if up and down:
            rows.append({"train_task": source, "eval_task": target, "positive": up, "negative": down})
    return pd.DataFrame(rows, columns=["train_task", "eval_task", "positive", "negative"])
