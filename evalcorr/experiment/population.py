"""A population of trained models: a leaderboard of the made-up world, whose truth is known.

Real leaderboards hold many models that differ in size, training compute and training mixture, most
of them fine-tunes of a few base models. This module builds such a leaderboard here, from the base
models of the transfer experiment (and of extra sizes pretrained the same way), so that every
observational method of the report can be scored against the task x primitive ground truth.

The design (:class:`PopulationConfig`):

- a **base pool**: every (size, seed) base model; the transfer configuration's sizes and seeds are
  reused (the same units of its run folder), extra sizes are pretrained by the same recipe;
- **replicate leaderboards**: each draws ``bases_per_leaderboard`` bases from the pool at random (no
  base in two leaderboards, so that each leaderboard is independent of the others) and spreads ``models_per_leaderboard`` fine-tunes over them with skewed counts (base ``j`` of a
  leaderboard gets a share proportional to ``lineage_decay ** j``, as a few popular bases dominate a
  real leaderboard);
- every fine-tune draws its training **compute** (steps, from ``steps``) and its **mixture** over the
  tasks, in two **regimes** that share everything else (same base, steps and data; a paired design):
  ``independent`` (Dirichlet weights over the tasks) and ``co-training`` (Dirichlet weights over the
  surface families, split equally among a family's tasks, so the tasks of one family are always
  trained together: the contamination hypothesis);
- each model is scored on every task's held-out items (exact match) and on a **probe corpus** built
  from the primitives (:func:`primitive_probe`): mean log-perplexity of each token type where it is an
  answer, the candidate features of benchmark signatures.

Fine-tunes of one size and step count train together (one vmapped, jitted call per group of
``runs_per_group``); each group is one resumable unit of the run store, holding its scores and probe
features (never parameters).

Example
-------
>>> from evalcorr.experiment.population import preset, model_plan, base_pool
>>> cfg = preset("mini")
>>> plan = model_plan(cfg, base_pool(cfg))
>>> sorted(plan["regime"].unique())
['co-training', 'independent']
"""

from __future__ import annotations

import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from tqdm.auto import tqdm

from evalcorr.experiment import config as C
from evalcorr.experiment import tasks as T
from evalcorr.experiment.config import TrainSpec
from evalcorr.experiment.model import ModelSize, param_count
from evalcorr.experiment.protocol import Experiment
from evalcorr.experiment.store import RunStore, pop_times
from evalcorr.experiment.train import (exact_match, init_runs, mean_log_perplexity_by_token,
                                       mixture_schedule, take_runs, token_nll, train_flops_per_example,
                                       train_runs)

SOURCE = "controlled-population"
REGIMES = ("independent", "co-training")
REGIME_CODES = {"independent": "ind", "co-training": "cot"}
POPULATION_TASKS = ("encode", "coded_parent", "pairmax", "nummax", "fake_sum", "parent", "grandparent",
                    "secret")

# probe corpus: each primitive's answers use their own letters, so a letter is a token of one primitive
CIPHER_LETTERS = tuple(T.LETTERS[: T.N_LETTERS // 2])
FACTS_LETTERS = tuple(T.LETTERS[T.N_LETTERS // 2:])
PROBE_TEMPLATES = {"cipher": ("encode", "secret"), "facts": ("parent", "fake_sum"),
                   "numerals": ("pairmax", "nummax")}


@dataclass(frozen=True)
class PopulationConfig:
    """Every number that shapes the population (the YAML beside the results is enough to re-run it)."""

    name: str
    transfer: str                          # preset of the transfer configuration: world, items, bases
    tasks: tuple[str, ...] = POPULATION_TASKS
    extra_sizes: tuple[ModelSize, ...] = ()
    extra_seeds: int = 0                   # base seeds pretrained for each extra size
    leaderboards: int = 4                  # replicate leaderboards (each in both regimes)
    bases_per_leaderboard: int = 6
    models_per_leaderboard: int = 100
    lineage_decay: float = 0.7
    alpha: float = 1.0                     # Dirichlet concentration of the mixture weights
    steps: tuple[int, ...] = (25, 50, 100, 200)
    batch_size: int = 32
    learning_rate: float = 3e-4
    warmup: int = 10
    n_per_task: int = 400                  # training examples per task in each model's pool
    probe_per_template: int = 128          # probe items per template of each primitive
    seed: int = 0
    runs_per_group: int = 50               # fine-tunes trained together in one vmapped call
    eval_runs: int = 25                    # runs evaluated together (bounds memory)

    def finetune_spec(self, steps: int) -> TrainSpec:
        return TrainSpec(steps, self.batch_size, self.learning_rate, warmup=self.warmup)


PRESETS: dict[str, PopulationConfig] = {
    "full": PopulationConfig(
        name="full", transfer="full",
        extra_sizes=(ModelSize("ct-sm", 48, 2, 4), ModelSize("ct-ml", 96, 2, 4)), extra_seeds=4),
    "quick": PopulationConfig(
        name="quick", transfer="quick", tasks=("encode", "secret", "nummax", "fake_sum", "parent"),
        leaderboards=2, bases_per_leaderboard=2, models_per_leaderboard=12, steps=(25, 50),
        n_per_task=200, probe_per_template=32, runs_per_group=32, eval_runs=32),
    "mini": PopulationConfig(
        name="mini", transfer="mini-population", tasks=("encode", "encode_copy", "pairmax", "nummax"),
        leaderboards=2, bases_per_leaderboard=1, models_per_leaderboard=16, steps=(100,),
        learning_rate=3e-3, n_per_task=100, probe_per_template=8, runs_per_group=64, eval_runs=64),
}


def preset(name: str) -> PopulationConfig:
    """A named population configuration: ``full``, ``quick`` or ``mini``."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown population configuration {name!r}; choose one of {sorted(PRESETS)}") from None


def to_yaml(config: PopulationConfig) -> str:
    data = asdict(config)
    data["tasks"] = list(config.tasks)
    data["steps"] = list(config.steps)
    data["extra_sizes"] = [asdict(s) for s in config.extra_sizes]
    return yaml.safe_dump(data, sort_keys=False)


def from_yaml(text: str) -> PopulationConfig:
    """Parse a population configuration; unknown keys are an error."""
    data = C.known_keys(yaml.safe_load(text), PopulationConfig, "population configuration")
    data["tasks"] = tuple(data["tasks"])
    data["steps"] = tuple(data.get("steps", PopulationConfig.steps))
    data["extra_sizes"] = tuple(ModelSize(**s) for s in data.get("extra_sizes", ()))
    return PopulationConfig(**data)


# --------------------------------------------------------------------------------------------------
# The base pool and the plan of models


def transfer_config(config: PopulationConfig) -> C.ExperimentConfig:
    return C.preset(config.transfer)


def base_pool(config: PopulationConfig) -> pd.DataFrame:
    """One row per base model: base id, size, seed, and who pretrains it (transfer run or this one)."""
    tc = transfer_config(config)
    rows = [{"base": f"{s.name}/s{seed}", "size": s.name, "seed": seed, "made_by": "controlled-transfer"}
            for s in tc.sizes for seed in range(tc.seeds)]
    rows += [{"base": f"{s.name}/s{seed}", "size": s.name, "seed": seed, "made_by": SOURCE}
             for s in config.extra_sizes for seed in range(config.extra_seeds)]
    return pd.DataFrame(rows)


def lineage_counts(n_models: int, n_bases: int, decay: float) -> np.ndarray:
    """Fine-tunes per base of one leaderboard: shares ``decay ** j``, largest-remainder rounding.

    >>> lineage_counts(100, 6, 0.7).tolist()
    [34, 24, 16, 12, 8, 6]
    """
    share = decay ** np.arange(n_bases)
    exact = n_models * share / share.sum()
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n_models - counts.sum()]] += 1
    return counts


def families_of(tasks) -> list[str]:
    """Surface family of each task (the eval family of this world)."""
    return [T.TARGET_TASKS[t].template.surface for t in tasks]


def mixture_weights(regime: str, tasks, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Task weights of one fine-tune: Dirichlet over tasks, or over families split within a family."""
    if regime == "independent":
        return rng.dirichlet(np.full(len(tasks), alpha))
    families = families_of(tasks)
    names = sorted(set(families), key=families.index)
    family_weight = rng.dirichlet(np.full(len(names), alpha))
    size = {f: families.count(f) for f in names}
    return np.array([family_weight[names.index(f)] / size[f] for f in families])


def model_plan(config: PopulationConfig, pool: pd.DataFrame) -> pd.DataFrame:
    """Every model of the population: id, regime, leaderboard, base, steps, data seed, task weights.

    Leaderboards draw disjoint sets of bases; leaderboard ``k`` draws the steps of each fine-tune and its data seed once; both regimes
    reuse them (paired), and only the mixture weights differ. Deterministic given the configuration.
    """
    need = config.leaderboards * config.bases_per_leaderboard
    if need > len(pool):
        raise ValueError(f"{config.leaderboards} leaderboards of {config.bases_per_leaderboard} bases need "
                         f"{need} base models; the pool has {len(pool)}")
    order = np.random.default_rng([config.seed, 10]).permutation(len(pool))
    rows = []
    data_seed = 0
    for k in range(config.leaderboards):
        rng = np.random.default_rng([config.seed, 11, k])
        chosen = order[k * config.bases_per_leaderboard: (k + 1) * config.bases_per_leaderboard]
        counts = lineage_counts(config.models_per_leaderboard, config.bases_per_leaderboard, config.lineage_decay)
        draws = []
        for j, n in zip(chosen, counts):
            for _ in range(n):
                draws.append((pool.iloc[j], int(rng.choice(config.steps)), data_seed))
                data_seed += 1
        for regime in REGIMES:
            weights_rng = np.random.default_rng([config.seed, 12, k, REGIMES.index(regime)])
            for i, (base, steps, seed) in enumerate(draws):
                weights = mixture_weights(regime, config.tasks, config.alpha, weights_rng)
                rows.append({"model": f"{REGIME_CODES[regime]}-L{k}-{i:03d}", "regime": regime,
                             "leaderboard": k, "base": base["base"], "size": base["size"],
                             "base_seed": int(base["seed"]), "steps": steps, "data_seed": seed,
                             **{f"w_{t}": float(w) for t, w in zip(config.tasks, weights)}})
    return pd.DataFrame(rows)


def training_groups(plan: pd.DataFrame, runs_per_group: int) -> list[tuple[str, int, int, pd.DataFrame]]:
    """(size, steps, index, rows) of each unit of work: plan rows of one size and step count, chunked."""
    groups = []
    for (size, steps), rows in plan.groupby(["size", "steps"], sort=True):
        rows = rows.sort_values("model")
        for index, start in enumerate(range(0, len(rows), runs_per_group)):
            groups.append((size, int(steps), index, rows.iloc[start: start + runs_per_group]))
    return groups


# --------------------------------------------------------------------------------------------------
# The probe corpus


def primitive_probe(exp: Experiment, n_per_template: int, seed: int = 0) -> tuple[T.Items, pd.DataFrame]:
    """A fixed probe corpus built from the primitives, and the primitive of each answer token.

    For each primitive, items of its single-primitive templates in the target world whose answers
    use only that primitive's tokens: cipher answers are letters of the first half of the alphabet,
    facts answers letters of the second half, numeral answers numerals. Held-out prompts are never
    used. Returns the items and a table token -> primitive (``format`` for the end token).
    """
    world, vocab = exp.world, exp.vocab
    allowed = {"cipher": [T.LETTERS.index(x) for x in CIPHER_LETTERS],
               "facts": [T.LETTERS.index(x) for x in FACTS_LETTERS]}
    tables = {"cipher": world.cipher, "facts": world.parent}
    parts, rows = [], []
    for primitive, templates in PROBE_TEMPLATES.items():
        for name in (t for t in templates if t in exp.config.tasks):  # name tokens exist only for these
            template = T.TEMPLATES[name]
            rng = np.random.default_rng([seed, 77, T._stable_int(name)])
            banned = T.split_of(T.TARGET_TASKS[name], exp.splits).eval_codes
            if primitive == "numerals":
                codes = rng.choice(template.space_size(), 4 * n_per_template + len(banned), replace=False)
            else:  # content letters whose answer falls in the primitive's half of the alphabet
                inputs = np.flatnonzero(np.isin(tables[primitive], allowed[primitive]))
                content = rng.choice(inputs, (8 * n_per_template + len(banned), len(template.content)))
                codes = np.unique(content @ (T.N_LETTERS ** np.arange(len(template.content))[::-1]))
                codes = rng.permutation(codes)
            codes = codes[~np.isin(codes, banned)][:n_per_template]
            if len(codes) < n_per_template:
                raise ValueError(f"probe: only {len(codes)} items of {name} for {primitive}")
            parts.append(T.make_items(T.Task(name, template), world, vocab, np.sort(codes)))
    probe = T.concat([T.Items(p.tokens, p.mask, p.codes) for p in parts])
    tokens = answer_tokens(probe)
    for symbol in sorted({vocab.symbols[t] for t in np.unique(tokens) if t != 0}, key=vocab.symbols.index):
        primitive = ("cipher" if symbol in CIPHER_LETTERS else "facts" if symbol in FACTS_LETTERS
                     else "numerals" if symbol in T.NUMERALS else "format")
        rows.append({"token": symbol, "primitive": primitive,
                     "n_occurrences": int((tokens[:, 1:] == vocab.index[symbol]).sum())})
    return probe, pd.DataFrame(rows)


def answer_tokens(items: T.Items) -> np.ndarray:
    """Token rows with every position that is not a scored answer position set to padding."""
    out = items.tokens.copy()
    out[:, 1:][items.mask == 0] = 0
    out[:, 0] = 0
    return out


# --------------------------------------------------------------------------------------------------
# Running


def _bar(desc: str, total: int, enabled: bool, unit: str = "model"):
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, leave=True, file=sys.stderr)


class Population:
    """The data of one population configuration on top of its transfer configuration's world."""

    def __init__(self, config: PopulationConfig):
        self.config = config
        self.exp = Experiment(transfer_config(config))
        unknown = sorted(set(config.tasks) - set(self.exp.config.tasks))
        if unknown:
            raise ValueError(f"population tasks {unknown} are not tasks of the {config.transfer!r} configuration")
        self.pool = base_pool(config)
        self.plan = model_plan(config, self.pool)
        self.probe, self.probe_tokens = primitive_probe(self.exp, config.probe_per_template)
        self.sizes = {s.name: s for s in (*self.exp.config.sizes, *config.extra_sizes)}

    def bases(self, size: ModelSize, transfer_store: RunStore, store: RunStore, progress: bool) -> dict:
        """Stacked base models of one size (leading axis = seed): the transfer run's, or pretrained here."""
        template = init_runs(size, len(self.exp.vocab), [0])
        if size in self.exp.config.sizes:
            target, seeds = transfer_store, list(range(self.exp.config.seeds))
        else:
            target, seeds = store, list(range(self.config.extra_seeds))
        name = f"{size.name}/base"
        steps = self.exp.config.pretrain.steps
        with _bar(f"{size.name} pretrain", steps, progress and not target.done(name), unit="step") as bar:
            params, times = target.params(name, template, lambda: self.exp.pretrain(size, seeds, bar.update))
        return params, times

    def train_group(self, base: dict, size: ModelSize, steps: int, rows: pd.DataFrame,
                    progress=None) -> dict[str, np.ndarray]:
        """Fine-tune the plan rows of one group and score them: n_correct [runs, tasks], probe NLL."""
        cfg = self.config
        tasks = list(cfg.tasks)
        pools = [self.exp.mixture_pool(tasks, cfg.n_per_task, int(s)) for s in rows["data_seed"]]
        weights = rows[[f"w_{t}" for t in tasks]].to_numpy()
        schedules = [mixture_schedule(p.task, w, steps, cfg.batch_size,
                                      np.random.default_rng([cfg.seed, 13, int(s), REGIMES.index(r)]))
                     for p, w, s, r in zip(pools, weights, rows["data_seed"], rows["regime"])]
        params = take_runs(base, rows["base_seed"].to_numpy())
        params = train_runs(params, size, cfg.finetune_spec(steps), np.stack([p.tokens for p in pools]),
                            np.stack([p.mask for p in pools]), np.stack(schedules), min(steps, 100))
        n_correct, probe_nll = [], []
        for start in range(0, len(rows), cfg.eval_runs):
            index = np.arange(start, min(start + cfg.eval_runs, len(rows)))
            # a short last chunk repeats its last run, so every call has one shape (compiled once)
            part = take_runs(params, np.pad(index, (0, cfg.eval_runs - len(index)), mode="edge"))
            n_correct.append(np.stack([exact_match(part, size, self.exp.eval_items[t].tokens,
                                                   self.exp.eval_items[t].mask).sum(axis=1) for t in tasks],
                                      1)[: len(index)])
            nll = token_nll(part, size, self.probe.tokens)[: len(index)]
            by_token = mean_log_perplexity_by_token(nll, answer_tokens(self.probe), self.exp.vocab.symbols)
            probe_nll.append(np.stack([by_token[t] for t in self.probe_tokens["token"]], 1))
            if progress is not None:
                progress(len(index))
        return {"n_correct": np.concatenate(n_correct), "probe_nll": np.concatenate(probe_nll)}


def run_population(config: PopulationConfig, out_dir: str | Path, work_dir: str | Path,
                   transfer_work_dir: str | Path, progress: bool = True) -> dict[str, pd.DataFrame]:
    """Run (or resume) the population, write its tables to ``out_dir``, return them.

    ``work_dir`` holds this population's finished units; ``transfer_work_dir`` is the run folder of
    the transfer configuration, whose base models the population fine-tunes (trained there first
    when missing, exactly as the transfer run trains them).
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    load_start = os.getloadavg()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pop = Population(config)
    pop.exp.check_disjoint()
    transfer_store = RunStore(transfer_work_dir, C.to_yaml(pop.exp.config))
    store = RunStore(work_dir, to_yaml(config))
    seconds: dict[str, dict[str, float]] = {}
    reused: dict[str, dict[str, float]] = {}
    groups = training_groups(pop.plan, config.runs_per_group)
    results = {}
    loads = []
    for size_name in sorted(pop.plan["size"].unique(), key=lambda s: pop.sizes[s].d_model):
        size = pop.sizes[size_name]
        base, times = pop.bases(size, transfer_store, store, progress)
        if size in pop.exp.config.sizes:
            reused[f"{size_name} pretrain"] = times   # the transfer run's bases: its time, not this run's
        else:
            seconds[f"{size_name} pretrain"] = times
        mine = [g for g in groups if g[0] == size_name]
        todo = sum(len(rows) for _, steps, k, rows in mine if not store.done(f"{size_name}/steps{steps:04d}_{k:03d}"))
        total = {"wall": 0.0, "cpu": 0.0}
        with _bar(f"{size_name} fine-tune and score", todo, progress and todo > 0) as bar:
            for _, steps, k, rows in mine:
                out = store.arrays(f"{size_name}/steps{steps:04d}_{k:03d}",
                                   lambda: pop.train_group(base, size, steps, rows, bar.update))
                for kind, value in pop_times(out).items():
                    total[kind] += value
                for i, model in enumerate(rows["model"]):
                    results[model] = (out["n_correct"][i], out["probe_nll"][i])
                loads.append(os.getloadavg()[0])
        seconds[f"{size_name} fine-tune"] = total
    tables = population_tables(pop, results)
    for key, name in FILES.items():
        _write_csv(tables[key], out_dir / name)
    (out_dir / "config.yaml").write_text(to_yaml(config), encoding="utf-8")
    (out_dir / "transfer-config.yaml").write_text(C.to_yaml(pop.exp.config), encoding="utf-8")
    from evalcorr.experiment.run import environment
    total = {kind: round(sum(t[kind] for t in seconds.values()), 1) for kind in ("wall", "cpu")}
    meta = {"source": SOURCE, "config": config.name, "environment": environment(),
            "n_models": int(len(pop.plan)), "n_bases_used": int(pop.plan["base"].nunique()),
            "eval_items_per_task": {t: int(len(pop.exp.eval_items[t])) for t in config.tasks},
            "eval_disjoint_from_training": True,
            # wall and CPU seconds of each stage this population trained, added up over resumed
            # processes; the bases it reuses from the transfer run are listed apart, with that run's times
            "seconds_by_stage": {k: {kind: round(v, 1) for kind, v in t.items()} for k, t in seconds.items()},
            "seconds_total": total,
            "bases_reused_from_transfer_run": {k: {kind: round(v, 1) for kind, v in t.items()}
                                               for k, t in reused.items()},
            "this_process_seconds": round(time.perf_counter() - started, 1),
            "this_process_cpu_seconds": round(time.process_time() - cpu_started, 1),
            "this_process_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "load_average_1min": {"start": round(load_start[0], 2),
                                  "median_during": round(float(np.median(loads)), 2) if loads else None,
                                  "max_during": round(float(np.max(loads)), 2) if loads else None},
            }
    (out_dir / "run.yaml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return tables


FILES = {"scores": "scores.csv.gz", "models": "models.csv", "bases": "bases.csv", "probe": "probe.csv.gz",
         "probe_tokens": "probe_tokens.csv", "tasks": "tasks.csv"}


def population_tables(pop: Population, results: dict) -> dict[str, pd.DataFrame]:
    """The result tables (see the folder's README) from each model's (n_correct, probe NLL)."""
    cfg, exp = pop.config, pop.exp
    tasks = list(cfg.tasks)
    vocab_size = len(exp.vocab)
    pre = exp.config.pretrain
    bases = pop.pool[pop.pool["base"].isin(pop.plan["base"])].copy()
    size_rows = {}
    for name, size in pop.sizes.items():
        size_rows[name] = {"d_model": size.d_model, "n_layers": size.n_layers, "n_heads": size.n_heads,
                           "params": param_count(init_runs(size, vocab_size, [0])),
                           "flops_per_example": train_flops_per_example(size, vocab_size)}
    for column in ("d_model", "n_layers", "n_heads", "params"):
        bases[column] = bases["size"].map(lambda s: size_rows[s][column])
    bases["pretrain_steps"] = pre.steps
    bases["pretrain_examples"] = pre.steps * pre.batch_size
    bases["pretrain_flops"] = bases["size"].map(lambda s: size_rows[s]["flops_per_example"]) * pre.steps * pre.batch_size
    bases = bases[["base", "size", "seed", "d_model", "n_layers", "n_heads", "params", "pretrain_steps",
                   "pretrain_examples", "pretrain_flops", "made_by"]]

    models = pop.plan.copy()
    models["params"] = models["size"].map(lambda s: size_rows[s]["params"])
    models["finetune_examples"] = models["steps"] * cfg.batch_size
    per_example = models["size"].map(lambda s: size_rows[s]["flops_per_example"])
    models["finetune_flops"] = per_example * models["finetune_examples"]
    models["compute_flops"] = per_example * pre.steps * pre.batch_size + models["finetune_flops"]
    weight_columns = [f"w_{t}" for t in tasks]
    models = models[["model", "regime", "leaderboard", "base", "size", "params", "base_seed", "steps",
                     "finetune_examples", "finetune_flops", "compute_flops", "data_seed", *weight_columns]]

    score_rows, probe_rows = [], []
    tokens = list(pop.probe_tokens["token"])
    for model in models["model"]:
        n_correct, probe_nll = results[model]
        for task, k in zip(tasks, n_correct):
            score_rows.append({"model": model, "task": task, "n_items": len(exp.eval_items[task]),
                               "n_correct": int(k)})
        for token, value in zip(tokens, probe_nll):
            probe_rows.append({"model": model, "token": token, "mean_nll": float(value)})
    from evalcorr.experiment.run import tasks_table
    truth = tasks_table(replace(exp.config, tasks=tuple(tasks)))
    return {"scores": pd.DataFrame(score_rows), "models": models, "bases": bases,
            "probe": pd.DataFrame(probe_rows), "probe_tokens": pop.probe_tokens, "tasks": truth}


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    from evalcorr.experiment.run import _write_csv as write
    write(df, path)


def compare_population(new_dir: str | Path, reference_dir: str | Path, tolerance: float = 0.0) -> tuple[bool, str]:
    """Compare two population folders model by model: same models and plans, scores within ``tolerance``.

    ``tolerance`` is the largest accepted difference of a score (a fraction of the items).
    """
    new_dir, reference_dir = Path(new_dir), Path(reference_dir)
    new = pd.read_csv(new_dir / FILES["scores"])
    ref = pd.read_csv(reference_dir / FILES["scores"])
    merged = ref.merge(new, on=["model", "task"], how="outer", suffixes=("_ref", "_new"), indicator=True)
    only_ref = int((merged["_merge"] == "left_only").sum())
    only_new = int((merged["_merge"] == "right_only").sum())
    both = merged[merged["_merge"] == "both"]
    diff = (both["n_correct_new"] / both["n_items_new"] - both["n_correct_ref"] / both["n_items_ref"]).abs()
    worst = float(diff.max()) if len(diff) else 0.0
    changed = int((diff > 0).sum())
    plan_same = pd.read_csv(new_dir / FILES["models"]).equals(pd.read_csv(reference_dir / FILES["models"]))
    ok = only_ref == 0 and only_new == 0 and worst <= tolerance and plan_same
    report = (f"population scores compared: {len(both)}; only in reference: {only_ref}; only in new: {only_new}; "
              f"model plans {'identical' if plan_same else 'DIFFER'}; scores that differ: {changed}; largest "
              f"difference: {worst:.4f} (tolerance {tolerance}) -> {'same' if ok else 'DIFFERENT'}")
    return ok, report
