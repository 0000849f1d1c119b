"""`python -m evalcorr experiment`: train and score the controlled experiment (needs JAX): the transfer
matrices, then the population of fine-tuned models (``--stage transfer|population|all``).

The options are the experiment's own (:mod:`evalcorr.experiment.cli`)::

    python -m evalcorr experiment --check      # re-run the full configuration, compare with data/controlled-transfer
    python -m evalcorr experiment --quick      # the reduced configuration (minutes), tables under .experiment/
    python -m evalcorr experiment              # re-run the full configuration into data/controlled-transfer

Runs resume: finished units are kept under ``.experiment/<configuration>/`` (delete it to start afresh).
The command runs from the project root, so its default folders are the project's whatever the
working directory. After a run that rewrote the committed results, it lists the files whose sha256
no longer matches data/manifest.yaml, with the values a new release records there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from evalcorr.data.locations import PROJECT_ROOT
from evalcorr.experiment import cli as engine

SOURCES = ("controlled-transfer", "controlled-population")   # the results the stages write


def configure(parser) -> None:
    engine.add_arguments(parser)


def run(args) -> int:
    for name in ("config", "out", "work", "population_out"):   # the user's relative paths, before moving to the project root
        if getattr(args, name) is not None:
            setattr(args, name, Path(getattr(args, name)).resolve())
    os.chdir(PROJECT_ROOT)
    code = engine.run(args)
    if code == 0 and not args.check:
        _report_changes()
    return code


def _report_changes() -> None:
    """Say which committed result files differ from the manifest (a new release must record them)."""
    from evalcorr.data.fetch import changed_files
    from evalcorr.data.manifest import get_source

    for source in SOURCES:
        changed = changed_files(get_source(source))
        if changed:
            print(f"{len(changed)} file(s) of data/{source}/ differ from data/manifest.yaml; to release these "
                  "results, record in the manifest:", file=sys.stderr)
            for path, sha256, size in changed:
                print(f"  {path}: sha256 {sha256}, size {size}", file=sys.stderr)
