"""`python -m evalcorr transfer SOURCE`: write one transfer matrix as CSV.

Rows are the tasks trained on (first column ``train_task``), columns the tasks evaluated on, values
as released (see evalcorr.stats.transfer.VIEWS for what each view selects)::

    python -m evalcorr transfer transfer-scaling --model babbage-002 --view pp --out babbage_pp.csv
    python -m evalcorr transfer transfer-scaling --model davinci-002 --view headroom --out -
    python -m evalcorr transfer transfer-scaling --view logodds --intervals --out cells.csv
    python -m evalcorr transfer taskweb --setting finetune/t5b --out -

``--intervals`` (transfer-scaling) writes the tidy per-cell table instead: one row per cell with
value, ci_low, ci_high (95%), n_items and whether the interval includes 0.
"""

from __future__ import annotations

import sys

from evalcorr.cli._common import add_table_arguments, fail, write_csv

VIEWS = ("raw", "after", "pp", "relative", "headroom", "logodds")


def configure(parser) -> None:
    parser.add_argument("source", help="transfer source id: transfer-scaling, massive-sft, taskweb, skill-it")
    parser.add_argument("--model", help="fine-tuned base model (needed when the source has several)")
    parser.add_argument("--view", choices=VIEWS, default="raw",
                        help="raw = released values (transfer-scaling: accuracy after 200 of A); "
                             "after = after A then 10 of B; pp / relative = improvement over the "
                             "few-B baseline (massive-sft pp: SFT minus pretrain score); headroom = "
                             "(after - baseline) / (1 - baseline), empty when the baseline is 1; "
                             "logodds = logit(after) - logit(baseline), with half an item added to "
                             "each count when one is 0 (headroom and logodds: transfer-scaling)")
    parser.add_argument("--setting", help="training configuration (needed when the source has several)")
    parser.add_argument("--intervals", action="store_true",
                        help="transfer-scaling: write the tidy per-cell table with 95%% intervals "
                             "(value, ci_low, ci_high, n_items, includes_zero) instead of the matrix")
    add_table_arguments(parser)


def run(args) -> int:
    from evalcorr.errors import EvalcorrError
    from evalcorr.data.loaders import load_transfer
    from evalcorr.stats.transfer import transfer_matrix
    from evalcorr.stats.transfer_cells import SOURCE, cell_intervals

    try:
        if args.intervals and args.source != SOURCE:
            raise EvalcorrError(f"--intervals needs per-cell item counts, which only {SOURCE} releases; "
                                "drop --intervals for other sources")
        df = load_transfer(args.source, data_dir=args.data_dir, cache_dir=args.cache_dir)
        if args.intervals:
            table = cell_intervals(df, args.view, model=args.model)
            return write_csv(table, args.out, "transfer", index=False)
        matrix = transfer_matrix(df, args.source, model=args.model, view=args.view, setting=args.setting)
    except (EvalcorrError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        return fail("transfer", str(message))
    if (code := write_csv(matrix, args.out, "transfer")) or args.out == "-":
        return code
    print(f"wrote {matrix.shape[0]} x {matrix.shape[1]} {args.source} matrix ({args.view}) to {args.out}",
          file=sys.stderr)
    return 0
