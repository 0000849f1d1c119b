"""Synthetic score tables with a planted structure, shared by the statistics tests."""

import numpy as np
import pandas as pd


def latent_factor_matrix(n_models=300, families=(("A", 4), ("B", 3), ("C", 3)), general=0.6,
                         specific=0.6, noise=0.5, missing=0.0, seed=0):
    """Synthetic models x tasks scores: a general factor, one factor per family, and noise.

    Returns ``(wide, families)``: a DataFrame (models x tasks, NaN for a ``missing`` share of cells)
    and a Series task -> family. Within-family correlations exceed between-family ones by design.
    """
    rng = np.random.default_rng(seed)
    g = rng.normal(size=n_models)
    columns, family_of = {}, {}
    for family, size in families:
        f = rng.normal(size=n_models)
        for j in range(size):
            task = f"{family.lower()}_{j}"
            columns[task] = general * g + specific * f + noise * rng.normal(size=n_models)
            family_of[task] = family
    wide = pd.DataFrame(columns, index=pd.Index([f"model-{i:04d}" for i in range(n_models)], name="model"))
    if missing:
        wide = wide.mask(rng.random(wide.shape) < missing)
    return wide, pd.Series(family_of, name="family")


def two_blocks(seed=0, n_models=150, sizes=(5, 4), noise=0.7, general=0.0):
    """Two blocks of tasks (families A and B), each driven by its own latent ability, plus noise (and a
    general factor): ``(wide, families)`` as :func:`latent_factor_matrix` returns them."""
    return latent_factor_matrix(n_models, (("A", sizes[0]), ("B", sizes[1])), general=general, specific=0.8,
                                noise=noise, seed=seed)


def noise_table(seed=0, n_models=150, n_tasks=9):
    """Independent standard normal scores: a table with no structure at all."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n_models, n_tasks)), columns=[f"t{i}" for i in range(n_tasks)])
