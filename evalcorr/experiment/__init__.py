"""The controlled-transfer experiment: small transformers trained here, in JAX, on made-up tasks.

A data producer: it trains and scores models and writes result tables; it never imports the
package's statistics, figures or rendering. Needs the ``experiment`` extra (JAX, Optax).

Modules, one job each: :mod:`~evalcorr.experiment.tasks` (alphabet, primitives, tasks, splits),
:mod:`~evalcorr.experiment.model` (the transformer), :mod:`~evalcorr.experiment.train` (vmapped,
jitted training and evaluation), :mod:`~evalcorr.experiment.protocol` (the stages of the transfer
protocol), :mod:`~evalcorr.experiment.config` (configurations), :mod:`~evalcorr.experiment.store`
(resumable run storage), :mod:`~evalcorr.experiment.sanity` (acceptance checks),
:mod:`~evalcorr.experiment.run` (the runner and its tables), and
:mod:`~evalcorr.experiment.population` (a population of fine-tunes of the base models, a leaderboard
whose truth is known). Command line::

    python -m evalcorr.experiment [--quick] [--config FILE] [--out DIR] [--check] [--stage transfer|population|all]
"""
