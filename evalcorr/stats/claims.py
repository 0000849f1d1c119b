"""The claims of the original transfer post, checked against the released numbers.

"Transfer learning and generalization-qua-capability in Babbage and Davinci" (RP & agg, LessWrong,
2024) made qualitative claims from its percentage-point heatmaps. :func:`check_claims` recomputes each
one from the tidy transfer frame and returns a tidy table: the claim, the model and metric it is
checked on, the two numbers compared, whether it holds, and a sentence stating the result.

Operational definitions (the post gives none):

- "A helps B more than C helps D": pp(A->B) > pp(C->D) on the released percentage-point sheet.
- "A helps B while B does not help A": pp(A->B) > 0 and pp(B->A) <= 0.
- "nearly everything helps faith": at least all but one of the other seven tasks have pp(A->faith) > 0.
- "more asymmetries in Babbage": more unordered pairs with |pp(A->B) - pp(B->A)| > ``threshold``
  (default 0.05, i.e. 5 percentage points) in Babbage than in Davinci.
- "Babbage transfers more than Davinci": the mean off-diagonal improvement is larger for Babbage,
  once in percentage points and once in relative improvement.
"""

from __future__ import annotations

import pandas as pd

from evalcorr.stats.transfer import count_asymmetries, mean_transfer, transfer_matrix

SOURCE = "transfer-scaling"
MODELS = {"babbage-002": "Babbage", "davinci-002": "Davinci"}
ASYMMETRY_THRESHOLD = 0.05
DISPLAY = {
    "addition": "addition", "subtraction": "subtraction", "spanish": "Spanish translation",
    "division": "division", "math_expressions": "math expressions",
    "multiplication_2x1": "multiplication (2x1)", "faith": "faith", "science": "science",
}


def _name(task: str) -> str:
    return DISPLAY.get(task, task)


def _pp(value: float) -> str:
    """A fraction as signed percentage points."""
    return f"{100 * value:+.0f} pp" if round(100 * value, 6).is_integer() else f"{100 * value:+.1f} pp"


def _row(claim, model, metric, numbers, value_a, value_b, holds, sentence):
    return {"claim": claim, "model": model, "metric": metric, "numbers": numbers,
            "value_a": float(value_a), "value_b": float(value_b), "holds": bool(holds),
            "sentence": sentence}


def _compare(claim, model, pp, a, b, c, d):
    """Claim: A->B helps more than C->D (in percentage points)."""
    x, y = pp.at[a, b], pp.at[c, d]
    holds = x > y
    numbers = f"{_name(a)}->{_name(b)} {_pp(x)}; {_name(c)}->{_name(d)} {_pp(y)}"
    verdict = "holds" if holds else "does not hold"
    sentence = (f"In {MODELS[model]}, training on {_name(a)} changes {_name(b)} by {_pp(x)} and training "
                f"on {_name(c)} changes {_name(d)} by {_pp(y)}: the claim {verdict}.")
    return _row(claim, model, "pp", numbers, x, y, holds, sentence)


def _one_way(claim, model, pp, a, b):
    """Claim: A helps B (pp > 0) while B does not help A (pp <= 0)."""
    x, y = pp.at[a, b], pp.at[b, a]
    holds = (x > 0) and (y <= 0)
    numbers = f"{_name(a)}->{_name(b)} {_pp(x)}; {_name(b)}->{_name(a)} {_pp(y)}"
    verdict = "holds" if holds else "does not hold"
    sentence = (f"In {MODELS[model]}, {_name(a)} changes {_name(b)} by {_pp(x)} and {_name(b)} changes "
                f"{_name(a)} by {_pp(y)}: the claim {verdict}.")
    return _row(claim, model, "pp", numbers, x, y, holds, sentence)


def _everything_helps(claim, model, pp, target):
    column = pp[target].drop(index=target)
    helped = int((column > 0).sum())
    holds = helped >= len(column) - 1
    numbers = f"{helped} of {len(column)} tasks > 0; smallest {_pp(column.min())}"
    sentence = (f"In {MODELS[model]}, {helped} of the {len(column)} other tasks improve {_name(target)} "
                f"(smallest change {_pp(column.min())}): the claim {'holds' if holds else 'does not hold'}.")
    return _row(claim, model, "pp", numbers, helped, len(column), holds, sentence)


def check_claims(df: pd.DataFrame, threshold: float = ASYMMETRY_THRESHOLD) -> pd.DataFrame:
    """Every claim of the post, recomputed from a tidy transfer-scaling frame.

    Parameters
    ----------
    df : DataFrame
        ``evalcorr.load_transfer("transfer-scaling")``.
    threshold : float
        Asymmetry threshold on |A->B - B->A| in fractions (0.05 = 5 percentage points).

    Returns
    -------
    Tidy DataFrame: claim, model (``both`` for the Babbage-vs-Davinci comparisons), metric, numbers
    (human-readable), value_a, value_b (the two numbers compared; Babbage first in the model
    comparisons), holds, sentence.
    """
    pp = {m: transfer_matrix(df, SOURCE, model=m, view="pp") for m in MODELS}
    rel = {m: transfer_matrix(df, SOURCE, model=m, view="relative") for m in MODELS}
    rows = []
    for m in MODELS:
        rows.append(_compare("addition helps subtraction more than subtraction helps addition", m, pp[m],
                             "addition", "subtraction", "subtraction", "addition"))
    for m in MODELS:
        rows.append(_compare("division helps multiplication more than subtraction helps addition", m, pp[m],
                             "division", "multiplication_2x1", "subtraction", "addition"))
    for m in MODELS:
        rows.append(_one_way("translation helps faith while faith does not help translation", m, pp[m],
                             "spanish", "faith"))
    for m in MODELS:
        rows.append(_everything_helps("nearly everything helps faith", m, pp[m], "faith"))

    b, d = (count_asymmetries(pp[m], threshold) for m in MODELS)
    holds = b > d
    rows.append(_row(
        "more asymmetries in Babbage than in Davinci", "both", "pp",
        f"pairs whose directions differ by > {100 * threshold:g} pp: Babbage {b}, Davinci {d} (of 28)",
        b, d, holds,
        f"With a threshold of {100 * threshold:g} percentage points, Babbage has {b} asymmetric task pairs "
        f"and Davinci {d}: the claim {'holds' if holds else 'does not hold'}."))

    for metric, mats, fmt, unit in (("pp", pp, _pp, "percentage points"),
                                    ("relative", rel, lambda v: f"{100 * v:+.1f}%", "relative improvement")):
        b, d = (mean_transfer(mats[m]) for m in MODELS)
        holds = b > d
        rows.append(_row(
            "Babbage transfers more than Davinci", "both", metric,
            f"mean off-diagonal: Babbage {fmt(b)}, Davinci {fmt(d)}", b, d, holds,
            f"Measured in {unit}, the mean transfer to another task is {fmt(b)} for Babbage and {fmt(d)} "
            f"for Davinci: the headline {'holds' if holds else 'does not hold'} on this metric."))
    return pd.DataFrame(rows)


def asymmetry_sensitivity(df: pd.DataFrame, thresholds) -> pd.DataFrame:
    """Asymmetric pair counts of each model at several thresholds (the claim depends on the cut).

    Returns
    -------
    DataFrame: threshold, then one column per model with the number of pairs whose
    |pp(A->B) - pp(B->A)| exceeds it.
    """
    pp = {m: transfer_matrix(df, SOURCE, model=m, view="pp") for m in MODELS}
    return pd.DataFrame([{"threshold": float(t), **{m: count_asymmetries(pp[m], t) for m in MODELS}}
                         for t in thresholds])


def binomial_se(n_items: int, p: float = 0.5) -> float:
    """Standard error of one accuracy measured on ``n_items`` items (largest at p = 0.5)."""
    return (p * (1 - p) / n_items) ** 0.5


def within_noise(table: pd.DataFrame, n_items: int) -> pd.Series:
    """Task-level claims whose two compared numbers differ by less than two binomial standard errors.

    Only rows that compare two improvements (one model, metric pp, not the count of helped tasks)
    are judged; the others are False. Single runs cannot tell such differences from noise.
    """
    comparable = (table["model"] != "both") & (table["metric"] == "pp") & \
        (table["claim"] != "nearly everything helps faith")
    gap = (table["value_a"] - table["value_b"]).abs()
    return comparable & (gap < 2 * binomial_se(n_items))
