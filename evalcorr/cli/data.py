"""`python -m evalcorr data`: verify every raw file and build the tidy parquet cache.

Raw files come from a mirror directory (``--mirror``, else ``EVALCORR_DATA_DIR``, else
``../shared/data`` when it exists), a mirror server (``--from-url BASE``) or the upstream addresses of
data/manifest.yaml. Sources whose parser has not been written yet are verified and reported, not built.

Every source is built or reported: a source that fails (a corrupt or malformed file, a parser error
of any kind) is named with its file, the run goes on with the other sources, the summary lists every
failure and the exit code is 1. Ctrl-C stops the run with one line; a partial download is kept and
the next run resumes it. ``--cache-if-no-mirror`` (used by ``make render``) accepts an up-to-date cache
without re-verifying the raw files when there is no mirror directory, and says so.
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
    parser.add_argument("--cache-if-no-mirror", action="store_true", dest="cache_if_no_mirror",
                        help="without a mirror directory, use an up-to-date cache as it is (its raw files are "
                             "then not re-verified) instead of downloading them")


def run(args) -> int:
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("evalcorr data: interrupted; a partial download is kept (.part) and the next run resumes it",
              file=sys.stderr)
        return 130


def _run(args) -> int:
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
    built = skipped = unverified = 0
    failed: dict[str, str] = {}
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
                                 unverified_ok=args.cache_if_no_mirror,
                                 log=lambda line: print(line, flush=True), **where)
            built += result.built
            unverified += not result.verified
        except Exception as error:  # noqa: BLE001 (report, go on with the other sources, fail at the end)
            message = str(error) if isinstance(error, EvalcorrError) else f"{type(error).__name__}: {error}"
            print(f"evalcorr data: {source_id}: {message}", file=sys.stderr, flush=True)
            failed[source_id] = message.splitlines()[0] if message else type(error).__name__
    print(f"done in {time.perf_counter() - started:.1f} s: {built} built, "
          f"{len(wanted) - built - skipped - len(failed)} up to date or verified, {skipped} without parser"
          + (f" ({unverified} cached, raw files not re-verified: no mirror)" if unverified else "")
          + (f", {len(failed)} FAILED ({', '.join(failed)})" if failed else ""))
    for source_id, reason in failed.items():
        print(f"  FAILED {source_id}: {reason}")
    return 1 if failed else 0
