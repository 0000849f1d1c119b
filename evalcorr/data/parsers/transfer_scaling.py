"""Babbage / Davinci 8x8 fine-tuning transfer matrices (transfer-scaling/results) -> tidy transfer.

Per model m in babbage-002, davinci-002 (PROVENANCE.txt of the source says what each file is):

========================================  ======================  ========  ==================
file                                      stage                   metric    train_task
========================================  ======================  ========  ==================
pairwise_<m>_non-normalized.csv block 1   ``after_A``             accuracy  A (row)
pairwise_<m>_non-normalized.csv block 2   ``after_A_then_B``      accuracy  A (row)
finetune(d)_baseline_<m>.txt              ``B_only``              accuracy  B (= eval task)
<m>_subtracted-Sheet1.csv                 ``pp_improvement``      pp        A (row)
pairwise_<m>_normalized.csv               ``relative_improvement``relative  A (row)
baselines.txt                             ``untuned``             accuracy  "" (not fine-tuned)
========================================  ======================  ========  ==================

Rows of a matrix are the training task A, columns the evaluated task B. Values are stored exactly
as released (the davinci matrices are rounded to 2 decimals upstream); only baselines.txt is
converted, from percent to fraction. The diagonal of block 2 is "200 of A only" (no B step), and
the relative matrix has an empty diagonal (those cells are absent). baselines.txt also lists
``2x2`` (2-digit x 2-digit multiplication) and ``add1x1`` runs, which are not among the 8 tasks of
the matrices and are not kept.

``n_items`` is the number of validation items of the evaluated task (``data/<key>_validate.jsonl``:
200, 201 for Spanish), on every row: every stage scores the same validation file. (baselines.txt
also lists correct and incorrect counts; one of its rows, babbage on math expressions, has counts
that add up to 100 and do not match its percentage, so they are not used.)
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evalcorr.errors import DataError
from evalcorr.data.parsers._common import file_for, finish_transfer, to_numbers

KIND = "transfer"
SOURCE = "transfer-scaling"
DIR = "transfer-scaling/results/"
MODELS = {"babbage": "babbage-002", "davinci": "davinci-002"}
# upstream keys of the matrices -> task ids (docs/architecture.md)
TASKS = {
    "addy": "addition", "sub": "subtraction", "spain": "spanish", "div": "division",
    "mex": "math_expressions", "mult2x1": "multiplication_2x1", "faith": "faith", "science": "science",
}
# baselines.txt names some tasks differently
BASELINE_KEYS = {**{k: k for k in TASKS}, "2x1": "mult2x1", "span": "spain"}
BASELINE_MODELS = {"b": "babbage-002", "d": "davinci-002"}
BASELINE_FILES = {"babbage": "finetuned_baseline_babbage.txt", "davinci": "finetune_baseline_davinci.txt"}


def read_blocks(path: Path) -> list[pd.DataFrame]:
    """The 8x8 matrices of a results CSV, in file order (train task x eval task, upstream keys).

    A block starts at a header line ``,addy,sub,...``; blank separator rows (``,,,,``) and
    Windows line ends are ignored; the last line has no line end.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; rebuild the cache with `make data`") from None
    numbered = [(number, ln) for number, ln in enumerate(text.splitlines(), start=1) if ln.strip(", \t")]
    lines = [ln for _, ln in numbered]
    starts = [i for i, ln in enumerate(lines) if ln.startswith(",")]
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block = _read_table(lines[start:end], path, index_col=0)
        if sorted(block.columns) != sorted(TASKS) or sorted(block.index) != sorted(TASKS):
            raise DataError(f"{path}: block {n + 1} is not the 8x8 matrix over {sorted(TASKS)} "
                            f"(rows {list(block.index)}, columns {list(block.columns)}); "
                            "check the file version")
        row_lines = [number for number, _ in numbered[start + 1:end]]
        blocks.append(block.apply(lambda column: to_numbers(column, path, column.name, row_lines)))
    if not blocks:
        raise DataError(f"{path}: no matrix found (no header line ',addy,sub,...'); check the file")
    return blocks


def _read_table(lines: list[str], path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO("\n".join(lines)), **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{path}: not a readable table ({error}); check the file") from None


def _long(block: pd.DataFrame, model: str, stage: str, metric: str) -> pd.DataFrame:
    long = block.rename_axis("train_task").reset_index().melt(
        id_vars="train_task", var_name="eval_task", value_name="value").dropna(subset=["value"])
    long["train_task"] = long["train_task"].map(TASKS)
    long["eval_task"] = long["eval_task"].map(TASKS)
    return long.assign(model=model, stage=stage, metric=metric)


def read_tiny_baseline(path: Path, model: str) -> pd.DataFrame:
    """``Performance of <k>-tiny-finetuned model on <k> dataset: <acc>`` lines -> B_only rows."""
    pattern = re.compile(r"Performance of (\w+)-tiny-finetuned model on (\w+) dataset: ([0-9.eE+-]+)")
    rows = []
    text = path.read_text(encoding="utf-8")
    for match in pattern.finditer(text):
        trained, evaluated, value = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        if trained not in TASKS or evaluated not in TASKS:
            raise DataError(f"{path}, line {line}: unknown task key in {match.group(0)!r}; known: {sorted(TASKS)}")
        number = to_numbers(pd.Series([value]), path, "accuracy", [line]).iloc[0]
        rows.append({"train_task": TASKS[trained], "eval_task": TASKS[evaluated], "value": number})
    if sorted(r["eval_task"] for r in rows) != sorted(TASKS.values()):
        raise DataError(f"{path}: expected one tiny-baseline line per task ({len(TASKS)}), found "
                        f"{len(rows)}; check the file")
    return pd.DataFrame(rows).assign(model=model, stage="B_only", metric="accuracy")


def read_untuned(path: Path) -> pd.DataFrame:
    """baselines.txt (un-finetuned accuracy, percent) -> ``untuned`` rows as fractions."""
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        header = next(i for i, ln in enumerate(lines) if ln.startswith("model,dataset"))
    except StopIteration:
        raise DataError(f"{path}: no header line 'model,dataset,correct,incorrect,percent_correct'; "
                        "check the file") from None
    body = []
    for ln in lines[header + 1:]:
        if not ln.strip():
            break  # the table ends at the first blank line; later lines are loose notes
        body.append(ln)
    table = _read_table(lines[header:header + 1] + body, path)
    table.index = pd.RangeIndex(header + 2, header + 2 + len(table), name="line")
    table["percent_correct"] = to_numbers(table["percent_correct"], path, "percent_correct", list(table.index))
    table = table[table["dataset"].isin(list(BASELINE_KEYS))]
    unknown = sorted(set(table["model"]) - set(BASELINE_MODELS))
    if unknown:
        raise DataError(f"{path}: unknown model letter(s) {unknown}; expected {sorted(BASELINE_MODELS)}")
    return pd.DataFrame({
        "model": table["model"].map(BASELINE_MODELS),
        "train_task": "",
        "eval_task": table["dataset"].map(BASELINE_KEYS).map(TASKS),
        "stage": "untuned", "metric": "accuracy",
        "value": table["percent_correct"] / 100.0,
    })


def validation_sizes(files: Mapping[str, Path]) -> dict[str, int]:
    """Task id -> number of items in its validation file (the items every accuracy was scored on)."""
    sizes = {}
    for key, task in TASKS.items():
        path = file_for(files, f"transfer-scaling/data/{key}_validate.jsonl", SOURCE)
        with open(path, encoding="utf-8") as handle:
            sizes[task] = sum(1 for line in handle if line.strip())
        if not sizes[task]:
            raise DataError(f"{path}: no validation items; check the file")
    return sizes


def parse(files: Mapping[str, Path]) -> pd.DataFrame:
    """Tidy transfer rows of both models: 6 stages (after_A, after_A_then_B, B_only, untuned,
    pp_improvement, relative_improvement), with ``n_items`` of the evaluated task."""
    frames = []
    for key, model in MODELS.items():
        raw = read_blocks(file_for(files, f"{DIR}pairwise_{key}_non-normalized.csv", SOURCE))
        if len(raw) != 2:
            raise DataError(f"{DIR}pairwise_{key}_non-normalized.csv: expected 2 blocks (after A; "
                            f"after A then B), found {len(raw)}")
        frames += [_long(raw[0], model, "after_A", "accuracy"),
                   _long(raw[1], model, "after_A_then_B", "accuracy")]
        (pp,) = read_blocks(file_for(files, f"{DIR}{key}_subtracted-Sheet1.csv", SOURCE))
        frames.append(_long(pp, model, "pp_improvement", "pp"))
        (rel,) = read_blocks(file_for(files, f"{DIR}pairwise_{key}_normalized.csv", SOURCE))
        frames.append(_long(rel, model, "relative_improvement", "relative"))
        frames.append(read_tiny_baseline(file_for(files, DIR + BASELINE_FILES[key], SOURCE), model))
    frames.append(read_untuned(file_for(files, f"{DIR}baselines.txt", SOURCE)))
    out = pd.concat(frames, ignore_index=True)
    sizes = pd.Series(validation_sizes(files))
    return finish_transfer(out.assign(n_items=out["eval_task"].map(sizes).astype("Int64")), SOURCE)


def pp_check(transfer: pd.DataFrame) -> pd.DataFrame:
    """Compare the released pp sheet with after_A_then_B minus B_only, cell by cell.

    Returns one row per (model, train_task, eval_task) with ``computed`` (unrounded difference),
    ``released`` (the pp sheet), ``diff`` = released - computed and ``agrees``: whether the
    released value equals the floating-point difference rounded to 2 decimals (``np.round``;
    on a half-cent boundary the float difference decides, e.g. 0.59 - 0.135 = 0.45499... -> 0.45).
    """
    t = transfer[transfer["source"] == SOURCE]
    key = ["model", "train_task", "eval_task"]
    after = t[t["stage"] == "after_A_then_B"][key + ["value"]]
    base = t[t["stage"] == "B_only"][["model", "eval_task", "value"]].rename(columns={"value": "b_only"})
    pp = t[t["stage"] == "pp_improvement"][key + ["value"]].rename(columns={"value": "released"})
    out = after.merge(base, on=["model", "eval_task"]).merge(pp, on=key)
    out["computed"] = out["value"] - out["b_only"]
    out["diff"] = out["released"] - out["computed"]
    out["agrees"] = np.isclose(np.round(out["computed"], 2), out["released"], rtol=0, atol=1e-12)
    return out[key + ["computed", "released", "diff", "agrees"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# The task files: overlap between training and validation prompts

ITEM_PARTS = ("train", "train_small", "validate")


def item_files() -> list[str]:
    """Manifest paths of the task files (``data/<key>_<part>.jsonl``) that :func:`task_set_overlap` reads."""
    return [f"transfer-scaling/data/{key}_{part}.jsonl" for key in TASKS for part in ITEM_PARTS]


def task_set_overlap(files: Mapping[str, Path]) -> pd.DataFrame:
    """Validation prompts of each task that also occur in its training set.

    Returns
    -------
    DataFrame: task, n_train, n_small (the few-example set), n_validate, overlap_prompts (distinct
    validation prompts also in the 200-example training set), overlap_items (validation items with
    such a prompt), small_in_train (items of the 10-example set that are also in the training set).
    """
    import json

    def prompts(key, part):
        path = file_for(files, f"transfer-scaling/data/{key}_{part}.jsonl", SOURCE)
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line)["prompt"] for line in handle if line.strip()]

    rows = []
    for key, task in TASKS.items():
        train, small, validate = (prompts(key, part) for part in ITEM_PARTS)
        seen = set(train)
        rows.append({"task": task, "n_train": len(train), "n_small": len(small), "n_validate": len(validate),
                     "overlap_prompts": len(set(validate) & seen),
                     "overlap_items": sum(p in seen for p in validate),
                     "small_in_train": sum(p in seen for p in small)})
    return pd.DataFrame(rows)
