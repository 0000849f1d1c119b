"""`python -m evalcorr transfer SOURCE`: write one transfer matrix as CSV.

Rows are the tasks trained on (first column ``train_task``), columns the tasks evaluated on, values
as released (see evalcorr.stats.transfer.VIEWS for what each view selects)::

    python -m evalcorr transfer transfer-scaling --model babbage-002 --view pp --out babbage_pp.csv
    python -m evalcorr transfer transfer-scaling --model davinci-002 --view headroom --out -
    python -m evalcorr transfer transfer-scaling --view logodds --intervals --out cells.csv
    python -m evalcorr transfer taskweb --setting finetune/t5b --out -
    python -m evalcorr transfer controlled-transfer --model ct-l --view headroom --out -
    python -m evalcorr transfer controlled-transfer --model ct-s --view pp --seed 3 --out -
    python -m evalcorr transfer controlled-transfer --model ct-l --view pp --intervals --out cells.csv

``--intervals`` writes the tidy per-cell table instead: one row per cell with value, ci_low, ci_high
(95%), n_items and whether the interval includes 0 (transfer-scaling: item noise of the single runs;
controlled-transfer: a bootstrap over seeds and items, :mod:`evalcorr.stats.seeded_transfer`).
controlled-transfer has ten seeds per cell: the matrix is their mean, or one seed's with ``--seed``.
"""

from __future__ import annotations

import sys

from evalcorr.cli._common import add_table_arguments, fail, write_csv

VIEWS = ("raw", "after", "pp", "relative", "headroom", "logodds")


def configure(parser) -> None:
    parser.add_argument("source", help="transfer source id: transfer-scaling, massive-sft, taskweb, skill-it, "
                        "controlled-transfer")
    parser.add_argument("--model", help="fine-tuned base model (needed when the source has several)")
    parser.add_argument("--view", choices=VIEWS, default="raw",
                        help="raw = released values (transfer-scaling: accuracy after 200 of A); "
                             "after = after A then 10 of B; pp / relative = improvement over the "
                             "few-B baseline (massive-sft pp: SFT minus pretrain score); headroom = "
                             "(after - baseline) / (1 - baseline), empty when the baseline is 1; "
                             "logodds = logit(after) - logit(baseline), with half an item added to "
                             "each count when one is 0 (headroom and logodds: transfer-scaling, "
                             "controlled-transfer)")
    parser.add_argument("--setting", help="training configuration (needed when the source has several)")
    parser.add_argument("--seed", type=int, help="controlled-transfer: one seed's matrix (default: the mean "
                        "over the seeds)")
    parser.add_argument("--intervals", action="store_true",
                        help="transfer-scaling, controlled-transfer: write the tidy per-cell table with 95%% "
                             "intervals (value, ci_low, ci_high, n_items, includes_zero) instead of the matrix")
    add_table_arguments(parser)


def run(args) -> int:
    from evalcorr.errors import EvalcorrError
    from evalcorr.data.loaders import load_transfer
    from evalcorr.stats.transfer import transfer_matrix
    from evalcorr.stats.transfer_cells import SOURCE, cell_intervals

    try:
        seeded = args.source == SEEDED
        if args.intervals and args.source not in (SOURCE, SEEDED):
            raise EvalcorrError(f"--intervals needs per-cell item counts, which only {SOURCE} and {SEEDED} "
                                "release; drop --intervals for other sources")
        if args.intervals and args.seed is not None:
            raise EvalcorrError("--intervals resamples the seeds: drop --seed")
        df = load_transfer(args.source, data_dir=args.data_dir, cache_dir=args.cache_dir)
        if args.intervals:
            table = _seeded_intervals(args.view, args.model) if seeded else cell_intervals(df, args.view, model=args.model)
            return write_csv(table, args.out, "transfer", index=False)
        matrix = transfer_matrix(df, args.source, model=args.model, view=args.view, setting=args.setting,
                                 seed=args.seed)
    except (EvalcorrError, KeyError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        return fail("transfer", str(message))
    if (code := write_csv(matrix, args.out, "transfer")) or args.out == "-":
        return code
    print(f"wrote {matrix.shape[0]} x {matrix.shape[1]} {args.source} matrix ({args.view}) to {args.out}",
          file=sys.stderr)
    return 0


SEEDED = "controlled-transfer"


def _seeded_intervals(view: str, model: str | None):
    """The controlled experiment's cells with intervals over seeds and items (tasks in ground-truth order)."""
    from evalcorr.data.loaders import load_ground_truth, load_item_outcomes, load_source_file
    from evalcorr.stats import seeded_transfer
    from evalcorr.stats.ground_truth import task_order

    models = load_source_file(SEEDED, "models")["model"].tolist()
    if model is not None and model not in models:
        raise seeded_transfer.SeededTransferError(f"--model {model!r} not found; choose one of {', '.join(models)}")
    outcomes = load_item_outcomes(SEEDED, model=model)
    cube = seeded_transfer.outcome_cube(outcomes, tasks=task_order(load_ground_truth(SEEDED)),
                                        models=[model] if model else models)
    return seeded_transfer.cell_table(seeded_transfer.bootstrap(cube), view, model=model)
