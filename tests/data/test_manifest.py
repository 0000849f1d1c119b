"""data/manifest.yaml and evalcorr.data.manifest: the real manifest against the mirror, and malformed entries."""

import re
from pathlib import Path

import pytest
import yaml

from tests._datalayer import TOY_FILES, source_entry
from evalcorr.errors import DataError
from evalcorr.data.fetch import sha256_of
from evalcorr.data.locations import default_mirror
from evalcorr.data.locations import PROJECT_ROOT
from evalcorr.data.manifest import (derived_files_table, get_source, load_manifest, mirror_totals,
                                    sources_table)

ISSUE_IDS = ["open-llm-leaderboard-v2", "hf-open-llm-v2", "helm-mmlu", "helm-lite", "helm-classic", "sloth",
             "obsscaling", "ibm-benchbench", "livebench", "epoch-benchmark-stitching", "transfer-scaling",
             "massive-sft", "taskweb", "skill-it"]
PROJECT_IDS = ["controlled-transfer", "controlled-population"]
MIRROR = default_mirror()


def _upstream():
    return [s for s in load_manifest().values() if not s.in_project]


def test_manifest_lists_every_source_of_the_issue_once():
    sources = load_manifest()
    assert list(sources) == ISSUE_IDS + PROJECT_IDS
    assert {s.id for s in sources.values() if s.kind == "transfer"} == {
        "transfer-scaling", "massive-sft", "taskweb", "skill-it", "controlled-transfer"}
    assert get_source("open-llm-leaderboard-v2").uses == ("hf-open-llm-v2", "sloth")
    assert [s.id for s in sources.values() if s.in_project] == PROJECT_IDS


def test_every_listed_file_is_in_the_mirror_with_its_size_and_sha256():
    assert MIRROR is not None and MIRROR.is_dir(), "the upstream mirror (../shared/data) is required"
    for source in _upstream():
        for file in source.files:
            path = MIRROR / file.path
            assert path.is_file(), file.path
            assert path.stat().st_size == file.size, file.path
            assert sha256_of(path) == file.sha256, file.path


def test_every_data_file_of_the_mirror_is_listed():
    listed = {f.path for s in _upstream() for f in s.files}
    on_disk = {p.relative_to(MIRROR).as_posix() for p in MIRROR.rglob("*")
               if p.is_file() and not p.name.startswith(("PROVENANCE", "README"))}
    assert listed == on_disk
    every_eval_ever = {f.path: s.id for s in load_manifest().values() for f in s.files
                       if f.path.startswith("every-eval-ever/")}
    assert sorted(every_eval_ever.values()) == ["helm-classic", "helm-lite", "helm-mmlu", "hf-open-llm-v2"]


def test_urls_pin_the_commit_and_derived_files_say_how_they_were_made():
    for source in _upstream():
        for file in source.files:
            if file.url is None:
                assert file.derived_from and file.recipe, file.path
                continue
            commit = file.commit or source.commit
            owner_repo = source.repository_name
            assert file.url.startswith(f"https://raw.githubusercontent.com/{owner_repo}/{commit}/"), file.url
            assert " " not in file.url
    matrix = get_source("open-llm-leaderboard-v2").files[0]
    assert matrix.url.endswith("/AI%20output/HY/_out/04_q4/q4_c8_task_matrix.csv")
    assert get_source("helm-mmlu").files[0].url is None


def test_citation_keys_exist_in_the_bibliography():
    bib = (PROJECT_ROOT / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    for source in load_manifest().values():
        assert source.citation_keys and set(source.citation_keys) <= keys, source.id
        assert source.licence and source.citation


def test_every_source_names_an_importable_parser():
    from evalcorr.data.cache import parser_module

    for source in load_manifest().values():
        assert source.parser.startswith("evalcorr.data.parsers."), source.id
        assert parser_module(source).KIND == source.kind, source.id


def test_a_source_resolves_once_into_its_entry():
    source = get_source("helm-mmlu")
    assert get_source(source) is source
    assert source.parser == "evalcorr.data.parsers.helm_mmlu"


def test_malformed_parser_name_is_an_error(tmp_path):
    entry = source_entry("toy-scores", *TOY_FILES["toy-scores"], parser="not a module")
    with pytest.raises(DataError, match="'parser' must be a module name"):
        load_manifest(_write(tmp_path, [entry]))


def test_inputs_add_the_files_of_used_sources():
    paths = [f.path for f in get_source("open-llm-leaderboard-v2").inputs]
    assert paths[0] == "open-llm-leaderboard-v2/task_matrix.csv"
    assert "every-eval-ever/hfopenllm_v2.jsonl.gz" in paths and "sloth/data_v2.csv" in paths
    assert len(paths) == len(set(paths))


def test_sources_table_has_links_licences_and_citations():
    table = sources_table()
    assert len(table) == len(ISSUE_IDS) + len(PROJECT_IDS)
    own = table.set_index("id").loc["`controlled-transfer`"]
    assert own["Upstream"] == "this report (`data/controlled-transfer/`)" and own["Commit"] == "with the report"
    assert own["Licence"].startswith("MIT") and own["Cite"] == "[@evalcorr2026report]"
    row = table.set_index("id").loc["`skill-it`"]
    assert row["Licence"] == "Apache-2.0"
    assert row["Cite"] == "[@chen2023skillit]"
    assert row["Upstream"].startswith("[HazyResearch/skill-it](https://github.com/HazyResearch/skill-it/tree/807b3bf")


def test_unknown_source_lists_the_known_ones():
    with pytest.raises(DataError, match="unknown source 'nope'.*helm-mmlu"):
        get_source("nope")


def _write(tmp_path: Path, sources) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "sources": sources}, sort_keys=False))
    return path


def _toy():
    kind, files = TOY_FILES["toy-scores"]
    return source_entry("toy-scores", kind, files)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("kind"), "source 'toy-scores': missing key 'kind'"),
    (lambda s: s.update(kind="matrix"), "kind must be one of scores, transfer"),
    (lambda s: s["files"][0].update(sha256="abc"), "file 'toy/scores.csv': sha256 must be 64"),
    (lambda s: s["files"][0].update(size="big"), "'size' must be int"),
    (lambda s: s["files"][0].pop("url"), "missing key 'url'"),
    (lambda s: s["files"][0].update(url=None), "url is null, so it is derived from upstream.*derived_from"),
    (lambda s: s["files"][0].update(url="ftp://x"), "url must be an http"),
    (lambda s: s["files"][0].update(path="../etc/passwd"), "path must be relative"),
    (lambda s: s["upstream"].update(commit="main"), "upstream commit must be a full 40-digit hash"),
    (lambda s: s.update(files=[]), "no files listed"),
    (lambda s: s.update(uses=["ghost"]), "uses unknown source"),
])
def test_malformed_entries_get_a_clear_error(tmp_path, change, message):
    entry = _toy()
    change(entry)
    path = _write(tmp_path, [entry])
    with pytest.raises(DataError, match=message) as error:
        load_manifest(path)
    assert str(path) in str(error.value)


def test_duplicated_ids_and_files_are_errors(tmp_path):
    with pytest.raises(DataError, match="'toy-scores' is listed twice"):
        load_manifest(_write(tmp_path, [_toy(), _toy()]))
    other = _toy()
    other["id"] = "other"
    with pytest.raises(DataError, match="'toy/scores.csv' is listed by both 'toy-scores' and 'other'"):
        load_manifest(_write(tmp_path, [_toy(), other]))


def test_missing_or_invalid_manifest_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_manifest(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [unclosed")
    with pytest.raises(DataError, match="not valid YAML"):
        load_manifest(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(DataError, match="expected a mapping with a 'sources' list"):
        load_manifest(bad)


def test_derived_files_and_totals():
    derived = derived_files_table()
    assert derived["File"].tolist() == [
        "every-eval-ever/hfopenllm_v2.jsonl.gz", "every-eval-ever/helm_mmlu.jsonl.gz",
        "every-eval-ever/helm_lite.jsonl.gz", "every-eval-ever/helm_classic.jsonl.gz",
        "taskweb/taskweb_pairwise_long.csv", "taskweb/taskweb_raw_eval_results_long.csv",
        "skill-it/top_23_early_decreases.csv"]
    assert derived["Recipe"].str.len().min() > 40
    # Paths like results/<target>/... are plain text here; the chapter's table escapes them, so
    # Markdown does not swallow them as HTML tags.
    text = " ".join(derived["Recipe"].tolist() + derived["Derived from"].tolist())
    assert "<target>" in text
    from evalcorr.text import markdown_table

    assert "\\<target\\>" in markdown_table(derived, code=["Source", "File"])
    totals = mirror_totals()
    on_disk = [p for p in MIRROR.rglob("*") if p.is_file() and not p.name.startswith(("PROVENANCE", "README"))]
    assert totals == {"sources": 14, "files": len(on_disk), "bytes": sum(p.stat().st_size for p in on_disk),
                      "derived": 7}


def test_every_source_with_a_parser_declares_the_range_of_its_scales():
    for source in load_manifest().values():
        assert source.parser is None or source.scales, source.id
    massive = get_source("massive-sft")
    assert massive.scale_range("percent", "sft") == (0.0, 100.0)
    assert massive.scale_range("percent", "delta") == (-100.0, 100.0)
    assert get_source("taskweb").scale_range("pct_change") == (-1.0, float("inf"))
    assert get_source("sloth").scale_range("fraction") == (0.0, 1.0)
    assert get_source("sloth").scale_range("percent") is None


@pytest.mark.parametrize("scales, message", [
    (None, r"missing key 'scales': declare the valid range of every scale"),
    ({"fraction": [1, 0]}, r"scale 'fraction': a range must be \[low, high\] with low < high"),
    ({"fraction": "0-1"}, r"a range must be \[low, high\]"),
    ({"fraction": {"sft": [0, 1]}}, r"a range must be \[low, high\]"),  # ranges by stage are for transfer metrics
])
def test_malformed_scales_are_errors(tmp_path, scales, message):
    entry = source_entry("toy-scores", *TOY_FILES["toy-scores"], parser="toyparsers.toy_scores")
    entry.pop("scales")
    if scales is not None:
        entry["scales"] = scales
    with pytest.raises(DataError, match=message):
        load_manifest(_write(tmp_path, [entry]))
