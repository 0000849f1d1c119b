"""Configurations of the controlled-transfer experiment: full, quick and mini, and their YAML form.

Every number that shapes the experiment is a field here, so that the YAML file committed beside the
results is enough to re-run them.

Example
-------
>>> from evalcorr.experiment.config import preset, to_yaml, from_yaml
>>> cfg = preset("mini")
>>> from_yaml(to_yaml(cfg)) == cfg
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import yaml

from evalcorr.experiment.model import ModelSize


@dataclass(frozen=True)
class TrainSpec:
    """One training stage: steps of AdamW on batches drawn from the stage's examples.

    ``batch_size`` larger than the number of examples means full-batch steps (the few-B stage).
    ``schedule`` is ``constant`` (after ``warmup`` linear steps) or ``cosine`` (decays to 10 %).
    """

    steps: int
    batch_size: int
    learning_rate: float
    warmup: int = 0
    schedule: str = "constant"
    weight_decay: float = 0.0
    clip_norm: float = 1.0


@dataclass(frozen=True)
class ExperimentConfig:
    """The whole experiment: tasks, sizes, seeds, item counts and the three training stages."""

    name: str
    tasks: tuple[str, ...]
    sizes: tuple[ModelSize, ...]
    seeds: int
    world_seed: int = 0           # the target world's tables; distractor worlds use world_seed + k
    split_seed: int = 0           # which items are held out
    pretrain_worlds: int = 3      # distractor worlds in the pretraining mixture
    n_eval_items: int = 500       # held-out items per task
    n_pool_items: int = 2000      # training pool per prompt form; each seed draws from it
    n_a_examples: int = 200       # examples of A (the post's ~200)
    n_b_examples: int = 10        # the few examples of B
    pretrain: TrainSpec = TrainSpec(3000, 64, 3e-3, warmup=200, schedule="cosine", weight_decay=0.01)
    finetune_a: TrainSpec = TrainSpec(300, 32, 1e-3, warmup=20)
    finetune_b: TrainSpec = TrainSpec(20, 10, 3e-4)
    runs_per_group: int = 100     # runs trained together in one vmapped, jitted call
    chunk_steps: int = 100        # steps per compiled call (progress granularity)

    @property
    def task_list(self) -> list[str]:
        return list(self.tasks)


ALL_TASKS = ("encode", "coded_parent", "pairmax", "nummax", "fake_sum", "parent", "grandparent",
             "secret", "encode_copy", "parent_shuffled")

SIZES = (ModelSize("ct-s", 32, 2, 2), ModelSize("ct-m", 64, 2, 4), ModelSize("ct-l", 128, 2, 4))

PRESETS: dict[str, ExperimentConfig] = {
    "full": ExperimentConfig(name="full", tasks=ALL_TASKS, sizes=SIZES, seeds=10),
    "quick": ExperimentConfig(
        name="quick", tasks=("encode", "secret", "nummax", "fake_sum", "parent", "encode_copy",
                             "parent_shuffled"),
        sizes=SIZES[:2], seeds=2,
        n_eval_items=200, n_pool_items=600,
        pretrain=TrainSpec(2000, 64, 3e-3, warmup=200, schedule="cosine", weight_decay=0.01)),
    "mini": ExperimentConfig(
        name="mini", tasks=("encode", "encode_copy", "parent_shuffled"),
        sizes=(ModelSize("ct-xs", 16, 1, 2),), seeds=2, pretrain_worlds=1,
        n_eval_items=200, n_pool_items=300, n_a_examples=100,
        pretrain=TrainSpec(200, 32, 3e-3, warmup=20, schedule="cosine"),
        finetune_a=TrainSpec(200, 32, 3e-3, warmup=10),
        finetune_b=TrainSpec(10, 10, 1e-3), runs_per_group=6, chunk_steps=100),
    # the base models of the miniature population (evalcorr.experiment.population, its tests): two
    # primitives planted in four tasks (cipher: encode and its copy; numerals: pairmax and nummax)
    "mini-population": ExperimentConfig(
        name="mini-population", tasks=("encode", "encode_copy", "pairmax", "nummax"),
        sizes=(ModelSize("ct-xs", 32, 1, 2),), seeds=2, pretrain_worlds=1,
        n_eval_items=200, n_pool_items=300,
        pretrain=TrainSpec(400, 32, 3e-3, warmup=20, schedule="cosine"), chunk_steps=100),
}


def preset(name: str) -> ExperimentConfig:
    """A named configuration: ``full``, ``quick``, or ``mini`` and ``mini-population`` (the test suite's)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown configuration {name!r}; choose one of {sorted(PRESETS)}") from None


def known_keys(data: dict, cls, what: str) -> dict:
    """`data` when each of its keys is a field of the dataclass `cls`; an error naming the others if not."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {what} key(s) {unknown}; known: {sorted(known)}")
    return data


def to_yaml(config: ExperimentConfig) -> str:
    data = asdict(config)
    data["tasks"] = list(config.tasks)
    data["sizes"] = [asdict(s) for s in config.sizes]
    return yaml.safe_dump(data, sort_keys=False)


def from_yaml(text: str) -> ExperimentConfig:
    """Parse a configuration; unknown keys are an error, missing keys take the defaults."""
    data = known_keys(yaml.safe_load(text), ExperimentConfig, "configuration")
    for key in ("pretrain", "finetune_a", "finetune_b"):
        if key in data:
            data[key] = TrainSpec(**data[key])
    data["tasks"] = tuple(data["tasks"])
    data["sizes"] = tuple(ModelSize(**s) for s in data["sizes"])
    return ExperimentConfig(**data)


def load(path: str | Path) -> ExperimentConfig:
    return from_yaml(Path(path).read_text(encoding="utf-8"))


def save(config: ExperimentConfig, path: str | Path) -> None:
    Path(path).write_text(to_yaml(config), encoding="utf-8")


__all__ = ["TrainSpec", "ExperimentConfig", "ModelSize", "preset", "load", "save", "to_yaml",
           "from_yaml", "replace", "field"]
