"""A small decoder-only transformer in plain JAX: parameters are a dict of arrays (a pytree).

Pre-layer-norm blocks of causal multi-head self-attention and a GELU MLP, learned token and position
embeddings, and an output projection tied to the token embedding. Written without a layer library so
that the whole model fits on one screen; gradients come from ``jax.grad``.

Example
-------
>>> import jax
>>> from evalcorr.experiment.model import ModelSize, init_params, forward, param_count
>>> size = ModelSize("tiny", d_model=16, n_layers=1, n_heads=2)
>>> params = init_params(size, vocab_size=40, seq_len=12, key=jax.random.PRNGKey(0))
>>> forward(params, jax.numpy.zeros((3, 11), dtype="int32"), n_heads=2).shape
(3, 11, 40)
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp


@dataclass(frozen=True)
class ModelSize:
    """Shape of one model size: width, depth and attention heads (the MLP is 4x wide)."""

    name: str
    d_model: int
    n_layers: int
    n_heads: int


def init_params(size: ModelSize, vocab_size: int, seq_len: int, key: jax.Array) -> dict:
    """Random initial parameters: normal(0, 0.02) weights, zero biases, unit layer-norm gains."""
    d, n = size.d_model, size.n_layers
    keys = jax.random.split(key, 2 + 4 * n)

    def normal(k, shape, scale=0.02):
        return scale * jax.random.normal(k, shape, dtype=jnp.float32)

    # residual-branch outputs scaled down with depth (GPT-2's initialisation)
    out_scale = 0.02 / (2 * n) ** 0.5
    params = {
        "tok": normal(keys[0], (vocab_size, d)),
        "pos": normal(keys[1], (seq_len, d)),
        "ln_f": {"g": jnp.ones(d), "b": jnp.zeros(d)},
        "blocks": [],
    }
    for i in range(n):
        k_qkv, k_o, k_up, k_down = keys[2 + 4 * i: 6 + 4 * i]
        params["blocks"].append({
            "ln1": {"g": jnp.ones(d), "b": jnp.zeros(d)},
            "qkv": normal(k_qkv, (d, 3 * d)),
            "o": normal(k_o, (d, d), out_scale),
            "ln2": {"g": jnp.ones(d), "b": jnp.zeros(d)},
            "up": normal(k_up, (d, 4 * d)),
            "up_b": jnp.zeros(4 * d),
            "down": normal(k_down, (4 * d, d), out_scale),
            "down_b": jnp.zeros(d),
        })
    return params


def param_count(params: dict) -> int:
    """Number of scalar parameters (of one model; stacked runs count once per leading index)."""
    return int(sum(x.size for x in jax.tree_util.tree_leaves(params)))


def _layer_norm(x: jax.Array, p: dict) -> jax.Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + 1e-5) * p["g"] + p["b"]


def _attention(x: jax.Array, block: dict, n_heads: int) -> jax.Array:
    batch, length, d = x.shape
    q, k, v = jnp.split(x @ block["qkv"], 3, axis=-1)
    heads = lambda t: t.reshape(batch, length, n_heads, d // n_heads)
    q, k, v = heads(q), heads(k), heads(v)
    scores = jnp.einsum("bqhc,bkhc->bhqk", q, k) / jnp.sqrt(d // n_heads).astype(x.dtype)
    causal = jnp.tril(jnp.ones((length, length), dtype=bool))
    scores = jnp.where(causal, scores, jnp.finfo(x.dtype).min)
    mixed = jnp.einsum("bhqk,bkhc->bqhc", jax.nn.softmax(scores, axis=-1), v)
    return mixed.reshape(batch, length, d) @ block["o"]


def forward(params: dict, tokens: jax.Array, n_heads: int) -> jax.Array:
    """Next-token logits, shape ``tokens.shape + (vocab,)``, for int tokens of shape (batch, length)."""
    x = params["tok"][tokens] + params["pos"][: tokens.shape[1]]
    for block in params["blocks"]:
        x = x + _attention(_layer_norm(x, block["ln1"]), block, n_heads)
        h = jax.nn.gelu(_layer_norm(x, block["ln2"]) @ block["up"] + block["up_b"])
        x = x + h @ block["down"] + block["down_b"]
    return _layer_norm(x, params["ln_f"]) @ params["tok"].T
