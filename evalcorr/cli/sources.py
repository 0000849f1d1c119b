"""`python -m evalcorr sources`: one line per data source with its size, snapshot, licence and cache state.

Counts come from the cache stamps, so the command is instant and never builds anything; a source
that is not cached (or whose inputs changed since) shows ``no`` / ``stale`` and empty counts.
"""

from __future__ import annotations


def configure(parser) -> None:
    parser.add_argument("--cache-dir", metavar="DIR", help="cache directory (default: EVALCORR_CACHE_DIR or data/cache)")


def sources_status(cache_dir=None) -> list[dict]:
    """One dict per manifest source: id, kind, models, tasks, rows, snapshot, licence, cached."""
    from evalcorr.data import cache
    from evalcorr.data.loaders import snapshot_label
    from evalcorr.data.manifest import load_manifest
    from evalcorr.errors import DataError

    rows = []
    for source in load_manifest().values():
        stamp = cache.read_stamp(source, cache_dir)
        try:
            fresh = cache.is_fresh(source, cache_dir)
            cached = "yes" if fresh else ("stale" if stamp else "no")
        except DataError:  # no parser yet
            fresh, cached = False, "no parser"
        show = stamp if (stamp and fresh) else {}
        rows.append({
            "id": source.id, "kind": source.kind,
            **{count: f"{show[count]:,}" if count in show else "" for count in ("models", "tasks", "rows")},
            "snapshot": snapshot_label(show.get("snapshots", [])),
            "licence": source.licence.split(" (")[0], "cached": cached,
        })
    return rows


def run(args) -> int:
    from tabulate import tabulate

    rows = sources_status(args.cache_dir)
    print(tabulate(rows, headers="keys", tablefmt="simple", disable_numparse=True))
    return 0
