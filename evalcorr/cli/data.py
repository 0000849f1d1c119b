"""`python -m evalcorr data`: verify every raw file and build the tidy parquet cache.

Raw files come from a mirror directory (``--mirror``, else ``EVALCORR_DATA_DIR``, else
``../shared/data`` when it exists), a mirror server (``--from-url BASE``) or the upstream addresses of
data/manifest.yaml. Sources whose parser has not been written yet are verified and reported, not built.
"""

from __future__ import annotations

import sys
import time


def configure(parser) -> None:
    parser.add_argument("--source", action="extend", nargs="+", metavar="ID",
                        help="build only these sources (default: every source in the manifest)")
    parser.add_argument("--mirror", metavar="DIR", help="mirror directory (default: EVALCORR_DATA_DIR or ../shared/data)")
    parser.add_argument("--from-url", metavar="URL", dest="from_url",
                        help="download from a mirror server: URL/<path in the manifest>")
    parser.add_argument("--cache-dir", metavar="DIR", help="cache directory (default: EVALCORR_CACHE_DIR or data/cache)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache is up to date")
    parser.add_argument("--verify", action="store_true", help="only verify the sha256 of every raw file; build nothing")


def run(args) -> int:
    from evalcorr.data import cache, fetch
    from evalcorr.data.manifest import load_manifest
    from evalcorr.errors import EvalcorrError

    started = time.perf_counter()
    sources = load_manifest()
    wanted = args.source or list(sources)
    unknown = [s for s in wanted if s not in sources]
    if unknown:
        print(f"evalcorr data: unknown source(s) {', '.join(unknown)}; known: {', '.join(sources)}", file=sys.stderr)
        return 2
    where = dict(mirror=args.mirror, base_url=args.from_url, cache_dir=args.cache_dir)
    built = skipped = 0
    failed = []
    for source_id in wanted:
        source = sources[source_id]
        try:
            if args.verify or source.parser is None:
                files = fetch.materialise(source.files, progress=sys.stderr.isatty(), **where)
                note = "" if args.verify else "; no parser yet, not built"
                print(f"{source_id}: {len(files)} files verified{note}", flush=True)
                skipped += not args.verify
                continue
            result = cache.build(source, force=args.force, progress=sys.stderr.isatty(),
                                 log=lambda line: print(line, flush=True), **where)
            built += result.built
        except EvalcorrError as error:  # report, go on with the other sources, fail at the end
            print(f"evalcorr data: {source_id}: {error}", file=sys.stderr, flush=True)
            failed.append(source_id)
    print(f"done in {time.perf_counter() - started:.1f} s: {built} built, "
          f"{len(wanted) - built - skipped - len(failed)} up to date or verified, {skipped} without parser"
          + (f", {len(failed)} FAILED ({', '.join(failed)})" if failed else ""))
    return 1 if failed else 0
