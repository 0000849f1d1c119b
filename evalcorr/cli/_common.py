"""Arguments and output shared by the commands that write a table as CSV (corr, transfer, signatures)."""

from __future__ import annotations

import os
import sys


def add_table_arguments(parser) -> None:
    """--out (a CSV path or - for stdout), and where the data comes from."""
    parser.add_argument("--out", required=True, metavar="FILE.csv", help="output CSV file, or - for stdout")
    parser.add_argument("--data-dir", help="mirror directory (default: EVALCORR_DATA_DIR or ../shared/data)")
    parser.add_argument("--cache-dir", help="cache directory (default: EVALCORR_CACHE_DIR or data/cache)")


def fail(command: str, message: str, code: int = 2) -> int:
    """Print `evalcorr COMMAND: message` to stderr and return the exit code."""
    print(f"evalcorr {command}: {message}", file=sys.stderr)
    return code


def write_csv(frame, out: str, command: str, **to_csv) -> int:
    """Write `frame` to the path `out`, or to stdout for "-"; an exit code, with a clear message on failure.

    A reader that closes stdout early (`... --out - | head`) ends the command quietly, not with a traceback.
    """
    if out == "-":
        try:
            frame.to_csv(sys.stdout, **to_csv)
            sys.stdout.flush()
        except BrokenPipeError:
            # Python would report the broken pipe again when flushing stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        frame.to_csv(out, **to_csv)
    except OSError as error:
        return fail(command, f"cannot write --out {out}: {error.strerror or error}; "
                             "choose a writable path (does its folder exist?) or - for stdout", 1)
    return 0
