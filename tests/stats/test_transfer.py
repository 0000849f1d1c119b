"""Tests of evalcorr.stats.transfer: matrices as released, asymmetry, similarity, clustering, SFT effects."""

from __future__ import annotations

import csv
import itertools
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalcorr.stats.transfer import (TransferError, asymmetric_pairs, asymmetry, cluster_tasks,
                               configuration_stability, count_asymmetries, duplicated_baselines,
                               effect_matrix, mean_transfer, off_diagonal, parse_setting,
                               setting_similarity, sft_effects, similarity, similarity_linkage,
                               transfer_matrix)

TASKS = ["a", "b", "c", "d"]


def tidy(matrix, source="transfer-scaling", model="m1", stage="pp_improvement", metric="pp",
         setting="default"):
    """A tidy transfer frame from a nested list (rows trained on, columns evaluated on)."""
    rows = []
    for i, train in enumerate(TASKS[:len(matrix)]):
        for j, target in enumerate(TASKS[:len(matrix[0])]):
            if matrix[i][j] is not None:
                rows.append({"source": source, "model": model, "setting": setting, "train_task": train,
                             "eval_task": target, "stage": stage, "metric": metric,
                             "value": float(matrix[i][j])})
    return pd.DataFrame(rows)


M = [[0.5, 0.2, 0.0, -0.1],
     [0.05, 0.4, 0.3, 0.0],
     [0.1, 0.25, 0.3, 0.02],
     [-0.2, 0.0, 0.04, 0.6]]


def test_transfer_matrix_is_the_released_grid_in_release_order():
    df = tidy(M)
    mat = transfer_matrix(df, "transfer-scaling", view="pp")
    assert list(mat.index) == TASKS and list(mat.columns) == TASKS
    np.testing.assert_array_equal(mat.to_numpy(), np.array(M))


def test_empty_diagonal_keeps_square_layout():
    grid = [[None if i == j else M[i][j] for j in range(4)] for i in range(4)]
    mat = transfer_matrix(tidy(grid, stage="relative_improvement", metric="relative"),
                          "transfer-scaling", view="relative")
    assert list(mat.columns) == TASKS          # 'a' has no value in row 'a' but stays first
    assert np.isnan(np.diag(mat.to_numpy())).all()


def test_transfer_matrix_errors_name_the_choice():
    df = pd.concat([tidy(M, model="m1"), tidy(M, model="m2")])
    with pytest.raises(TransferError, match="model is ambiguous.*m1, m2"):
        transfer_matrix(df, "transfer-scaling", view="pp")
    with pytest.raises(TransferError, match="model='zz' not found"):
        transfer_matrix(df, "transfer-scaling", model="zz", view="pp")
    with pytest.raises(TransferError, match="view='bogus'"):
        transfer_matrix(df, "transfer-scaling", model="m1", view="bogus")
    with pytest.raises(TransferError, match="no rows of source 'taskweb'"):
        transfer_matrix(df, "taskweb")


def test_asymmetry_is_antisymmetric_difference():
    mat = transfer_matrix(tidy(M), "transfer-scaling", view="pp")
    asym = asymmetry(mat)
    np.testing.assert_allclose(asym.to_numpy(), -asym.to_numpy().T)
    assert asym.at["a", "b"] == pytest.approx(0.2 - 0.05)
    assert asym.at["d", "a"] == pytest.approx(-0.2 - (-0.1))
    assert (np.diag(asym) == 0).all()


def test_asymmetric_pairs_and_threshold_count():
    mat = transfer_matrix(tidy(M), "transfer-scaling", view="pp")
    pairs = asymmetric_pairs(mat, threshold=0.1)
    assert len(pairs) == 6
    expected = sum(abs(M[i][j] - M[j][i]) > 0.1 for i, j in itertools.combinations(range(4), 2))
    assert count_asymmetries(mat, 0.1) == expected == int(pairs["asymmetric"].sum())
    top = pairs.iloc[0]
    assert top["abs_difference"] == pytest.approx(pairs["abs_difference"].max())
    assert top["difference"] == pytest.approx(top["a_to_b"] - top["b_to_a"])


def test_similarity_is_geometric_mean_of_clipped_directions():
    mat = transfer_matrix(tidy(M), "transfer-scaling", view="pp")
    sim = similarity(mat)
    assert sim.at["b", "c"] == pytest.approx(np.sqrt(0.3 * 0.25))
    assert sim.at["a", "b"] == pytest.approx(np.sqrt(0.2 * 0.05))
    assert sim.at["a", "d"] == 0.0                 # both directions negative -> clipped to 0
    assert sim.at["c", "a"] == 0.0                 # one direction 0 -> no similarity
    np.testing.assert_allclose(sim.to_numpy(), sim.to_numpy().T, equal_nan=True)
    assert np.isnan(np.diag(sim)).all()


def test_similarity_linkage_merges_the_most_similar_pair_first():
    # two blocks: {a, b} and {c, d}
    block = [[1, 0.4, 0.0, 0.01], [0.5, 1, 0.02, 0.0], [0.0, 0.01, 1, 0.3], [0.02, 0.0, 0.2, 1]]
    sim = similarity(transfer_matrix(tidy(block), "transfer-scaling", view="pp"))
    link = similarity_linkage(sim)
    first = sorted(link[0, :2].astype(int))
    assert [sim.index[i] for i in first] == ["a", "b"]
    assert link[0, 2] == pytest.approx(0.0)       # max similarity -> distance 0
    clusters = cluster_tasks(sim, 2)
    assert clusters["a"] == clusters["b"] != clusters["c"] == clusters["d"]


def test_off_diagonal_and_mean_transfer():
    mat = transfer_matrix(tidy(M), "transfer-scaling", view="pp")
    cells = off_diagonal(mat)
    assert len(cells) == 12
    expected = np.mean([M[i][j] for i in range(4) for j in range(4) if i != j])
    assert mean_transfer(mat) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# massive-sft effects


def sft_frame():
    """Two models, two settings, datasets x benchmarks with known effects."""
    rows = []
    pretrain = {"m1": {"b1": 10.0, "b2": 20.0}, "m2": {"b1": 30.0, "b2": 5.0},
                "m3": {"b1": 10.0, "b2": 20.0}}   # m3 copies m1's pretrain row
    for model, base in pretrain.items():
        for bench, value in base.items():
            rows.append({"source": "massive-sft", "model": model, "setting": "default", "train_task": None,
                         "eval_task": bench, "stage": "pretrain", "metric": "score", "value": value})
    effects = {("d1", "b1"): 2.0, ("d1", "b2"): -1.0, ("d2", "b1"): 4.0, ("d2", "b2"): 3.0,
               ("d3", "b1"): -2.0, ("d3", "b2"): 0.5}
    for setting, factor in (("lora=false;epoch=10", 1.0), ("lora=true;epoch=10", -1.0)):
        for model, base in pretrain.items():
            shift = {"m1": 0.0, "m2": 1.0, "m3": 5.0}[model]
            for (data, bench), effect in effects.items():
                rows.append({"source": "massive-sft", "model": model, "setting": setting, "train_task": data,
                             "eval_task": bench, "stage": "sft", "metric": "score",
                             "value": base[bench] + factor * effect + shift})
    return pd.DataFrame(rows)


def test_sft_effects_subtract_the_same_models_pretrain_row():
    eff = sft_effects(sft_frame(), "lora=false;epoch=10")
    row = eff[(eff.model == "m2") & (eff.train_task == "d2") & (eff.eval_task == "b1")].iloc[0]
    assert row["pretrain"] == 30.0 and row["sft"] == 35.0 and row["effect"] == 5.0
    with pytest.raises(TransferError, match="setting='nope'.*lora=false;epoch=10"):
        sft_effects(sft_frame(), "nope")


def test_duplicated_baselines_and_averaged_effects():
    df = sft_frame()
    assert duplicated_baselines(df) == ["m1", "m3"]
    eff = sft_effects(df, "lora=false;epoch=10")
    mean = effect_matrix(eff, exclude=["m3"])
    assert mean.at["d1", "b1"] == pytest.approx((2.0 + 3.0) / 2)   # m1: +2, m2: +2 + 1
    assert effect_matrix(eff, exclude=duplicated_baselines(df)).at["d1", "b1"] == pytest.approx(3.0)
    assert effect_matrix(eff, model="m3").at["d1", "b1"] == pytest.approx(7.0)
    assert list(mean.index) == ["d1", "d2", "d3"] and list(mean.columns) == ["b1", "b2"]


def test_configuration_stability_matches_scipy():
    df = sft_frame()
    out = configuration_stability(df, "lora=false;epoch=10", ["lora=false;epoch=10", "lora=true;epoch=10"],
                                  exclude=["m3"])
    assert out.loc[0, "r"] == pytest.approx(1.0)
    a = sft_effects(df, "lora=false;epoch=10").query("model != 'm3'")
    b = sft_effects(df, "lora=true;epoch=10").query("model != 'm3'")
    keys = ["model", "train_task", "eval_task"]
    both = a.merge(b, on=keys)
    assert out.loc[1, "r"] == pytest.approx(stats.pearsonr(both.effect_x, both.effect_y).statistic)
    assert out.loc[1, "n_models"] == 2 and out.loc[1, "n_cells"] == 12


def test_parse_setting():
    assert parse_setting("lora=true;epoch=2;data_size=1000") == {"lora": "true", "epoch": "2",
                                                                 "data_size": "1000"}
    assert parse_setting("default") == {}


def test_setting_similarity_correlates_off_diagonal_cells():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(4, 4))
    other = base + rng.normal(scale=0.5, size=(4, 4))
    frames = []
    for name, grid in (("s1", base), ("s2", other), ("s3", -base)):
        frames.append(tidy(grid.tolist(), source="taskweb", model=name, stage="transfer",
                           metric="pct_change", setting=name))
    pairs = setting_similarity(pd.concat(frames), "taskweb")
    mask = ~np.eye(4, dtype=bool)
    r12 = stats.pearsonr(base[mask], other[mask]).statistic
    assert pairs.query("setting_a == 's1' and setting_b == 's2'")["r"].item() == pytest.approx(r12)
    assert pairs.query("setting_a == 's1' and setting_b == 's3'")["r"].item() == pytest.approx(-1.0)
    assert (pairs["n"] == 12).all()


# ---------------------------------------------------------------------------------------------
# The released transfer-scaling numbers, cell by cell


KEYS = {"addy": "addition", "sub": "subtraction", "spain": "spanish", "div": "division",
        "mex": "math_expressions", "mult2x1": "multiplication_2x1", "faith": "faith", "science": "science"}
MODELS = {"babbage": "babbage-002", "davinci": "davinci-002"}


def _csv_blocks(path):
    """The header+8-row blocks of a released sheet, read with the csv module: [{(A, B): value}]."""
    blocks, header = [], None
    with open(path, newline="") as handle:
        for row in csv.reader(handle):
            if not any(cell.strip() for cell in row):
                header = None
                continue
            if row[0] == "":
                header = row[1:]
                blocks.append({})
                continue
            for target, cell in zip(header, row[1:]):
                if cell.strip():
                    blocks[-1][(KEYS[row[0]], KEYS[target])] = float(cell)
    return blocks


@pytest.fixture(scope="module")
def released():
    import evalcorr
    from evalcorr.data.locations import default_mirror

    mirror = default_mirror()
    if mirror is None:
        pytest.fail("the data mirror is needed: set EVALCORR_DATA_DIR or keep ../shared/data beside the checkout")
    results = mirror / "transfer-scaling" / "results"
    return evalcorr.load_transfer("transfer-scaling"), results


@pytest.mark.parametrize("short", list(MODELS))
def test_every_released_cell_is_reproduced(released, short):
    df, results = released
    model = MODELS[short]
    raw, after = _csv_blocks(results / f"pairwise_{short}_non-normalized.csv")
    (pp,) = _csv_blocks(results / f"{short}_subtracted-Sheet1.csv")
    (relative,) = _csv_blocks(results / f"pairwise_{short}_normalized.csv")
    for view, cells in (("raw", raw), ("after", after), ("pp", pp), ("relative", relative)):
        mat = transfer_matrix(df, "transfer-scaling", model=model, view=view)
        assert list(mat.index) == list(KEYS.values()), view
        assert mat.notna().sum().sum() == len(cells), view
        for (a, b), value in cells.items():
            assert mat.at[a, b] == value, (view, a, b)


def test_known_cell_babbage_addition_to_multiplication(released):
    df, _ = released
    raw = transfer_matrix(df, "transfer-scaling", model="babbage-002", view="raw")
    assert raw.at["addition", "multiplication_2x1"] == 0.27


def _baseline(path):
    """The 10-of-B baselines from the released log: {task: accuracy}."""
    pattern = re.compile(r"Performance of (\w+)-tiny-finetuned model on \w+ dataset: ([0-9.]+)")
    return {KEYS[m[1]]: float(m[2]) for m in pattern.finditer(path.read_text())}


@pytest.mark.parametrize("short,log", [("babbage", "finetuned_baseline_babbage.txt"),
                                       ("davinci", "finetune_baseline_davinci.txt")])
def test_pp_sheet_equals_after_minus_baseline_within_rounding(released, short, log):
    """The released pp sheet is (after A then B) - (10 of B only), rounded to 2 decimals."""
    df, results = released
    _, after = _csv_blocks(results / f"pairwise_{short}_non-normalized.csv")
    (pp,) = _csv_blocks(results / f"{short}_subtracted-Sheet1.csv")
    baseline = _baseline(results / log)
    assert len(baseline) == 8
    exceptions = {(a, b): (after[(a, b)] - baseline[b], released_pp) for (a, b), released_pp in pp.items()
                  if abs(after[(a, b)] - baseline[b] - released_pp) > 0.005 + 1e-9}
    assert exceptions == {}, f"pp cells off by more than the rounding: {exceptions}"
    # and the module's pp view is that released sheet
    view = transfer_matrix(df, "transfer-scaling", model=MODELS[short], view="pp")
    assert view.at["addition", "subtraction"] == pp[("addition", "subtraction")]


def test_find_setting_and_one_factor_comparisons():
    from evalcorr.stats.transfer import find_setting, one_factor_comparisons, settings_table

    df = sft_frame()
    table = settings_table(df)
    assert set(table["setting"]) == {"lora=false;epoch=10", "lora=true;epoch=10"}
    assert (table["n_models"] == 3).all() and (table["n_train_tasks"] == 3).all()
    assert find_setting(df, lora=False, epoch=10.0) == "lora=false;epoch=10"
    with pytest.raises(TransferError, match="2 massive-sft settings match"):
        find_setting(df, epoch=10)
    with pytest.raises(TransferError, match="unknown setting factor"):
        find_setting(df, seed=1)
    out = one_factor_comparisons(df, "lora=false;epoch=10", "lora", exclude=["m3"])
    assert list(out["value"]) == ["true"]
    assert out.loc[0, "r"] == pytest.approx(
        configuration_stability(df, "lora=false;epoch=10", ["lora=true;epoch=10"], exclude=["m3"]).loc[0, "r"])
    with pytest.raises(TransferError, match="no massive-sft setting differs"):
        one_factor_comparisons(df, "lora=false;epoch=10", "epoch")


def test_model_agreement_is_leave_one_out_correlation():
    from evalcorr.stats.transfer import model_agreement

    df = sft_frame()
    eff = sft_effects(df, "lora=false;epoch=10")
    out = model_agreement(eff, exclude=["m3"]).set_index("model")
    assert list(out.index) == ["m1", "m2"]
    # m2's effects are m1's plus a constant, so each correlates perfectly with the other
    assert out.loc["m1", "r"] == pytest.approx(1.0)
    assert out.loc["m2", "mean_effect"] == pytest.approx(out.loc["m1", "mean_effect"] + 1.0)
    assert out.loc["m1", "n_cells"] == 6


def test_massive_sft_effects_equal_the_released_delta_and_flag_the_copied_baseline():
    import evalcorr
    from evalcorr.stats.transfer import find_setting

    df = evalcorr.load_transfer("massive-sft")
    assert duplicated_baselines(df) == ["Chinese-Mistral-7B-v0.1", "Mistral-7B-v0.1"]
    setting = find_setting(df, lora=False, epoch=10, data_size=1000, lr_strategy="cosine")
    eff = sft_effects(df, setting)
    assert eff["model"].nunique() == 11 and eff["train_task"].nunique() == 10
    delta = df[(df["stage"] == "delta") & (df["setting"] == setting)]
    both = eff.merge(delta, on=["model", "train_task", "eval_task"])
    assert len(both) == len(eff) == len(delta)
    np.testing.assert_allclose(both["effect"], both["value"], atol=1e-9)
    pp = transfer_matrix(df, "massive-sft", model="Qwen2.5-7B", view="pp", setting=setting)
    assert pp.loc["math", "gsm8k-4shot"] == pytest.approx(
        effect_matrix(eff, model="Qwen2.5-7B").loc["math", "gsm8k-4shot"])


def test_effect_by_model_averages_over_benchmarks():
    from evalcorr.stats.transfer import effect_by_model

    eff = sft_effects(sft_frame(), "lora=false;epoch=10")
    table = effect_by_model(eff)
    assert table.at["m1", "d1"] == pytest.approx((2.0 - 1.0) / 2)
    assert table.at["m2", "d2"] == pytest.approx((4.0 + 3.0) / 2 + 1.0)
    assert "metric" in eff.columns
