"""The miniature experiment end to end: schema, controls, disjointness, determinism, resuming."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

from evalcorr.experiment import config as C  # noqa: E402
from evalcorr.experiment.protocol import Experiment  # noqa: E402
from evalcorr.experiment.run import (compare_tables, pack_outcomes, run_experiment,  # noqa: E402
                                     unpack_outcomes)
from evalcorr.data.schema import TRANSFER_COLUMNS  # noqa: E402

MINI = C.preset("mini")


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini")
    tables = run_experiment(MINI, root / "tables", root / "runs", progress=False)
    return root, tables


def _cell(transfer, stage, a, b):
    rows = transfer[(transfer["stage"] == stage) & (transfer["train_task"] == a) & (transfer["eval_task"] == b)]
    assert len(rows) == MINI.seeds
    return rows["value"].mean()


def test_tidy_transfer_schema(mini):
    root, tables = mini
    transfer = pd.read_csv(root / "tables" / "transfer.csv.gz", keep_default_na=False)
    assert set(transfer.columns) == set(TRANSFER_COLUMNS) | {"seed", "n_correct"}
    assert set(transfer["source"]) == {"controlled-transfer"} and set(transfer["metric"]) == {"accuracy"}
    assert set(transfer["stage"]) == {"untuned", "after_A", "B_only", "after_A_then_B"}
    n_tasks = len(MINI.tasks)
    per_seed = n_tasks + n_tasks ** 2 + n_tasks + n_tasks ** 2     # untuned, after_A, B_only, A then B
    assert len(transfer) == per_seed * MINI.seeds * len(MINI.sizes)
    assert (transfer["n_items"] == MINI.n_eval_items).all()
    assert np.allclose(transfer["value"], transfer["n_correct"] / transfer["n_items"])
    assert (transfer.loc[transfer["stage"] == "untuned", "train_task"] == "").all()
    b_only = transfer[transfer["stage"] == "B_only"]
    assert (b_only["train_task"] == b_only["eval_task"]).all()
    assert not transfer.duplicated(["model", "stage", "train_task", "eval_task", "seed"]).any()


def test_item_outcomes_agree_with_counts(mini):
    root, tables = mini
    outcomes = pd.read_csv(root / "tables" / "item_outcomes.csv.gz", keep_default_na=False)
    transfer = tables["transfer"]
    merged = transfer.merge(outcomes, on=["model", "stage", "train_task", "eval_task", "seed", "n_items"])
    assert len(merged) == len(transfer)
    counts = [unpack_outcomes(h, n).sum() for h, n in zip(merged["outcomes"], merged["n_items"])]
    assert counts == merged["n_correct"].tolist()
    bits = np.random.default_rng(0).random(203) < 0.5
    assert np.array_equal(unpack_outcomes(pack_outcomes(bits), 203), bits)


def test_copy_control_transfers(mini):
    _, tables = mini
    t = tables["transfer"]
    baseline = _cell(t, "B_only", "encode_copy", "encode_copy")
    after_copy = _cell(t, "after_A_then_B", "encode", "encode_copy")
    after_self = _cell(t, "after_A_then_B", "encode", "encode")
    assert after_copy - baseline >= 0.3                  # a large gain over the few-B baseline
    assert after_copy >= after_self - 0.05                # as good as training on the task itself


def test_shuffled_control_does_not_transfer(mini):
    _, tables = mini
    t = tables["transfer"]
    for b in ("encode", "encode_copy"):
        gain = _cell(t, "after_A_then_B", "parent_shuffled", b) - _cell(t, "B_only", b, b)
        assert gain < 0.03
    assert _cell(t, "after_A", "parent_shuffled", "parent_shuffled") < 0.05   # nothing to learn


def test_training_and_evaluation_items_are_disjoint():
    exp = Experiment(MINI)
    exp.check_disjoint()                                   # raises on any shared question
    for name, items in exp.eval_items.items():
        assert len(items) >= 200
        held_out = {bytes(row[1:]) for row in items.tokens}
        for seed in range(MINI.seeds):
            trained = exp.a_examples(name, seed)
            assert not held_out & {bytes(row[1:]) for row in trained.tokens}


def test_same_configuration_gives_identical_tables_and_resumes(mini, tmp_path):
    root, tables = mini
    again = run_experiment(MINI, tmp_path / "tables", tmp_path / "runs", progress=False)
    pd.testing.assert_frame_equal(tables["transfer"], again["transfer"])
    ok, report = compare_tables(tmp_path / "tables", root / "tables")
    assert ok, report
    # a restart finds every unit finished and reproduces the tables without training
    stamp = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").rglob("*.npz")}
    resumed = run_experiment(MINI, tmp_path / "resumed", tmp_path / "runs", progress=False)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").rglob("*.npz")} == stamp
    pd.testing.assert_frame_equal(tables["transfer"], resumed["transfer"])


def test_compare_flags_a_changed_result(mini, tmp_path):
    root, tables = mini
    changed = tables["transfer"].copy()
    changed.loc[0, "n_correct"] += 5
    changed.loc[0, "value"] = changed.loc[0, "n_correct"] / changed.loc[0, "n_items"]
    changed.to_csv(tmp_path / "transfer.csv.gz", index=False)
    ok, report = compare_tables(tmp_path, root / "tables")
    assert not ok and "DIFFERENT" in report
    ok, _ = compare_tables(tmp_path, root / "tables", tolerance=0.5)
    assert ok


def test_a_store_refuses_another_configuration(mini):
    root, _ = mini
    other = C.replace(MINI, seeds=3)
    with pytest.raises(RuntimeError, match="another configuration"):
        run_experiment(other, root / "other", root / "runs", progress=False)


def test_configuration_round_trips_through_yaml(tmp_path):
    for name in ("full", "quick", "mini"):
        cfg = C.preset(name)
        C.save(cfg, tmp_path / f"{name}.yaml")
        assert C.load(tmp_path / f"{name}.yaml") == cfg
    (tmp_path / "bad.yaml").write_text(C.to_yaml(MINI) + "typo_key: 1\n")
    with pytest.raises(ValueError, match="typo_key"):
        C.load(tmp_path / "bad.yaml")


def test_the_experiment_is_a_data_producer_only():
    """It imports none of the package's statistics, figures or rendering (layers: data <- stats <- ...)."""
    import subprocess
    import sys
    code = ("import sys, evalcorr.experiment.run, evalcorr.experiment.cli; "
            "print(sorted(m for m in sys.modules if m.startswith('evalcorr.') "
            "and not m.startswith('evalcorr.experiment')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_data_layer_and_the_statistics_read_a_fresh_run(mini):
    """The engine's tables go through the project's parser, readers and statistics unchanged."""
    from evalcorr.data.ground_truth import read_ground_truth
    from evalcorr.data.item_outcomes import read_item_outcomes
    from evalcorr.data.parsers import controlled_transfer
    from evalcorr.data.schema import validate_transfer
    from evalcorr.stats import seeded_transfer as st

    root, _ = mini
    tables = root / "tables"
    files = {f"controlled-transfer/{name}": tables / name for name in ("transfer.csv.gz", "tasks.csv", "models.csv")}
    tidy = controlled_transfer.parse(files)
    from evalcorr.data.manifest import get_source

    validate_transfer(tidy, "controlled-transfer", scales=get_source("controlled-transfer").scales)
    assert tidy["seed"].notna().all() and set(tidy["seed"]) == set(range(MINI.seeds))
    truth = read_ground_truth(tables / "tasks.csv")
    assert truth["task"].tolist() == list(MINI.tasks)
    cube = st.outcome_cube(read_item_outcomes(tables / "item_outcomes.csv.gz"), tasks=list(MINI.tasks))
    cells = st.cell_table(st.bootstrap(cube, n_boot=200), "pp").set_index(["train_task", "eval_task"])
    intervals = pd.read_csv(tables / "intervals.csv").set_index(["train_task", "eval_task"])
    assert np.allclose(cells["value"], intervals.loc[cells.index, "mean_pp"], atol=1e-9)
    # the copy control transfers, as the engine's own check says
    assert cells.loc[("encode", "encode_copy"), "value"] >= cells.loc[("encode", "encode"), "value"] - 0.03
