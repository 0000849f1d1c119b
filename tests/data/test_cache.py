"""evalcorr.data.cache: verified inputs -> parser -> schema validation -> atomic parquet + stamp; rebuilt
only when the input key (file sha256s, data code) changes."""

import json

import pandas as pd
import pytest
import yaml

from evalcorr.data import cache
from evalcorr.data.locations import PROJECT_ROOT, default_cache_dir
from evalcorr.data.manifest import get_source
from evalcorr.errors import ChecksumError, DataError
from tests._datalayer import make_world, parse_calls, set_parser, sha256


@pytest.fixture
def world(tmp_path, monkeypatch):
    return make_world(tmp_path, monkeypatch)


def test_build_writes_parquet_and_stamp(world):
    result = cache.build(get_source("toy-scores"))
    assert result.built and result.rows == 10
    assert result.path == world["cache"] / "toy-scores.parquet"
    table = pd.read_parquet(result.path)
    assert len(table) == 10 and set(table["snapshot"]) == {"2024-01", "2024-06"}
    stamp = json.loads((world["cache"] / "toy-scores.json").read_text())
    assert stamp["key"] == cache.input_key(get_source("toy-scores"))
    assert stamp["rows"] == 10 and stamp["models"] == 3 and stamp["tasks"] == 3  # the aggregate is not a task
    assert stamp["snapshots"] == ["2024-01", "2024-06"]
    assert stamp["inputs"] == {"toy/scores.csv": sha256((world["mirror"] / "toy/scores.csv").read_bytes())}
    assert [p.name for p in world["cache"].iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_second_build_does_no_parsing(world):
    cache.build(get_source("toy-scores"))
    lines = []
    again = cache.build(get_source("toy-scores"), log=lines.append)
    assert not again.built and again.rows == 10
    assert parse_calls(world) == ["toy-scores"]
    assert lines == ["toy-scores: up to date (10 rows; 1 files verified)"]
    assert cache.is_fresh(get_source("toy-scores"))


def test_force_rebuilds(world):
    cache.build(get_source("toy-scores"))
    assert cache.build(get_source("toy-scores"), force=True).built
    assert parse_calls(world) == ["toy-scores", "toy-scores"]


def test_changed_input_file_rebuilds(world):
    cache.build(get_source("toy-scores"))
    path = world["mirror"] / "toy/scores.csv"
    path.write_bytes(path.read_bytes().replace(b"0.90", b"0.95"))
    manifest = yaml.safe_load(world["manifest"].read_text())
    manifest["sources"][0]["files"][0]["sha256"] = sha256(path.read_bytes())
    world["manifest"].write_text(yaml.safe_dump(manifest, sort_keys=False))
    assert not cache.is_fresh(get_source("toy-scores"))
    assert cache.build(get_source("toy-scores")).built
    assert parse_calls(world) == ["toy-scores", "toy-scores"]
    table = pd.read_parquet(cache.parquet_path(get_source("toy-scores")))
    assert table.loc[table["task"] == "gamma", "score"].tolist() == [0.95]


def test_changed_parser_code_changes_the_key(world):
    key = cache.input_key(get_source("toy-scores"))
    parser = world["mirror"].parent / "toyparsers/toy_scores.py"
    parser.write_text(parser.read_text() + "\n# edited\n")
    assert cache.input_key(get_source("toy-scores")) != key


def test_the_key_covers_the_evalcorr_modules_a_parser_imports(world):
    parser = world["mirror"].parent / "toyparsers/toy_scores.py"
    parser.write_text(parser.read_text() + "\n\ndef helper():\n    from evalcorr.data import manifest\n")
    code = {p.relative_to(PROJECT_ROOT).as_posix() for p in cache._code_files(cache.parser_file(get_source("toy-scores")))
            if p.is_relative_to(PROJECT_ROOT)}
    # manifest imports locations and errors in turn; package __init__ files are left out
    assert code == {"evalcorr/data/manifest.py", "evalcorr/data/locations.py", "evalcorr/errors.py",
                    "evalcorr/data/schema.py", "data/families.csv"}


def test_corrupt_input_stops_the_build_and_keeps_the_old_table(world):
    first = cache.build(get_source("toy-scores"))
    before = first.path.read_bytes()
    (world["mirror"] / "toy/scores.csv").write_text("snapshot,model\n")
    with pytest.raises(ChecksumError, match="toy/scores.csv"):
        cache.build(get_source("toy-scores"), force=True)
    assert first.path.read_bytes() == before
    assert parse_calls(world) == ["toy-scores"]


def test_empty_table_is_an_error(world):
    with pytest.raises(DataError, match=r"returned an empty table for source 'toy-empty'.*toy/empty.csv"):
        cache.build(get_source("toy-empty"))
    assert not cache.parquet_path(get_source("toy-empty")).exists()


def test_schema_violation_is_an_error(world):
    parser = world["mirror"].parent / "toyparsers/toy_transfer.py"
    parser.write_text(parser.read_text().replace('"value": raw["value"].astype("float64")',
                                                 '"value": raw["value"].astype("float64") * 10'))
    with pytest.raises(DataError, match="outside its declared range"):
        cache.build(get_source("toy-transfer"))
    assert not cache.parquet_path(get_source("toy-transfer")).exists()


def test_kind_must_match_the_manifest(world):
    set_parser(world, "toy-transfer", "toyparsers.toy_scores")
    with pytest.raises(DataError, match="declares KIND='scores' but the manifest says source 'toy-transfer'"):
        cache.build(get_source("toy-transfer"))


def test_source_without_parser(world):
    set_parser(world, "toy-transfer", None)
    with pytest.raises(DataError, match=r"'toy-transfer' has no parser yet.*parser: <module>"):
        cache.build(get_source("toy-transfer"))
    with pytest.raises(DataError, match="unknown source 'ghost'"):
        get_source("ghost")


def test_missing_parser_module_is_named(world):
    set_parser(world, "toy-transfer", "toyparsers.no_such_parser")
    with pytest.raises(DataError, match=r"parser module toyparsers.no_such_parser of source 'toy-transfer'"):
        cache.build(get_source("toy-transfer"))


def test_ensure_skips_verification_when_fresh(world):
    cache.build(get_source("toy-scores"))
    (world["mirror"] / "toy/scores.csv").unlink()  # a fresh cache does not need the raw files
    assert cache.ensure(get_source("toy-scores")) == cache.parquet_path(get_source("toy-scores"))
    with pytest.raises(DataError, match="missing from the mirror"):
        cache.build(get_source("toy-scores"))  # make data verifies every file


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("EVALCORR_CACHE_DIR", raising=False)
    assert default_cache_dir() == PROJECT_ROOT / "data" / "cache"
    monkeypatch.setenv("EVALCORR_CACHE_DIR", "build/c")
    assert default_cache_dir() == PROJECT_ROOT / "build" / "c"
    monkeypatch.setenv("EVALCORR_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_a_truncated_parquet_with_a_valid_stamp_is_rebuilt(world):
    first = cache.build(get_source("toy-scores"))
    _truncate(first.path)
    assert not cache.is_fresh(get_source("toy-scores"))
    lines = []
    again = cache.build(get_source("toy-scores"), log=lines.append)
    assert again.built and "the cached table was damaged" in lines[0]
    assert len(pd.read_parquet(again.path)) == 10
    assert cache.is_fresh(get_source("toy-scores"))


def test_a_truncated_parquet_is_rebuilt_on_load_too(world):
    from evalcorr.data.loaders import load_scores

    _truncate(cache.build(get_source("toy-scores")).path)
    assert len(load_scores("toy-scores")) == 10


def test_a_truncated_parquet_without_a_mirror_names_the_fix(world, monkeypatch, tmp_path):
    from evalcorr.data import locations

    _truncate(cache.build(get_source("toy-scores")).path)
    monkeypatch.setenv("EVALCORR_DATA_DIR", str(tmp_path / "gone"))
    with pytest.raises(DataError, match=r"toy-scores.parquet is damaged \(its sha256 differs from the one in its "
                                        r"stamp\) and cannot be rebuilt: mirror directory .*gone does not exist"):
        cache.build(get_source("toy-scores"), unverified_ok=True)


def test_the_stamp_records_the_parquet_sha256(world):
    result = cache.build(get_source("toy-scores"))
    stamp = json.loads((world["cache"] / "toy-scores.json").read_text())
    assert stamp["sha256"] == sha256(result.path.read_bytes())


def test_a_parser_failing_with_a_foreign_exception_names_the_file(world):
    parser = world["mirror"].parent / "toyparsers/toy_transfer.py"
    parser.write_text(parser.read_text().replace('raw["value"].astype("float64")', 'raw["value"].astype("int64") + {}'))
    with pytest.raises(DataError) as error:
        cache.build(get_source("toy-transfer"))
    message = str(error.value)
    assert message.startswith(f"{world['mirror'] / 'toy/transfer.csv'}: the parser toyparsers.toy_transfer")
    assert "failed with ValueError" in message or "failed with TypeError" in message


def test_rows_dropped_by_a_documented_policy_are_reported(world):
    parser = world["mirror"].parent / "toyparsers/toy_transfer.py"
    parser.write_text(parser.read_text() + '''

def parse_with_report(files):
    table = parse(files)
    return table.iloc[1:], table.iloc[:1]
''')
    lines = []
    cache.build(get_source("toy-transfer"), log=lines.append)
    assert "1 duplicated row(s) dropped by the parser's documented policy" in lines[0]
    assert json.loads((world["cache"] / "toy-transfer.json").read_text())["dropped_rows"] == 1


def test_a_value_outside_the_declared_range_names_the_file(world):
    parser = world["mirror"].parent / "toyparsers/toy_transfer.py"
    parser.write_text(parser.read_text().replace('"value": raw["value"].astype("float64")',
                                                 '"value": raw["value"].astype("float64") * 10'))
    with pytest.raises(DataError, match=rf"file {world['mirror'] / 'toy/transfer.csv'}.*value\(s\) of metric "
                                        r"'accuracy' at stage 'after_A' outside its declared range \[0.0, 1.0\]"):
        cache.build(get_source("toy-transfer"))
