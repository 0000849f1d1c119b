"""Command line: ``python -m evalcorr COMMAND ...``.

Each command lives in its own module of this package (``evalcorr.cli.corr``, ...) with two functions,
``configure(parser)`` (adds its arguments) and ``run(args) -> int``. Only the invoked command's
module is imported, so a slow import in one command never slows down another.
"""

import argparse
import sys
from importlib import import_module

COMMANDS = {
    "data": ("evalcorr.cli.data", "build the verified data cache from the mirror or upstream"),
    "sources": ("evalcorr.cli.sources", "list every data source with its size, licence and cache state"),
    "corr": ("evalcorr.cli.corr", "write a task x task correlation matrix as CSV"),
    "transfer": ("evalcorr.cli.transfer", "write a transfer matrix as CSV"),
    "experiment": ("evalcorr.cli.experiment", "train and score the controlled experiment: transfer matrices and a population of models (needs JAX)"),
    "signatures": ("evalcorr.cli.signatures", "forward-selected predictors of one task as CSV"),
    "render": ("evalcorr.cli.render", "render the site and the PDF (Quarto, or the offline renderer)"),
    "report": ("evalcorr.cli.report", "render the report of your own score table (site and PDF)"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: python -m evalcorr COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "python -m evalcorr COMMAND --help shows the options of one command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"}:
        print(_usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"evalcorr: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"python -m evalcorr {name}", description=COMMANDS[name][1])
    module.configure(parser)
    args = parser.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback
        print(f"evalcorr {name}: interrupted", file=sys.stderr)
        return 130
