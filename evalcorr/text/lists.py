"""Lists in sentences: "a, b and c", named values, groups of a clustering."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd


class DisplayNames(dict):
    """Display names by id; an id without an entry reads as itself (``DisplayNames()["x"] == "x"``)."""

    def __missing__(self, key):
        return key


def names(items: Iterable, display: Mapping | Callable | None = None) -> list[str]:
    """Display names of ``items``: looked up in a mapping (an item without an entry keeps its id) or
    given by a function; the ids themselves when ``display`` is None."""
    if display is None:
        return [str(item) for item in items]
    if callable(display):
        return [display(item) for item in items]
    return [display.get(item, item) for item in items]


# Items a list names before it ends with "and N more".
LISTED = 6


def join_and(items: Iterable[str], last: str = " and ", empty: str = "") -> str:
    """``"a, b and c"``; ``"a and b"``; ``"a"``; ``empty`` for no item."""
    items = [str(item) for item in items]
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    return last.join([", ".join(items[:-1]), items[-1]])


def labelled_values(labels: Iterable[str], values: Iterable[float], fmt: str = ".2f", sep: str = ", ") -> str:
    """``"MATH algebra (0.91), MATH geometry (0.88)"``: each label with its value in brackets."""
    return sep.join(f"{label} ({value:{fmt}})" for label, value in zip(labels, values))


def brace_groups(labels: pd.Series, display: Mapping | Callable | None = None) -> str:
    """The groups of a clustering as ``"{a, b}; {c}"``: ``labels`` maps each item to its cluster;
    groups in order of their cluster label, items in the order of ``labels``."""
    parts = labels.groupby(labels).apply(lambda group: "{" + ", ".join(names(group.index, display)) + "}")
    return "; ".join(parts)


def pair_with_value(a, b, value: float, display: Mapping | Callable | None = None, label: str = "r",
                    fmt: str = ".2f") -> str:
    """``"NarrativeQA and NaturalQuestions (open book) (r = 0.83)"``: a pair of items and one statistic."""
    first, second = names([a, b], display)
    return f"{first} and {second} ({label} = {value:{fmt}})"


def labelled_range(values: pd.Series, fmt: str = ".0%", between: str = " to ") -> str:
    """The smallest and largest of labelled values, each with its label: ``"6% (general factor) to 75% (log
    parameters)"``; one value when all are equal (to the format). NaN values are ignored."""
    values = values.dropna()
    if values.empty:
        raise ValueError("labelled_range needs at least one finite value")
    low, high = values.idxmin(), values.idxmax()
    if f"{values[low]:{fmt}}" == f"{values[high]:{fmt}}":
        return f"{values[low]:{fmt}}"
    return f"{values[low]:{fmt}} ({low}){between}{values[high]:{fmt}} ({high})"


def short_list(items, display: Mapping | Callable | None = None, limit: int = LISTED) -> str:
    """'a, b and c', or 'a, b, c, d, e, f and 7 more' beyond ``limit`` items."""
    items = names(list(items), display)
    if len(items) <= limit:
        return join_and(items)
    return join_and(items[:limit] + [f"{len(items) - limit} more"])
