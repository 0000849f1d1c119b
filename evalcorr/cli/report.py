"""``python -m evalcorr report SCORES --out DIR``: the report of a user's score table (site and PDF).

SCORES is a wide or long CSV/Parquet table, a folder of Every Eval Ever records or a folder of
lm-evaluation-harness results (see :mod:`evalcorr.data.user_tables`). Bad input stops the command before
anything is written, with one line naming the file and what to do (exit 2); a failed render leaves DIR
as it was (exit 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

from evalcorr.cli._common import fail
from evalcorr.data.user_tables import FORMATS, read_score_table
from evalcorr.errors import EvalcorrError
from evalcorr.render import RENDERERS
from evalcorr.render.table_report import check_report_output, check_reportable, render_table_report


def configure(parser) -> None:
    parser.add_argument("scores", metavar="SCORES",
                        help="a wide or long CSV/Parquet table, or a folder of lm-evaluation-harness results "
                             "or Every Eval Ever records")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="output folder of the report's site and PDF")
    parser.add_argument("--format", choices=FORMATS, help="the input's format (default: detected)")
    parser.add_argument("--metric", action="append", metavar="M",
                        help="metric to read where there are several per task, e.g. acc_norm,none "
                             "(repeat for an order of preference)")
    parser.add_argument("--families", type=Path, metavar="FILE",
                        help="CSV with columns task,family (default: the table's family column or the "
                             "harness groups)")
    parser.add_argument("--title", help="the report's title (default: 'Score correlations in <name>')")
    parser.add_argument("--min-models", type=int, metavar="N",
                        help="the fewest models a task needs (default: half the models, between 3 and 30)")
    parser.add_argument("--renderer", choices=RENDERERS, default="auto",
                        help="auto (default): Quarto if on PATH or installable, else the offline renderer")


def _say(line: str) -> None:
    print(line, flush=True)


def run(args) -> int:
    try:
        check_report_output(args.out)
        table = read_score_table(args.scores, format=args.format, metric=args.metric, families=args.families,
                                 min_models=args.min_models)
        check_reportable(table)
    except EvalcorrError as error:
        return fail("report", str(error))
    report = table.report
    _say(f"report: {args.scores}: {report.description}, {report.n_models:,} models x {report.n_tasks:,} tasks"
         + (f", families from {report.families_from}" if report.families_from else ""))
    for dropped in report.dropped_tasks:
        _say(f"report: dropped task {dropped['task']}: {dropped['reason']}")
    for warning in report.warnings:
        _say(f"report: warning: {warning}")

    try:
        result = render_table_report(table, args.out, title=args.title, renderer=args.renderer, log=_say)
    except EvalcorrError as error:
        print(f"evalcorr report: render failed: {error}", file=sys.stderr)
        print(f"evalcorr report: {args.out} is unchanged", file=sys.stderr)
        return 1
    _say(f"report: done: {result.out_dir / 'index.html'} and {result.pdf}")
    return 0
