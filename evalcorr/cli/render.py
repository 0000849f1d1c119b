"""``python -m evalcorr render``: build the site and the PDF (Quarto where available, else offline)."""

from __future__ import annotations

import sys
from pathlib import Path

from evalcorr.errors import EvalcorrError


def configure(parser) -> None:
    parser.add_argument("--renderer", choices=("auto", "quarto", "offline"), default="auto",
                        help="auto (default): Quarto if on PATH or installable, else offline; "
                             "EVALCORR_RENDERER=offline|quarto forces one under auto")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: output-dir of _quarto.yml, i.e. _site)")
    parser.add_argument("--root", type=Path, default=Path("."), help="project root (default: .)")


def run(args) -> int:
    from evalcorr.render import render_project

    def log(line: str) -> None:
        print(line, flush=True)

    try:
        render_project(args.root, args.out, renderer=args.renderer, log=log)
    except EvalcorrError as error:
        print(f"render failed: {error}", file=sys.stderr)
        print("the previous site, if any, is unchanged", file=sys.stderr)
        return 1
    return 0
