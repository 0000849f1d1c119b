"""Numbers in sentences: percentages, shares stated as lower bounds, permutation p-values, counts as words."""

from __future__ import annotations

import numpy as np


# Counts written as words in sentences, up to ten.
WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def count_word(n: int) -> str:
    """A count as a word up to ten ('no', 'one', ... 'ten'), digits with separators above."""
    return WORDS[n] if 0 <= n < len(WORDS) else f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 model', '3 models' (``many`` for an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def percent(x: float, digits: int = 0, *, symbol: bool = False) -> str:
    """A fraction as a percentage, ``digits`` decimals: ``percent(0.1234, 1) == "12.3"``.

    ``symbol=True`` appends ``%``. The sentence decides whether "%" or "points" follows.
    """
    return f"{100 * x:.{digits}f}" + ("%" if symbol else "")


def percent_at_least(share: float) -> str:
    """A share as a percent rounded *down* to one decimal, so that "at least 98.6%" stays true (0.98699 -> '98.6%')."""
    return f"{np.floor(share * 1000 + 1e-9) / 10:.1f}%"


def share_of_pairs(share: float, n_pairs: int) -> str:
    """'all 45 pairs are' when every pair qualifies, else '97.8% of the 45 pairs are'."""
    return f"all {n_pairs:,} pairs are" if share == 1 else f"{share:.1%} of the {n_pairs:,} pairs are"


def format_permutation_p(p: float, n_perm: int) -> str:
    """'p = 0.0015', or 'p ≤ 0.0001' when p is the smallest value `n_perm` permutations can give.

    With the +1 correction, p = 1 / (n_perm + 1) means no permutation reached the observed statistic,
    so the true p-value is only known to be at most that.
    """
    floor = 1.0 / (n_perm + 1)
    digits = max(2, int(round(np.log10(n_perm))))
    if p <= floor * (1 + 1e-9):
        return f"p ≤ {floor:.{digits}f}"
    return f"p = {p:.{digits}f}"


def with_interval(value: float, low: float, high: float, fmt: str = "+.1f", scale: float = 1.0) -> str:
    """An estimate with its interval: ``with_interval(0.047, 0.002, 0.116, scale=100) == "+4.7 [+0.2, +11.6]"``."""
    return f"{scale * value:{fmt}} {interval(scale * low, scale * high, fmt)}"


def upper_bound(value: float, significant: int = 2) -> str:
    """A non-negative bound rounded *up* to ``significant`` significant digits, so "at most x" stays true.

    >>> upper_bound(0.00117), upper_bound(0.1234), upper_bound(0.0)
    ('0.0012', '0.13', '0')
    """
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"upper_bound needs a finite value >= 0, got {value}")
    if value == 0:
        return "0"
    exponent = int(np.floor(np.log10(value))) - significant + 1
    step = 10.0 ** exponent
    rounded = np.ceil(value / step - 1e-9) * step
    return f"{rounded:.{max(0, -exponent)}f}"


def interval(low: float, high: float, fmt: str = ".2f") -> str:
    """A confidence interval as the report prints it: ``"[0.54, 0.68]"``."""
    return f"[{low:{fmt}}, {high:{fmt}}]"


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``13th``, ``21st`` ..."""
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
