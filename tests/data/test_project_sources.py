"""Sources that live in the project (location: project): the manifest's rules, verification, loaders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evalcorr.data import fetch
from evalcorr.data.locations import PROJECT_ROOT
from evalcorr.data.manifest import MANIFEST_PATH, get_source, load_manifest, sources_table
from evalcorr.errors import ChecksumError, DataError

SOURCE = "controlled-transfer"
FOLDER = PROJECT_ROOT / "data" / SOURCE


def test_every_result_file_is_listed_with_its_size_sha256_and_role():
    source = get_source(SOURCE)
    assert source.in_project and source.kind == "transfer" and source.parser.endswith("controlled_transfer")
    on_disk = {p.name for p in FOLDER.iterdir() if p.is_file() and p.name != "README.md"}
    assert {Path(f.path).name for f in source.files} == on_disk
    for file in source.files:
        path = file.project_path
        assert path == MANIFEST_PATH.parent / file.path and path.is_file()
        assert path.stat().st_size == file.size
        assert hashlib.sha256(path.read_bytes()).hexdigest() == file.sha256
    roles = {f.role for f in source.files}
    assert {"transfer", "item_outcomes", "eval_items", "ground_truth", "models", "sanity", "intervals",
            "configuration", "run"} == roles
    made_by = dict(source.made_by)
    assert made_by["command"] == "python -m evalcorr experiment"
    assert source.file("configuration").path == made_by["configuration"]
    assert source.file("run").path == made_by["run"]


def test_file_by_role_names_the_roles_when_missing():
    with pytest.raises(DataError, match="no file with role 'weights'.*ground_truth"):
        get_source(SOURCE).file("weights")


def _project_entry(tmp_path: Path, **changes) -> tuple[dict, Path]:
    data = tmp_path / "own" / "results.csv"
    data.parent.mkdir(parents=True)
    data.write_text("model,value\nm,0.5\n")
    config = tmp_path / "own" / "config.yaml"
    config.write_text("seeds: 2\n")
    files = [{"path": f"own/{p.name}", "role": role, "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
              "size": p.stat().st_size} for p, role in ((data, "transfer"), (config, "configuration"))]
    entry = {"id": "own", "location": "project", "title": "Own results", "kind": "transfer",
             "made_by": {"command": "python -m somewhere", "configuration": "own/config.yaml"},
             "licence": "MIT", "citation": {"keys": ["me"], "text": "Me."}, "snapshot": "now", "uses": [],
             "files": files}
    entry.update(changes)
    return entry, data


def _write(tmp_path: Path, entries) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "sources": entries}, sort_keys=False))
    return path


def test_a_project_source_reads_its_files_beside_the_manifest(tmp_path, monkeypatch):
    entry, data = _project_entry(tmp_path)
    source = load_manifest(_write(tmp_path, [entry]))["own"]
    assert source.in_project and source.repository == "" and source.files[0].project_path == data
    # no mirror is needed, even when the configured mirror does not exist
    monkeypatch.setenv("EVALCORR_DATA_DIR", str(tmp_path / "no-mirror"))
    assert fetch.materialise(source.files)["own/results.csv"] == data
    data.write_text("model,value\nm,0.6\n")
    with pytest.raises(ChecksumError, match="project file .*results.csv.*committed results were changed"):
        fetch.materialise(source.files)
    changed = fetch.changed_files(source)
    assert [(path, size) for path, _, size in changed] == [("own/results.csv", data.stat().st_size)]
    assert changed[0][1] == hashlib.sha256(data.read_bytes()).hexdigest()


def test_a_missing_project_file_says_how_to_restore_it(tmp_path):
    entry, data = _project_entry(tmp_path)
    source = load_manifest(_write(tmp_path, [entry]))["own"]
    data.unlink()
    with pytest.raises(DataError, match="results.csv is missing.*git checkout"):
        fetch.materialise(source.files)


@pytest.mark.parametrize("change, message", [
    (lambda e: e.update(upstream={"repository": "https://github.com/x/y", "commit": "0" * 40}), "has no upstream"),
    (lambda e: e["files"][0].update(url="https://x.invalid/a"), "a project file has no upstream; remove url"),
    (lambda e: e["files"][0].pop("role"), "missing key 'role'"),
    (lambda e: e["files"][0].update(role="Bad Role"), "role must be a lowercase name"),
    (lambda e: e.pop("made_by"), "missing key 'made_by'"),
    (lambda e: e["made_by"].update(configuration="own/other.yaml"), "made_by configuration 'own/other.yaml' is not"),
    (lambda e: e.update(location="cloud"), "location must be one of mirror, project"),
])
def test_malformed_project_entries_get_a_clear_error(tmp_path, change, message):
    entry, _ = _project_entry(tmp_path)
    change(entry)
    with pytest.raises(DataError, match=message):
        load_manifest(_write(tmp_path, [entry]))


def test_the_sources_table_names_the_report_as_the_origin():
    row = sources_table().set_index("id").loc[f"`{SOURCE}`"]
    assert row["Upstream"] == f"this report (`data/{SOURCE}/`)"


def test_load_transfer_keeps_the_seeds_and_selects_them():
    import evalcorr

    df = evalcorr.load_transfer(SOURCE)
    assert df["seed"].dtype == "Int64" and not df["seed"].isna().any()
    assert sorted(df["seed"].unique()) == list(range(10))
    one = evalcorr.load_transfer(SOURCE, model="ct-l", seed=3)
    assert set(one["seed"]) == {3} and set(one["model"]) == {"ct-l"}
    assert len(one) == len(df[(df["model"] == "ct-l")]) // 10
    with pytest.raises(DataError, match=r"seed=\[42\].*available: 0, 1"):
        evalcorr.load_transfer(SOURCE, seed=42)
    with pytest.raises(DataError, match="has one run per cell"):
        evalcorr.load_transfer("transfer-scaling", seed=0)


def test_source_files_by_role():
    import evalcorr

    models = evalcorr.load_source_file(SOURCE, "models")
    assert models["model"].tolist() == ["ct-s", "ct-m", "ct-l"]
    assert models["params"].tolist() == sorted(models["params"])
    run = evalcorr.load_source_file(SOURCE, "run")
    assert run["source"] == SOURCE and run["environment"]["cores"] >= 1
    run["source"] = "changed by a caller"                       # callers get their own copy
    assert evalcorr.load_source_file(SOURCE, "run")["source"] == SOURCE
    config = evalcorr.load_source_file(SOURCE, "configuration")
    assert config["seeds"] == 10 and len(config["sizes"]) == 3
    with pytest.raises(DataError, match="upstream source"):
        evalcorr.load_source_file("transfer-scaling", "models")


def test_ground_truth_and_item_outcomes_of_the_released_experiment():
    import evalcorr

    truth = evalcorr.load_ground_truth(SOURCE)
    assert list(truth.columns[:6]) == ["task", "surface", "control", "control_of", "template", "description"]
    assert list(truth.columns[6:]) == ["cipher", "facts", "numerals"]
    assert set(truth.loc[truth["control"] != "", "task"]) == {"encode_copy", "parent_shuffled"}
    assert truth.set_index("task").loc["parent_shuffled", ["cipher", "facts", "numerals"]].sum() == 0
    outcomes = evalcorr.load_item_outcomes(SOURCE)
    transfer = evalcorr.load_transfer(SOURCE)
    assert outcomes.correct.shape == (len(transfer), 500)
    merged = outcomes.runs.assign(k=outcomes.correct.sum(axis=1)).merge(
        transfer, on=["model", "stage", "train_task", "eval_task", "seed"])
    assert len(merged) == len(transfer)
    assert (merged["k"] / merged["n_items_x"] == merged["value"]).all()   # the items add up to the accuracies
    part = evalcorr.load_item_outcomes(SOURCE, model="ct-s", stage=["B_only", "untuned"])
    assert set(part.runs["model"]) == {"ct-s"} and len(part.runs) == 200 and part.correct.shape == (200, 500)
    with pytest.raises(DataError, match="stage=\\['later'\\]"):
        evalcorr.load_item_outcomes(SOURCE, stage="later")
    assert isinstance(part.runs, pd.DataFrame)
