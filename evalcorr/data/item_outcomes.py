"""Per-item outcomes of the project's experiment runs: which held-out items each run answered exactly.

The experiment writes one row per run (``item_outcomes.csv.gz``): model, stage, train_task, eval_task,
seed, n_items, and ``outcomes``, the exact-match result of every held-out item of the evaluated task
as hex of packed bits (first item = most significant bit of the first byte; item order of
``eval_items.csv.gz``). :func:`read_item_outcomes` turns it into a runs table and a boolean matrix.

>>> from evalcorr.data.item_outcomes import unpack
>>> unpack("a0", 3).tolist()          # 0xa0 = 1010 0000
[True, False, True]
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from evalcorr.errors import DataError

RUN_COLUMNS = ["model", "stage", "train_task", "eval_task", "seed", "n_items"]


class ItemOutcomes(NamedTuple):
    """Runs and their item outcomes.

    ``runs``: one row per run (model, stage, train_task, eval_task, seed, n_items), index 0..n-1;
    ``correct``: bool array [runs, items]; row ``i`` holds run ``i``'s items ``0 .. n_items - 1``
    (every run of the released experiment has the same number of items; shorter rows are padded
    with False).
    """

    runs: pd.DataFrame
    correct: np.ndarray

    def select(self, mask) -> "ItemOutcomes":
        """The runs where ``mask`` (a boolean array or Series over ``runs``) is true."""
        keep = np.asarray(mask, dtype=bool)
        return ItemOutcomes(self.runs[keep].reset_index(drop=True), self.correct[keep])


def unpack(text: str, n_items: int) -> np.ndarray:
    """Bool vector of ``n_items`` outcomes from hex of packed bits."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(text), dtype=np.uint8))[:n_items].astype(bool)


def read_item_outcomes(path: str | Path) -> ItemOutcomes:
    """Read an item-outcomes file; errors name the file and the offending line."""
    try:
        frame = pd.read_csv(path, dtype={"seed": "int64", "n_items": "int64"}, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise DataError(f"{path}: not a readable item-outcomes table ({error})") from None
    missing = [c for c in RUN_COLUMNS + ["outcomes"] if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; expected {RUN_COLUMNS + ['outcomes']}")
    n_max = int(frame["n_items"].max())
    width = (n_max + 7) // 8
    texts = frame["outcomes"].to_numpy(str)
    lengths = np.char.str_len(texts)
    expected = 2 * ((frame["n_items"].to_numpy() + 7) // 8)
    if (lengths != expected).any():
        line = int(np.flatnonzero(lengths != expected)[0]) + 2
        raise DataError(f"{path}, line {line}: the outcomes hold {lengths[line - 2] // 2} bytes, but n_items "
                        f"needs {expected[line - 2] // 2}; the file is damaged: restore it")
    try:
        packed = np.frombuffer(bytes.fromhex("".join(t.ljust(2 * width, "0") for t in texts)), dtype=np.uint8)
    except ValueError:
        raise DataError(f"{path}: an outcomes cell is not hexadecimal; the file is damaged: restore it") from None
    correct = np.unpackbits(packed.reshape(len(frame), width), axis=1)[:, :n_max].astype(bool)
    correct &= np.arange(n_max)[None, :] < frame["n_items"].to_numpy()[:, None]
    runs = frame[RUN_COLUMNS].reset_index(drop=True)
    if runs.duplicated(RUN_COLUMNS[:5]).any():
        raise DataError(f"{path}: a run is listed twice (same model, stage, tasks and seed)")
    return ItemOutcomes(runs, correct)
