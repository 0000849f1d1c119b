"""`python -m evalcorr transfer SOURCE`: write one transfer matrix as CSV.

Rows are the tasks trained on (first column ``train_task``), columns the tasks evaluated on, values
as released (see evalcorr.stats.transfer.VIEWS for what each view selects)::

    python -m evalcorr transfer transfer-scaling --model babbage-002 --view pp --out babbage_pp.csv
    python -m evalcorr transfer taskweb --setting finetune/t5b --out -
"""

from __future__ import annotations

import sys

from evalcorr.cli._common import add_table_arguments, fail, write_csv

VIEWS = ("raw", "after", "pp", "relative")


def configure(parser) -> None:
    parser.add_argument("source", help="transfer source id: transfer-scaling, massive-sft, taskweb, skill-it")
    parser.add_argument("--model", help="fine-tuned base model (needed when the source has several)")
    parser.add_argument("--view", choices=VIEWS, default="raw",
                        help="raw = released values (transfer-scaling: accuracy after 200 of A); "
                             "after = after A then 10 of B; pp / relative = improvement over the "
                             "few-B baseline (massive-sft pp: SFT minus pretrain score)")
    parser.add_argument("--setting", help="training configuration (needed when the source has several)")
    add_table_arguments(parser)


def run(args) -> int:
    from evalcorr.errors import EvalcorrError
    from evalcorr.data.loaders import load_transfer
    from evalcorr.stats.transfer import transfer_matrix

    try:
        df = load_transfer(args.source, data_dir=args.data_dir, cache_dir=args.cache_dir)
        matrix = transfer_matrix(df, args.source, model=args.model, view=args.view, setting=args.setting)
    except (EvalcorrError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        return fail("transfer", str(message))
    if (code := write_csv(matrix, args.out, "transfer")) or args.out == "-":
        return code
    print(f"wrote {matrix.shape[0]} x {matrix.shape[1]} {args.source} matrix ({args.view}) to {args.out}",
          file=sys.stderr)
    return 0
