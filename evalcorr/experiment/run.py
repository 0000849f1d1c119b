"""The runner: every stage of every size with progress bars, resumable, then the result tables.

Finished units (base models, after-A models, item outcomes of each stage and run group) are kept in
a work folder (:class:`~evalcorr.experiment.store.RunStore`); a restart loads them and trains only
what is missing. The tables written to the output folder:

==========================  ========================================================================
``transfer.csv.gz``         tidy transfer rows: source, model, setting, train_task, eval_task, stage,
                            metric, value, seed, n_items, n_correct
``item_outcomes.csv.gz``    one row per (model, stage, train_task, eval_task, seed): the exact-match
                            outcome of every held-out item, as hex of the packed bits (item order of
                            ``eval_items.csv.gz``; :func:`unpack_outcomes` reads it)
``eval_items.csv.gz``       the held-out items: task, item, code, prompt, answer
``tasks.csv``               task x primitive ground truth, surface format and controls
``models.csv``              model sizes and parameter counts
``sanity.csv``              the acceptance checks (:mod:`evalcorr.experiment.sanity`)
``intervals.csv``           mean pp improvement per cell with its 95 % interval
``config.yaml``             the exact configuration
``run.yaml``                versions, hardware, wall time per stage, peak memory
==========================  ========================================================================
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from tqdm.auto import tqdm

from evalcorr.experiment import sanity
from evalcorr.experiment import tasks as T
from evalcorr.experiment.config import ExperimentConfig, to_yaml
from evalcorr.experiment.model import param_count
from evalcorr.experiment.protocol import Experiment, Run
from evalcorr.experiment.store import RunStore, pop_times
from evalcorr.experiment.train import init_runs, take_runs

SOURCE = "controlled-transfer"
SETTING = "default"
TRANSFER_FILE = "transfer.csv.gz"
ITEMS_FILE = "item_outcomes.csv.gz"
KEY = ["model", "stage", "train_task", "eval_task", "seed"]


def pack_outcomes(correct: np.ndarray) -> str:
    """Hex string of a bool vector's bits (first item = most significant bit of the first byte)."""
    return np.packbits(np.asarray(correct, dtype=bool)).tobytes().hex()


def unpack_outcomes(text: str, n_items: int) -> np.ndarray:
    """Inverse of :func:`pack_outcomes`."""
    return np.unpackbits(np.frombuffer(bytes.fromhex(text), dtype=np.uint8))[:n_items].astype(bool)


# --------------------------------------------------------------------------------------------------
# Running the stages of one size


def _bar(desc: str, total: int, enabled: bool):
    return tqdm(total=total, desc=desc, unit="step", disable=not enabled, leave=True, file=sys.stderr)


def run_size(exp: Experiment, size, store: RunStore, progress: bool = True) -> tuple[list[dict], dict]:
    """Train and score every stage of one model size; returns outcome records and seconds per stage."""
    cfg = exp.config
    names, seeds = cfg.task_list, list(range(cfg.seeds))
    template = init_runs(size, len(exp.vocab), [0])
    records, seconds = [], {}
    prefix = size.name

    with _bar(f"{prefix} pretrain", cfg.pretrain.steps, progress and not store.done(f"{prefix}/base")) as bar:
        base, seconds["pretrain"] = store.params(f"{prefix}/base", template,
                                                 lambda: exp.pretrain(size, seeds, bar.update))
    untuned = store.arrays(f"{prefix}/untuned", lambda: exp.score_all_tasks(base, size))
    seconds["untuned"] = pop_times(untuned)
    for b in names:
        for s in seeds:
            records.append(dict(model=prefix, stage="untuned", train_task="", eval_task=b, seed=s,
                                correct=untuned[b][s]))

    runs_a = [Run(s, s, a) for s in seeds for a in names]
    total = cfg.finetune_a.steps
    with _bar(f"{prefix} fine-tune A", total, progress and not store.done(f"{prefix}/after_A")) as bar:
        after_a, seconds["finetune_A"] = store.params(
            f"{prefix}/after_A", template, lambda: exp.finetune(base, size, runs_a, "a", bar.update))
    scores = store.arrays(f"{prefix}/after_A_scores", lambda: exp.score_all_tasks(after_a, size))
    seconds["after_A_scores"] = pop_times(scores)
    for i, run in enumerate(runs_a):
        for b in names:
            records.append(dict(model=prefix, stage="after_A", train_task=run.task, eval_task=b,
                                seed=run.seed, correct=scores[b][i]))

    runs_b = [Run(s, s, b) for s in seeds for b in names]
    runs_ab = [Run(s, s * len(names) + i, b) for s in seeds for i in range(len(names)) for b in names]
    groups = [("B_only", base, runs_b[k: k + cfg.runs_per_group], k) for k in range(0, len(runs_b), cfg.runs_per_group)]
    groups += [("after_A_then_B", after_a, runs_ab[k: k + cfg.runs_per_group], k)
               for k in range(0, len(runs_ab), cfg.runs_per_group)]
    todo = sum(not store.done(f"{prefix}/{stage}_{k:05d}") for stage, _, _, k in groups)
    seconds["few_B"] = {"wall": 0.0, "cpu": 0.0}
    with _bar(f"{prefix} few B", todo * cfg.finetune_b.steps, progress and todo > 0) as bar:
        for stage, start, runs, k in groups:
            def compute(start=start, runs=runs):
                params = exp.finetune(start, size, runs, "b", bar.update)
                return {"correct": exp.score_own_task(params, size, runs)}
            out = store.arrays(f"{prefix}/{stage}_{k:05d}", compute)
            for kind, value in pop_times(out).items():
                seconds["few_B"][kind] += value
            for run, correct in zip(runs, out["correct"]):
                a = names[run.start % len(names)] if stage == "after_A_then_B" else run.task
                records.append(dict(model=prefix, stage=stage, train_task=a, eval_task=run.task,
                                    seed=run.seed, correct=correct))
    return records, seconds


# --------------------------------------------------------------------------------------------------
# Tables


def transfer_table(records: list[dict]) -> pd.DataFrame:
    """Tidy transfer rows (the project's transfer schema plus seed, n_items, n_correct)."""
    rows = []
    for r in records:
        n, k = len(r["correct"]), int(np.sum(r["correct"]))
        rows.append({"source": SOURCE, "model": r["model"], "setting": SETTING, "train_task": r["train_task"],
                     "eval_task": r["eval_task"], "stage": r["stage"], "metric": "accuracy",
                     "value": k / n, "seed": r["seed"], "n_items": n, "n_correct": k})
    return pd.DataFrame(rows).sort_values(["model", "stage", "train_task", "eval_task", "seed"],
                                          kind="stable").reset_index(drop=True)


def outcomes_table(records: list[dict]) -> pd.DataFrame:
    rows = [{**{k: r[k] for k in KEY}, "n_items": len(r["correct"]), "outcomes": pack_outcomes(r["correct"])}
            for r in records]
    return pd.DataFrame(rows).sort_values(KEY, kind="stable").reset_index(drop=True)


def eval_items_table(exp: Experiment) -> pd.DataFrame:
    rows = []
    for name, items in exp.eval_items.items():
        start = T.TARGET_TASKS[name].template.prompt_len
        for i, (tokens, code) in enumerate(zip(items.tokens, items.codes)):
            text = T.render(tokens, exp.vocab)
            prompt = T.render(tokens[1:start], exp.vocab)
            rows.append({"task": name, "item": i, "code": int(code), "prompt": prompt,
                         "answer": text[text.index(prompt) + len(prompt):]})
    return pd.DataFrame(rows)


def tasks_table(config: ExperimentConfig) -> pd.DataFrame:
    """Wide task x primitive table (1 = the task uses the primitive) with surface and controls."""
    long = T.primitive_table(config.task_list)
    wide = long.pivot(index="task", columns="primitive", values="uses").reindex(config.task_list)
    meta = long.drop_duplicates("task").set_index("task")[
        ["surface", "template", "control", "control_of", "description"]]
    return meta.join(wide[list(T.PRIMITIVES)]).reset_index()


def models_table(exp: Experiment) -> pd.DataFrame:
    rows = []
    for size in exp.config.sizes:
        params = init_runs(size, len(exp.vocab), [0])
        rows.append({"model": size.name, "d_model": size.d_model, "n_layers": size.n_layers,
                     "n_heads": size.n_heads, "params": param_count(params)})
    return pd.DataFrame(rows)


def _outcome_arrays(records: list[dict], names: list[str]):
    """[seeds, items] arrays per (model, A, B) cell of after_A_then_B, and per (model, B) of B_only."""
    cells, base = {}, {}
    for r in records:
        if r["stage"] == "after_A_then_B":
            cells.setdefault((r["model"], r["train_task"], r["eval_task"]), {})[r["seed"]] = r["correct"]
        elif r["stage"] == "B_only":
            base.setdefault((r["model"], r["eval_task"]), {})[r["seed"]] = r["correct"]
    stack = lambda d: np.stack([d[s] for s in sorted(d)])
    return {k: stack(v) for k, v in cells.items()}, {k: stack(v) for k, v in base.items()}


def environment() -> dict:
    import jax
    import jaxlib
    import optax
    cpu = ""
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {"python": platform.python_version(), "jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "optax": optax.__version__, "numpy": np.__version__, "platform": platform.platform(),
            "cpu": cpu, "cores": os.cpu_count(), "devices": [str(d) for d in jax.devices()],
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, 1),
            "xla_flags": os.environ.get("XLA_FLAGS", "")}


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    # a fixed gzip mtime keeps the compressed files byte-identical across identical runs
    compression = {"method": "gzip", "mtime": 0} if path.suffix == ".gz" else None
    df.to_csv(tmp, index=False, compression=compression, float_format="%.6g")
    os.replace(tmp, path)


def run_experiment(config: ExperimentConfig, out_dir: str | Path, work_dir: str | Path,
                   progress: bool = True) -> dict[str, pd.DataFrame]:
    """Run (or resume) every size of ``config``, write the tables to ``out_dir``, return them."""
    started = time.perf_counter()
    out_dir, work_dir = Path(out_dir), Path(work_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    exp = Experiment(config)
    exp.check_disjoint()
    store = RunStore(work_dir, to_yaml(config))
    records, stage_seconds = [], {}
    for size in config.sizes:
        size_records, stage_seconds[size.name] = run_size(exp, size, store, progress)
        records += size_records

    transfer = transfer_table(records)
    tasks = tasks_table(config)
    cells, base = _outcome_arrays(records, config.task_list)
    intervals = sanity.improvement_intervals(cells, base)
    checks = sanity.sanity_checks(transfer, intervals, tasks, largest=config.sizes[-1].name)
    tables = {"transfer": transfer, "item_outcomes": outcomes_table(records), "eval_items": eval_items_table(exp),
              "tasks": tasks, "models": models_table(exp), "intervals": intervals, "sanity": checks}
    files = {"transfer": TRANSFER_FILE, "item_outcomes": ITEMS_FILE, "eval_items": "eval_items.csv.gz",
             "tasks": "tasks.csv", "models": "models.csv", "intervals": "intervals.csv", "sanity": "sanity.csv"}
    for key, name in files.items():
        _write_csv(tables[key], out_dir / name)
    (out_dir / "config.yaml").write_text(to_yaml(config), encoding="utf-8")
    total = {kind: round(sum(t[kind] for s in stage_seconds.values() for t in s.values()), 1)
             for kind in ("wall", "cpu")}
    meta = {"source": SOURCE, "config": config.name, "environment": environment(),
            # wall and CPU seconds of each stage (added up over resumed processes); on a shared
            # machine CPU seconds / cores bounds the wall time the run would take alone
            "seconds_by_stage": {m: {k: {kind: round(v, 1) for kind, v in t.items()} for k, t in s.items()}
                                 for m, s in stage_seconds.items()},
            "seconds_total": total,
            "this_process_seconds": round(time.perf_counter() - started, 1),
            "this_process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "sanity": sanity.summary(checks).to_dict("records")}
    (out_dir / "run.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return tables


# --------------------------------------------------------------------------------------------------
# Comparing a re-run with the committed tables


def compare_tables(new_dir: str | Path, reference_dir: str | Path, tolerance: float = 0.0) -> tuple[bool, str]:
    """Compare the transfer tables of two folders run by run and cell by cell.

    Returns (ok, report). ``ok`` is true when the same runs exist and every cell's mean accuracy
    differs by at most ``tolerance`` (0 = identical item counts everywhere).
    """
    new = pd.read_csv(Path(new_dir) / TRANSFER_FILE, keep_default_na=False)
    ref = pd.read_csv(Path(reference_dir) / TRANSFER_FILE, keep_default_na=False)
    merged = ref.merge(new, on=KEY, how="outer", suffixes=("_ref", "_new"), indicator=True)
    only_ref = int((merged["_merge"] == "left_only").sum())
    only_new = int((merged["_merge"] == "right_only").sum())
    both = merged[merged["_merge"] == "both"]
    changed = int((both["n_correct_ref"] != both["n_correct_new"]).sum())
    cell = ["model", "stage", "train_task", "eval_task"]
    cell_diff = (both.groupby(cell)["value_new"].mean() - both.groupby(cell)["value_ref"].mean()).abs()
    worst = float(cell_diff.max()) if len(cell_diff) else 0.0
    ok = only_ref == 0 and only_new == 0 and worst <= tolerance
    report = (f"runs compared: {len(both)}; only in reference: {only_ref}; only in new: {only_new}; "
              f"runs with other item counts: {changed}; largest cell-mean difference: {worst:.4f} "
              f"(tolerance {tolerance}) -> {'same' if ok else 'DIFFERENT'}")
    return ok, report
