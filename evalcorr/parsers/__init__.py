"""One parser per data source: verified raw files -> one tidy DataFrame.

Each parser module defines
    KIND = "scores" | "transfer"
    def parse(files: Mapping[str, Path]) -> pandas.DataFrame
where ``files`` maps every file path listed in the manifest for the source (and for the sources it
``uses``), as written there relative to the mirror root, to its verified local path. The returned
frame follows the tidy schema of docs/architecture.md and is validated by evalcorr.schema.
"""

from importlib import import_module

# source id -> parser module (filled in as parsers land)
PARSERS: dict[str, str] = {
    "open-llm-leaderboard-v2": "evalcorr.parsers.open_llm_leaderboard_v2",
    "helm-mmlu": "evalcorr.parsers.helm_mmlu",
    "helm-lite": "evalcorr.parsers.helm_lite",
    "helm-classic": "evalcorr.parsers.helm_classic",
    "transfer-scaling": "evalcorr.parsers.transfer_scaling",
    "hf-open-llm-v2": "evalcorr.parsers.hf_open_llm_v2",
    "sloth": "evalcorr.parsers.sloth",
    "obsscaling": "evalcorr.parsers.obsscaling",
    "livebench": "evalcorr.parsers.livebench",
    "ibm-benchbench": "evalcorr.parsers.ibm_benchbench",
    "epoch-benchmark-stitching": "evalcorr.parsers.epoch_benchmark_stitching",
    "massive-sft": "evalcorr.parsers.massive_sft",
    "taskweb": "evalcorr.parsers.taskweb",
    "skill-it": "evalcorr.parsers.skill_it",
}


def parser_for(source_id: str):
    """The parser module of a source; a clear error for an unknown id."""
    try:
        return import_module(PARSERS[source_id])
    except KeyError:
        known = ", ".join(sorted(PARSERS)) or "none yet"
        raise KeyError(f"no parser for source {source_id!r}; known sources: {known}") from None
