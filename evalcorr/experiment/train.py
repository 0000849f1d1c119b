"""Training and evaluation of many small models at once: jitted steps vmapped over runs.

A *run* is one model being trained. Runs are stacked along a leading axis (parameters, optimiser
state, examples, batch schedule), and one compiled call advances all of them by ``chunk`` steps
(a ``lax.scan`` of the AdamW step inside ``vmap`` inside ``jit``). The same functions serve the
pairwise transfer protocol and later populations (a mixture is just a pool plus a schedule).

Exact match is computed in one teacher-forced pass: greedy decoding reproduces the answer exactly
iff the argmax at every answer position (and at the end token) is the target, given the correct
prefix. :func:`greedy_decode` decodes step by step and is used by the tests to confirm it.

Example
-------
>>> import numpy as np, jax
>>> from evalcorr.experiment.model import ModelSize
>>> from evalcorr.experiment.config import TrainSpec
>>> from evalcorr.experiment.train import init_runs, train_runs, exact_match
>>> size = ModelSize("tiny", 16, 1, 2)
>>> params = init_runs(size, vocab_size=40, seeds=[0, 1])
>>> tokens = np.ones((2, 8, 12), dtype="int32"); mask = np.ones((2, 8, 11), dtype="float32")
>>> schedule = np.zeros((2, 5, 4), dtype="int32")
>>> params = train_runs(params, size, TrainSpec(5, 4, 1e-2), tokens, mask, schedule)
>>> exact_match(params, size, tokens[0], mask[0]).shape
(2, 8)
"""

from __future__ import annotations

import functools
import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from evalcorr.experiment.config import TrainSpec
from evalcorr.experiment.model import ModelSize, forward, init_params
from evalcorr.experiment.tasks import SEQ_LEN

EVAL_CHUNK = 512  # items per evaluation call (bounds activation memory)


# --------------------------------------------------------------------------------------------------
# Parameters and optimiser


def init_runs(size: ModelSize, vocab_size: int, seeds: list[int]) -> dict:
    """Stacked initial parameters, one model per seed (leading axis = run)."""
    keys = jnp.stack([jax.random.PRNGKey(s) for s in seeds])
    return jax.vmap(lambda k: init_params(size, vocab_size, SEQ_LEN, k))(keys)


def take_runs(params: dict, index) -> dict:
    """The runs ``index`` (ints) of stacked parameters, e.g. to start several runs from one model."""
    index = jnp.asarray(index)
    return jax.tree_util.tree_map(lambda x: x[index], params)


def concat_runs(parts: list[dict]) -> dict:
    return jax.tree_util.tree_map(lambda *xs: jnp.concatenate(xs), *parts)


def optimizer(spec: TrainSpec) -> optax.GradientTransformation:
    """AdamW with gradient clipping and the spec's learning-rate schedule."""
    if spec.schedule == "cosine":
        lr = optax.warmup_cosine_decay_schedule(0.0, spec.learning_rate, max(spec.warmup, 1),
                                                spec.steps, end_value=0.1 * spec.learning_rate)
    elif spec.schedule == "constant":
        lr = optax.join_schedules([optax.linear_schedule(0.0, spec.learning_rate, max(spec.warmup, 1)),
                                   optax.constant_schedule(spec.learning_rate)], [max(spec.warmup, 1)]) \
            if spec.warmup else spec.learning_rate
    else:
        raise ValueError(f"unknown schedule {spec.schedule!r}; use 'constant' or 'cosine'")
    return optax.chain(optax.clip_by_global_norm(spec.clip_norm),
                       optax.adamw(lr, weight_decay=spec.weight_decay))


def masked_loss(params: dict, tokens: jax.Array, mask: jax.Array, n_heads: int) -> jax.Array:
    """Mean cross-entropy over the masked (answer) positions of a batch."""
    logits = forward(params, tokens[:, :-1], n_heads)
    nll = optax.softmax_cross_entropy_with_integer_labels(logits, tokens[:, 1:])
    return (nll * mask).sum() / jnp.maximum(mask.sum(), 1.0)


# --------------------------------------------------------------------------------------------------
# Training


@functools.lru_cache(maxsize=None)
def _compiled_chunk(n_heads: int, spec: TrainSpec) -> Callable:
    """jit(vmap(scan of AdamW steps)) for one head count and stage spec (cached: compiled once)."""
    opt = optimizer(spec)

    def one_run(params, opt_state, tokens, mask, schedule):
        def step(carry, batch_index):
            p, s = carry
            loss, grads = jax.value_and_grad(masked_loss)(p, tokens[batch_index], mask[batch_index], n_heads)
            updates, s = opt.update(grads, s, p)
            return (optax.apply_updates(p, updates), s), loss
        (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), schedule)
        return params, opt_state, losses

    return jax.jit(jax.vmap(one_run))


def train_runs(params: dict, size: ModelSize, spec: TrainSpec, tokens: np.ndarray, mask: np.ndarray,
               schedule: np.ndarray, chunk: int = 100, progress: Callable[[int], None] | None = None,
               losses: list | None = None) -> dict:
    """Train stacked runs: run ``r`` takes batch ``tokens[r, schedule[r, t]]`` at step ``t``.

    Parameters
    ----------
    params : stacked parameters, leading axis = run.
    tokens, mask : [runs, examples, SEQ_LEN] items and [runs, examples, SEQ_LEN - 1] loss masks.
    schedule : [runs, steps, batch] example indices (see :func:`epoch_schedule`, :func:`mixture_schedule`).
    chunk : steps per compiled call; ``progress(k)`` is called after every chunk with k steps done.
    losses : if a list is given, each chunk's mean loss per run ([runs] array) is appended.
    """
    step_fn = _compiled_chunk(size.n_heads, spec)
    opt_state = jax.vmap(optimizer(spec).init)(params)
    tokens, mask = jnp.asarray(tokens), jnp.asarray(mask)
    steps = schedule.shape[1]
    for start in range(0, steps, chunk):
        part = jnp.asarray(schedule[:, start: start + chunk])
        params, opt_state, chunk_losses = step_fn(params, opt_state, tokens, mask, part)
        if losses is not None:
            losses.append(np.asarray(chunk_losses.mean(axis=1)))
        if progress is not None:
            jax.block_until_ready(params)  # calls return before computing; wait so the bar is honest
            progress(part.shape[1])
    return params


def epoch_schedule(n_examples: int, steps: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """[steps, batch] indices that go through the examples in shuffled epochs (full batch if small)."""
    if batch >= n_examples:
        return np.tile(np.arange(n_examples, dtype=np.int32), (steps, 1))
    need = steps * batch
    order = np.concatenate([rng.permutation(n_examples) for _ in range(-(-need // n_examples))])
    return order[:need].reshape(steps, batch).astype(np.int32)


def mixture_schedule(example_task: np.ndarray, weights: np.ndarray, steps: int, batch: int,
                     rng: np.random.Generator) -> np.ndarray:
    """[steps, batch] indices drawn from a pool of several tasks with the given task weights.

    ``example_task[i]`` is the task index of pool example ``i``; each draw picks a task with
    probability ``weights`` (normalised), then an example of that task uniformly.
    """
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    by_task = [np.flatnonzero(example_task == k) for k in range(len(weights))]
    if any(len(ix) == 0 for ix, w in zip(by_task, weights) if w > 0):
        raise ValueError("a task with positive weight has no examples in the pool")
    tasks = rng.choice(len(weights), size=steps * batch, p=weights)
    out = np.empty(steps * batch, dtype=np.int32)
    for k, ix in enumerate(by_task):
        hit = tasks == k
        if hit.any():
            out[hit] = ix[rng.integers(0, len(ix), hit.sum())]
    return out.reshape(steps, batch)


# --------------------------------------------------------------------------------------------------
# Evaluation


@functools.lru_cache(maxsize=None)
def _compiled_correct(n_heads: int, shared_items: bool) -> Callable:
    def one_run(params, tokens, mask):
        predicted = jnp.argmax(forward(params, tokens[:, :-1], n_heads), axis=-1)
        return jnp.all((predicted == tokens[:, 1:]) | (mask == 0), axis=-1)
    return jax.jit(jax.vmap(one_run, in_axes=(0, None, None) if shared_items else (0, 0, 0)))


def exact_match(params: dict, size: ModelSize, tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[runs, items] bool: greedy decoding gives exactly the answer and then stops.

    ``tokens``/``mask`` are either shared by all runs ([items, ...]) or per run ([runs, items, ...]).
    """
    shared = tokens.ndim == 2
    fn = _compiled_correct(size.n_heads, shared)
    axis = 0 if shared else 1
    parts = []
    for start in range(0, tokens.shape[axis], EVAL_CHUNK):
        sl = (slice(None),) * axis + (slice(start, start + EVAL_CHUNK),)
        parts.append(np.asarray(fn(params, jnp.asarray(tokens[sl]), jnp.asarray(mask[sl]))))
    return np.concatenate(parts, axis=1)


@functools.lru_cache(maxsize=None)
def _compiled_decode(n_heads: int, prompt_len: int, n_new: int) -> Callable:
    def one_run(params, tokens):
        def step(toks, position):
            logits = forward(params, toks[:, :-1], n_heads)
            nxt = jnp.argmax(logits[:, position - 1], axis=-1).astype(toks.dtype)
            return toks.at[:, position].set(nxt), None
        blank = tokens.at[:, prompt_len:].set(0)
        out, _ = jax.lax.scan(step, blank, jnp.arange(prompt_len, prompt_len + n_new))
        return out
    return jax.jit(jax.vmap(one_run, in_axes=(0, None)))


def greedy_decode(params: dict, size: ModelSize, tokens: np.ndarray, prompt_len: int, n_new: int) -> np.ndarray:
    """[runs, items, SEQ_LEN] tokens: each run's greedy continuation of the prompts, ``n_new`` tokens.

    ``tokens`` are items of one prompt form ([items, SEQ_LEN]); everything from ``prompt_len`` on is
    replaced by the model's own output, one token at a time.
    """
    return np.asarray(_compiled_decode(size.n_heads, prompt_len, n_new)(params, jnp.asarray(tokens)))


# --------------------------------------------------------------------------------------------------
# Per-token log-perplexity (for benchmark signatures)


@functools.lru_cache(maxsize=None)
def _compiled_nll(n_heads: int) -> Callable:
    def one_run(params, tokens):
        logits = forward(params, tokens[:, :-1], n_heads)
        return optax.softmax_cross_entropy_with_integer_labels(logits, tokens[:, 1:])
    return jax.jit(jax.vmap(one_run, in_axes=(0, None)))


def token_nll(params: dict, size: ModelSize, tokens: np.ndarray) -> np.ndarray:
    """[runs, items, SEQ_LEN - 1] negative log-likelihood (nats) of each next token of a probe corpus."""
    fn = _compiled_nll(size.n_heads)
    parts = [np.asarray(fn(params, jnp.asarray(tokens[s: s + EVAL_CHUNK])))
             for s in range(0, len(tokens), EVAL_CHUNK)]
    return np.concatenate(parts, axis=1)


def mean_log_perplexity_by_token(nll: np.ndarray, tokens: np.ndarray, symbols: list[str]) -> dict[str, np.ndarray]:
    """Mean log-perplexity per token type: {symbol: [runs] mean NLL over that symbol's occurrences}.

    Every non-padding predicted token of the probe corpus counts once; symbols absent from the
    corpus are left out.
    """
    target = tokens[:, 1:]
    out = {}
    for token_id, symbol in enumerate(symbols):
        hit = target == token_id
        if token_id == 0 or not hit.any():
            continue
        out[symbol] = nll[:, hit].mean(axis=1)
    return out


# --------------------------------------------------------------------------------------------------
# Throughput against the machine's limit


def train_flops_per_example(size: ModelSize, vocab_size: int) -> float:
    """Matmul FLOPs of one training example (forward + backward = 3x forward), analytic count."""
    d, n, t = size.d_model, size.n_layers, SEQ_LEN - 1
    per_token_forward = 2 * n * (12 * d * d) + 2 * d * vocab_size   # projections, MLP, logits
    attention = 2 * n * 2 * t * t * d                                # scores and mixing, per example
    return 3.0 * (t * per_token_forward + attention)


def bench_throughput(size: ModelSize, vocab_size: int = 80, runs: int = 20, batch: int = 32,
                     steps: int = 50, matmul_n: int = 2048, repeats: int = 3) -> dict:
    """Achieved FLOP/s of the vmapped train step against a large jitted matmul's FLOP/s here.

    Returns a dict with ``train_flops_per_s``, ``matmul_flops_per_s`` and their ``ratio`` (median
    over ``repeats`` timed calls after one compiling call).
    """
    rng = np.random.default_rng(0)
    params = init_runs(size, vocab_size, list(range(runs)))
    tokens = rng.integers(1, vocab_size, (runs, 256, SEQ_LEN)).astype(np.int32)
    mask = np.ones((runs, 256, SEQ_LEN - 1), dtype=np.float32)
    schedule = rng.integers(0, 256, (runs, steps, batch)).astype(np.int32)
    spec = TrainSpec(steps, batch, 1e-3)

    def timed(fn) -> float:
        jax.block_until_ready(fn())
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            jax.block_until_ready(fn())
            times.append(time.perf_counter() - start)
        return float(np.median(times))

    train_s = timed(lambda: train_runs(params, size, spec, tokens, mask, schedule, chunk=steps))
    a = jnp.asarray(rng.standard_normal((matmul_n, matmul_n)), dtype=jnp.float32)
    matmul = jax.jit(lambda x: x @ x)
    matmul_s = timed(lambda: matmul(a))
    train_rate = train_flops_per_example(size, vocab_size) * runs * steps * batch / train_s
    matmul_rate = 2.0 * matmul_n ** 3 / matmul_s
    return {"model": size.name, "runs": runs, "batch": batch, "steps": steps,
            "train_flops_per_s": train_rate, "matmul_flops_per_s": matmul_rate,
            "ratio": train_rate / matmul_rate}
