"""evalcorr: do LLMs learn transferable skills?

Eval correlations across models, transfer matrices from released fine-tuning experiments and
benchmark signatures, rebuilt from cached real data.

The package's folders are its layers (docs/architecture.md): ``data`` (sources, cache, tidy tables),
``stats`` (everything that computes), ``figures`` and ``text`` (pictures and words of the numbers),
``render`` (the publisher) and ``cli`` (the command line). The public data API is re-exported here,
loaded lazily so that ``import evalcorr`` stays cheap:

>>> import evalcorr
>>> scores = evalcorr.load_scores("helm-mmlu")            # doctest: +SKIP
>>> wide = evalcorr.load_wide("open-llm-leaderboard-v2")  # doctest: +SKIP
"""

from importlib import import_module

__version__ = "0.2.0"

_PUBLIC = {
    "load_scores": "evalcorr.data.loaders",
    "load_wide": "evalcorr.data.loaders",
    "load_transfer": "evalcorr.data.loaders",
    "load_families": "evalcorr.data.loaders",
    "load_ground_truth": "evalcorr.data.loaders",
    "load_item_outcomes": "evalcorr.data.loaders",
    "load_source_file": "evalcorr.data.loaders",
    "snapshots": "evalcorr.data.loaders",
    "task_set_overlap": "evalcorr.data.loaders",
    "get_source": "evalcorr.data.manifest",
    "read_eee": "evalcorr.data.eee",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'evalcorr' has no attribute {name!r}")
