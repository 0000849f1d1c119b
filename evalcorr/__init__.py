"""evalcorr: do LLMs learn transferable skills?

Eval correlations across models, transfer matrices from released fine-tuning experiments and
benchmark signatures, rebuilt from cached real data.

The public data API is loaded lazily so that ``import evalcorr`` stays cheap:

>>> import evalcorr
>>> scores = evalcorr.load_scores("helm-mmlu")            # doctest: +SKIP
>>> wide = evalcorr.load_wide("open-llm-leaderboard-v2")  # doctest: +SKIP
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "load_scores": "evalcorr.loaders",
    "load_wide": "evalcorr.loaders",
    "load_transfer": "evalcorr.loaders",
    "load_families": "evalcorr.loaders",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'evalcorr' has no attribute {name!r}")
