"""The transfer protocol of the Babbage/Davinci post, with seeds: data of every stage and the stages.

Per model size and seed:

1. ``pretrain``: a base model trained on the generic mixture (every template in the distractor
   worlds), so it knows every input/output format but none of the target world's tables;
2. ``untuned``: the base model scored on every task;
3. ``after_A``: the base fine-tuned on ``n_a_examples`` of task A, scored on every task B;
4. ``B_only``: the base fine-tuned on ``n_b_examples`` of B alone, scored on B (the baseline);
5. ``after_A_then_B``: the after-A model fine-tuned on the same few examples of B, scored on B.

The few examples of B for a seed are the same in stages 4 and 5 (a paired design). Every draw of
data depends only on the seed and the task name, never on the model size (same data at each size).
All held-out items are checked to be absent from every training set (:meth:`Experiment.check_disjoint`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from evalcorr.experiment import tasks as T
from evalcorr.experiment.config import ExperimentConfig
from evalcorr.experiment.model import ModelSize
from evalcorr.experiment.train import (epoch_schedule, exact_match, init_runs, take_runs,
                                       train_runs)

# stage codes mixed into data seeds, so that every stage draws independently
_DRAW = {"pretrain": 1, "a": 2, "b": 3, "mixture": 4, "probe": 5}


@dataclass(frozen=True)
class Run:
    """One fine-tuning run of a stage: its seed, the index of the model it starts from, its task."""

    seed: int
    start: int
    task: str


class Experiment:
    """The data of one configuration: vocabulary, worlds, splits, held-out items, training pools."""

    def __init__(self, config: ExperimentConfig):
        self.config = config
        self.tasks = [T.TARGET_TASKS[name] for name in config.tasks]
        self.vocab = T.Vocabulary(list(config.tasks) + T.pretraining_task_names(config.pretrain_worlds))
        self.world = T.World.from_seed(config.world_seed)
        self.splits = T.make_splits(config.n_eval_items, config.n_pool_items, config.split_seed)
        self.eval_items = {t.name: T.make_items(t, self.world, self.vocab, T.split_of(t, self.splits).eval_codes)
                           for t in self.tasks}
        self.pools = {t.name: T.make_items(t, self.world, self.vocab, T.split_of(t, self.splits).pool_codes)
                      for t in self.tasks}

    # ---- data draws -----------------------------------------------------------------------------

    def _rng(self, kind: str, seed: int, task: str = "") -> np.random.Generator:
        return np.random.default_rng([self.config.split_seed, _DRAW[kind], seed, T._stable_int(task)])

    def pretraining_items(self, seed: int) -> T.Items:
        """The pretraining corpus of one seed: ``steps x batch`` items, read in order."""
        spec = self.config.pretrain
        items, _ = T.pretraining_corpus(self.config.pretrain_worlds, self.config.world_seed, self.vocab,
                                        spec.steps * spec.batch_size, self.splits, self._rng("pretrain", seed))
        return items

    def a_examples(self, task: str, seed: int) -> T.Items:
        pool = self.pools[task]
        return pool.take(self._rng("a", seed, task).choice(len(pool), self.config.n_a_examples, replace=False))

    def b_examples(self, task: str, seed: int) -> T.Items:
        pool = self.pools[task]
        return pool.take(self._rng("b", seed, task).choice(len(pool), self.config.n_b_examples, replace=False))

    def mixture_pool(self, tasks: list[str], n_per_task: int, seed: int, _draw: str = "mixture") -> T.Items:
        """Training examples of several tasks in one pool, ``task`` = index into ``tasks``.

        With :func:`~evalcorr.experiment.train.mixture_schedule` (task weights) and
        :func:`~evalcorr.experiment.train.train_runs` this trains a model on a weighted mixture.
        """
        parts = []
        for k, name in enumerate(tasks):
            pool = self.pools[name]
            items = pool.take(self._rng(_draw, seed, name).choice(len(pool), n_per_task, replace=False))
            items.task = np.full(n_per_task, k)
            parts.append(items)
        return T.concat(parts)

    def probe_corpus(self, n_per_task: int, seed: int = 0) -> T.Items:
        """A fixed corpus of training-pool items of every task, for per-token log-perplexity."""
        return self.mixture_pool(list(self.config.tasks), n_per_task, seed, _draw="probe")

    def check_disjoint(self) -> None:
        """Raise unless no held-out prompt occurs in any training set of any stage and seed."""
        template = {t.name: t.template for t in self.tasks}
        train = []
        for seed in range(self.config.seeds):
            corpus = self.pretraining_items(seed)
            for i, name in enumerate(T.pretraining_task_names(self.config.pretrain_worlds)):
                train.append((corpus.take(corpus.task == i), T.TEMPLATES[name.split(":", 1)[1]]))
            for t in self.tasks:
                train.append((self.a_examples(t.name, seed), t.template))
                train.append((self.b_examples(t.name, seed), t.template))
                train.append((self.pools[t.name], t.template))  # anything later drawn for training
        T.check_disjoint({n: (items, template[n]) for n, items in self.eval_items.items()}, train)

    # ---- stages ---------------------------------------------------------------------------------

    def pretrain(self, size: ModelSize, seeds: list[int], progress: Callable | None = None,
                 losses: list | None = None) -> dict:
        """Base models, one per seed (stacked)."""
        spec = self.config.pretrain
        corpora = [self.pretraining_items(s) for s in seeds]
        tokens = np.stack([c.tokens for c in corpora])
        mask = np.stack([c.mask for c in corpora])
        schedule = np.tile(np.arange(spec.steps * spec.batch_size, dtype=np.int32).reshape(
            spec.steps, spec.batch_size), (len(seeds), 1, 1))
        params = init_runs(size, len(self.vocab), [1000 + s for s in seeds])
        return train_runs(params, size, spec, tokens, mask, schedule, self.config.chunk_steps, progress, losses)

    def finetune(self, start_params: dict, size: ModelSize, runs: list[Run], stage: str,
                 progress: Callable | None = None) -> dict:
        """Fine-tune ``start_params[run.start]`` on the run's examples of its task (``stage`` a or b)."""
        spec = self.config.finetune_a if stage == "a" else self.config.finetune_b
        draw = self.a_examples if stage == "a" else self.b_examples
        examples = [draw(r.task, r.seed) for r in runs]
        schedules = [epoch_schedule(len(e), spec.steps, spec.batch_size,
                                    self._rng(stage, r.seed, "order:" + r.task))
                     for e, r in zip(examples, runs)]
        params = take_runs(start_params, [r.start for r in runs])
        return train_runs(params, size, spec, np.stack([e.tokens for e in examples]),
                          np.stack([e.mask for e in examples]), np.stack(schedules),
                          self.config.chunk_steps, progress)

    def score_all_tasks(self, params: dict, size: ModelSize) -> dict[str, np.ndarray]:
        """{task: [runs, items] bool} exact match of every run on every task's held-out items."""
        return {name: exact_match(params, size, items.tokens, items.mask)
                for name, items in self.eval_items.items()}

    def score_own_task(self, params: dict, size: ModelSize, runs: list[Run]) -> np.ndarray:
        """[runs, items] bool exact match of each run on its own task's held-out items."""
        tokens = np.stack([self.eval_items[r.task].tokens for r in runs])
        mask = np.stack([self.eval_items[r.task].mask for r in runs])
        return exact_match(params, size, tokens, mask)
