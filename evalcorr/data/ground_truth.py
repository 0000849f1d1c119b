"""The ground truth of a controlled experiment: which primitive operations each task is built from.

A ground-truth table (``tasks.csv`` of ``data/controlled-transfer/``, written by the experiment) has one
row per task and these columns:

==============  ===========================================================================================
``task``        task id, as in the source's transfer table
``surface``     the task's surface format (tasks with the same surface look alike: prompt layout, glyphs)
``control``     ``""`` for a real task, ``copy`` (the same task under another name: must transfer fully)
                or ``shuffled`` (answers shuffled across items: nothing to learn)
``control_of``  the task a control is derived from (``""`` for real tasks; it may be a task the table
                does not list)
``template``    the prompt template (optional), ``description`` a sentence (optional)
one column per primitive, 1 when the task uses it, else 0 (``cipher``, ``facts``, ``numerals``)
==============  ===========================================================================================

Every column that is not one of the named ones is a primitive. A shuffled control uses no primitive
(its answers cannot be computed by any).

>>> from evalcorr.data.ground_truth import primitive_columns
>>> import pandas as pd
>>> table = pd.DataFrame({"task": ["a"], "surface": ["word"], "control": [""], "control_of": [""],
...                       "cipher": [1], "facts": [0]})
>>> primitive_columns(table)
['cipher', 'facts']
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalcorr.errors import DataError

REQUIRED = ("task", "surface", "control", "control_of")
OPTIONAL = ("template", "description")
CONTROLS = ("", "copy", "shuffled")


def primitive_columns(table: pd.DataFrame) -> list[str]:
    """The primitive columns of a ground-truth table (every column but the named ones), in file order."""
    return [c for c in table.columns if c not in REQUIRED + OPTIONAL]


def read_ground_truth(path: str | Path) -> pd.DataFrame:
    """Read and check a ground-truth table; every error names the file and what to fix.

    Returns
    -------
    DataFrame: task, surface, control, control_of, template, description (text, ``""`` where
    empty), then one int column (0/1) per primitive; one row per task in file order.
    """
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable ground-truth table ({error})") from None
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; a ground-truth table has {list(REQUIRED)}, "
                        "optionally template and description, and one 0/1 column per primitive")
    for column in OPTIONAL:
        if column not in table.columns:
            table[column] = ""
    primitives = primitive_columns(table)
    if not primitives:
        raise DataError(f"{path}: no primitive column; add one 0/1 column per primitive operation")
    if (table["task"] == "").any() or table["task"].duplicated().any():
        raise DataError(f"{path}: every row needs a task id, and each task one row "
                        f"(repeated: {sorted(set(table.loc[table['task'].duplicated(), 'task']))})")
    bad = sorted(set(table["control"]) - set(CONTROLS))
    if bad:
        raise DataError(f"{path}: unknown control role(s) {bad}; use {[c for c in CONTROLS if c]} or empty")
    # a control names the task it is derived from (which need not be among the table's tasks)
    unnamed = table.loc[(table["control"] != "") & (table["control_of"] == ""), "task"]
    if len(unnamed):
        raise DataError(f"{path}: control(s) {list(unnamed)} do not name the task they are derived from (control_of)")
    if (table.loc[table["control"] == "", "control_of"] != "").any():
        raise DataError(f"{path}: control_of is set on a row whose control is empty")
    for column in primitives:
        if not table[column].isin(["0", "1"]).all():
            raise DataError(f"{path}: primitive column {column!r} must hold 0 or 1 in every row")
        table[column] = table[column].astype(int)
    if (table[primitives].sum(axis=1)[table["control"] != "shuffled"] == 0).any():
        empty = table.loc[(table[primitives].sum(axis=1) == 0) & (table["control"] != "shuffled"), "task"]
        raise DataError(f"{path}: task(s) {list(empty)} use no primitive; only a shuffled control may")
    return table[list(REQUIRED + OPTIONAL) + primitives].reset_index(drop=True)
