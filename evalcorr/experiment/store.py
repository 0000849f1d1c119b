"""A folder of finished stage results, so that an interrupted experiment resumes where it stopped.

Each finished unit of work (a stage's trained parameters, a stage's item outcomes) is one ``.npz``
file written atomically (temporary file, then rename); a unit whose file exists is loaded instead
of recomputed. The folder records the configuration that filled it and refuses another one.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import jax
import numpy as np


class RunStore:
    """Finished units of one experiment configuration, under ``root``."""

    def __init__(self, root: str | Path, config_text: str):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = self.root / "config.yaml"
        if stamp.exists() and stamp.read_text(encoding="utf-8") != config_text:
            raise RuntimeError(f"{self.root} holds runs of another configuration; pass another work "
                               "folder, or delete this one to start afresh")
        stamp.write_text(config_text, encoding="utf-8")

    def path(self, name: str) -> Path:
        return self.root / f"{name}.npz"

    def done(self, name: str) -> bool:
        return self.path(name).exists()

    def _save(self, name: str, arrays: dict[str, np.ndarray]) -> None:
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, target)

    def arrays(self, name: str, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """The stored arrays of unit ``name``, computed (and timed) first if absent.

        The wall seconds spent computing are stored as ``_seconds`` (and the process's CPU seconds
        as ``_cpu_seconds``), so times add up across resumes.
        """
        if not self.done(name):
            start, cpu = time.perf_counter(), time.process_time()
            result = {k: np.asarray(v) for k, v in compute().items()}
            result["_seconds"] = np.asarray(time.perf_counter() - start)
            result["_cpu_seconds"] = np.asarray(time.process_time() - cpu)
            self._save(name, result)
        with np.load(self.path(name)) as data:
            return {k: data[k] for k in data.files}

    def params(self, name: str, template: dict, compute: Callable[[], dict]) -> tuple[dict, dict]:
        """Stacked parameters of unit ``name`` (pytree shaped like ``template``) and its times."""
        def flat():
            leaves = jax.tree_util.tree_leaves(jax.block_until_ready(compute()))
            return {f"leaf{i:03d}": np.asarray(x) for i, x in enumerate(leaves)}
        stored = self.arrays(name, flat)
        leaves = [stored[f"leaf{i:03d}"] for i in range(len(jax.tree_util.tree_leaves(template)))]
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(template), leaves), pop_times(stored)


def pop_times(arrays: dict) -> dict[str, float]:
    """Remove and return the times stored with a unit: {"wall": seconds, "cpu": seconds}."""
    return {"wall": float(arrays.pop("_seconds", 0.0)), "cpu": float(arrays.pop("_cpu_seconds", 0.0))}
