"""Transfer with seeds and item outcomes (evalcorr.stats.seeded_transfer): planted structure, closed
forms, the released sheets' logic, and the experiment's own intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalcorr.stats import ground_truth as gt
from evalcorr.stats import seeded_transfer as st
from evalcorr.stats.transfer import transfer_matrix
from evalcorr.stats.transfer_cells import improvement_value
from tests._seeded import planted_outcomes, tidy_rows
from tests.stats.test_ground_truth import truth as toy_truth

TASKS = ["a1", "a2", "b1", "b2", "ab", "b3"]


def _helps(a, b):
    """Planted transfer: tasks sharing a primitive (toy ground truth) help each other a lot."""
    shared = gt.shared_primitives(toy_truth())
    return a != b and shared.loc[a, b] > 0 and "ab" not in (a, b)


def _after(m, a, b):
    return 0.95 if a == b else (0.7 if _helps(a, b) else 0.1)


@pytest.fixture(scope="module")
def planted():
    outcomes = planted_outcomes(["small", "large"], TASKS, n_seeds=6, n_items=120, after=_after,
                                baseline=lambda m, b: 0.1, seed_sd=0.3, item_sd=0.5, seed=1)
    cube = st.outcome_cube(outcomes, tasks=TASKS, models=["small", "large"])
    return outcomes, cube, st.bootstrap(cube, n_boot=400, seed=0)


def test_cube_and_pooled_point_estimates(planted):
    outcomes, cube, reps = planted
    assert cube.after.shape == (2, 6, 6, 6, 120) and cube.baseline.shape == (2, 6, 6, 120)
    runs = outcomes.runs
    pick = (runs["model"] == "large") & (runs["stage"] == "after_A_then_B") & (runs["train_task"] == "a1") & \
        (runs["eval_task"] == "a2")
    base = (runs["model"] == "large") & (runs["stage"] == "B_only") & (runs["eval_task"] == "a2")
    cells = st.cell_table(reps, "pp", model="large").set_index(["train_task", "eval_task"])
    expected = outcomes.correct[pick.to_numpy()].mean() - outcomes.correct[base.to_numpy()].mean()
    assert cells.loc[("a1", "a2"), "value"] == pytest.approx(expected)
    assert cells.loc[("a1", "a2"), "ci_low"] > 0.3 and cells.loc[("a1", "b1"), "includes_zero"]
    assert (cells["n"] == 6).all() and (cells["n_items"] == 120).all()
    headroom = st.cell_table(reps, "headroom", model="large").set_index(["train_task", "eval_task"])
    a = cells.loc[("a1", "a2"), "after"]
    b = cells.loc[("a1", "a2"), "baseline"]
    assert headroom.loc[("a1", "a2"), "value"] == pytest.approx((a - b) / (1 - b))


def test_the_tidy_path_and_the_item_path_give_the_same_matrices(planted):
    outcomes, cube, reps = planted
    df = tidy_rows(outcomes)
    for view in st.CELL_VIEWS:
        tidy = transfer_matrix(df, "controlled-transfer", model="small", view=view)
        items = st.view_matrix(reps, view, "small", TASKS).loc[tidy.index, tidy.columns]
        assert np.allclose(tidy.to_numpy(), items.to_numpy(), equal_nan=True, atol=1e-12), view
    one = transfer_matrix(df, "controlled-transfer", model="small", view="after", seed=2)
    rows = df[(df["model"] == "small") & (df["stage"] == "after_A_then_B") & (df["seed"] == 2)]
    assert one.loc["a1", "b1"] == pytest.approx(rows.set_index(["train_task", "eval_task"]).loc[("a1", "b1"), "value"])


def _pigeonhole_variance(d: np.ndarray) -> float:
    """Exact variance of the mean of ``d`` [seeds, items] when seeds and items are resampled
    independently with multinomial weights (the expectation of the bootstrap's variance)."""
    n_s, n_i = d.shape
    second = lambda n: np.eye(n) / n ** 2 - np.ones((n, n)) / n ** 3 + np.ones((n, n)) / n ** 2   # E[w w']
    return float(np.trace(d @ second(n_i) @ d.T @ second(n_s)) - d.mean() ** 2)


def test_bootstrap_variance_matches_its_closed_form(planted):
    _, cube, _ = planted
    reps = st.bootstrap(cube, n_boot=4000, seed=3)
    boot = st.view_values(reps.boot, "pp", reps.n_pooled)[:, 1]        # model "large"
    spread = st.seed_item_spread(cube, "large").set_index(["train_task", "eval_task"])
    for cell in [("a1", "a2"), ("b1", "b2"), ("a1", "b1")]:
        i, j = TASKS.index(cell[0]), TASKS.index(cell[1])
        d = cube.after[1, i, j].astype(float) - cube.baseline[1, j].astype(float)
        assert boot[:, i, j].var() == pytest.approx(_pigeonhole_variance(d), rel=0.1), cell
        # the one-way parts: seeds' means and items' means (ddof 0), each a lower bound of the two-way
        assert spread.loc[cell, "seed_se"] == pytest.approx(d.mean(axis=1).std() / np.sqrt(d.shape[0]))
        assert spread.loc[cell, "item_se"] == pytest.approx(d.mean(axis=0).std() / np.sqrt(d.shape[1]))
        assert _pigeonhole_variance(d) >= spread.loc[cell, "seed_se"] ** 2


def test_each_replicate_is_the_weighted_mean_under_its_own_draws(planted):
    """The replicates by hand: the same draws, weights per task, means in float64."""
    _, cube, reps = planted
    rng = np.random.default_rng(reps.seed)
    s, k, i = cube.n_seeds, len(cube.tasks), cube.n_items
    seed_w = rng.multinomial(s, np.full(s, 1 / s), size=reps.n_boot) / s
    # each task's items drawn uniformly with replacement, replicate by replicate, task by task
    draws = rng.integers(0, i, size=(reps.n_boot * k, i)).reshape(reps.n_boot, k, i)
    item_w = (draws[..., None] == np.arange(i)).sum(axis=2) / i
    for b in (0, 1, reps.n_boot - 1):
        # after[model, trained on A, evaluated on B, seed, item]: B's own item weights, A's do not matter
        expected = np.einsum("mabsi,s,bi->mab", cube.after.astype(float), seed_w[b], item_w[b])
        assert np.allclose(reps.boot.after[b], expected, atol=1e-6)
        expected = np.einsum("mbsi,s,bi->mb", cube.baseline.astype(float), seed_w[b], item_w[b])
        assert np.allclose(reps.boot.baseline[b], expected, atol=1e-6)


def test_intervals_cover_a_known_mean():
    """Coverage of the planted improvement over repeated experiments (crossed seeds and items)."""
    true_after, true_base = 0.6, 0.2
    covered = []
    for rep in range(60):
        outcomes = planted_outcomes(["m"], ["x", "y"], n_seeds=5, n_items=80,
                                    after=lambda m, a, b: true_after if a != b else 0.9,
                                    baseline=lambda m, b: true_base, seed=100 + rep)
        reps = st.bootstrap(st.outcome_cube(outcomes), n_boot=200, seed=rep)
        cell = st.cell_table(reps, "pp").set_index(["train_task", "eval_task"]).loc[("x", "y")]
        covered.append(cell["ci_low"] <= true_after - true_base <= cell["ci_high"])
    assert 0.85 <= np.mean(covered) <= 1.0


def test_the_released_experiment_agrees_with_its_own_intervals():
    import evalcorr

    truth = evalcorr.load_ground_truth()
    cube = st.outcome_cube(evalcorr.load_item_outcomes(), tasks=gt.task_order(truth), models=["ct-s", "ct-m", "ct-l"])
    reps = st.bootstrap(cube)
    ours = st.cell_table(reps, "pp")
    theirs = evalcorr.load_source_file("controlled-transfer", "intervals")
    both = ours.merge(theirs, on=["model", "train_task", "eval_task"])
    assert len(both) == len(ours) == 300
    assert np.allclose(both["value"], both["mean_pp"], atol=1e-9)          # the same point estimates
    # the same scheme with other random draws: half-widths agree up to Monte Carlo error
    gap = np.abs(both["half_width_x"] - both["half_width_y"])
    assert (gap <= 0.1 * both["half_width_y"] + 0.002).all()
    assert np.corrcoef(both["half_width_x"], both["half_width_y"])[0, 1] > 0.99


def test_mutual_groups_recover_the_planted_pairs(planted):
    _, _, reps = planted
    groups = st.mutual_groups(reps, "large", TASKS)
    partition = {frozenset(g.index) for _, g in groups.groupby(groups)}
    assert partition == {frozenset({"a1", "a2"}), frozenset({"b1", "b2", "b3"}), frozenset({"ab"})}
    assert st.unhelped_tasks(reps, TASKS) == ["ab"]


def test_agreement_with_the_planted_ground_truth(planted):
    _, _, reps = planted
    truth = toy_truth()
    agreement = st.truth_agreement(reps, truth).set_index(["model", "reference"])
    primitives = agreement.loc[("large", "shared primitives")]
    surface = agreement.loc[("large", "same surface")]
    # the planted similarity: pairs that help each other (all but those with "ab") against the truth
    planted_pairs = [float(_helps(a, b)) for i, a in enumerate(TASKS) for b in TASKS[i + 1:]]
    shared = gt.shared_primitives(truth, TASKS)
    reference = [float(shared.loc[a, b] > 0) for i, a in enumerate(TASKS) for b in TASKS[i + 1:]]
    assert primitives["r"] == pytest.approx(np.corrcoef(planted_pairs, reference)[0, 1], abs=0.15)
    assert primitives["ci_low"] > 0.2     # (the exact p-value is tested in tests/stats/test_ground_truth.py)
    assert surface["r"] < primitives["r"] - 0.3 and primitives["n_perm"] == 720
    assert primitives["ari"] > surface["ari"]
    contrast = st.agreement_contrast(reps, truth)
    assert (contrast["favours"] == "shared primitives").all() and (contrast["ci_low"] > 0).all()


def test_category_means_and_contrast(planted):
    _, _, reps = planted
    truth = toy_truth()
    means = st.category_means(reps, truth).set_index(["model", "category"])
    pairs = gt.pair_categories(truth)
    pp = st.view_matrix(reps, "pp", "small", TASKS)
    chosen = pairs[pairs["category"] == "same surface only"]
    manual = np.mean([pp.loc[a, b] for a, b in zip(chosen["train_task"], chosen["eval_task"])])
    assert means.loc[("small", "same surface only"), "mean"] == pytest.approx(manual)
    assert means.loc[("small", "same surface only"), "n_pairs"] == len(chosen)
    contrast = st.category_contrast(reps, truth, "shared primitive, other surface", "same surface only")
    assert contrast["beyond_noise"].all() and (contrast["difference"] > 0.2).all()
    with pytest.raises(st.SeededTransferError, match="unknown categor"):
        st.category_contrast(reps, truth, "shared primitive, other surface", "look-alike")


def test_size_comparison_reuses_the_headline_logic(planted):
    outcomes, _, _ = planted
    # two sizes with identical outcomes: every difference is exactly 0 and within noise
    twin = outcomes.runs.copy()
    twin["model"] = twin["model"].map({"small": "s1", "large": "s2"})
    same = outcomes.runs[outcomes.runs["model"] == "small"]
    runs = pd.concat([same.assign(model="s1"), same.assign(model="s2")], ignore_index=True)
    correct = np.concatenate([outcomes.correct[same.index], outcomes.correct[same.index]])
    cube = st.outcome_cube(type(outcomes)(runs, correct), tasks=TASKS, models=["s1", "s2"])
    head = st.size_comparison(st.bootstrap(cube, n_boot=200), TASKS)
    assert (head["difference"] == 0).all() and (head["difference_low"] == 0).all()
    assert set(head["favours"]) == {"within noise"} and list(head["view"]) == ["pp", "relative", "headroom", "logodds"]
    # the point means are the plain off-diagonal means, as in the released-sheet headline
    _, _, reps = planted
    head = st.size_comparison(reps, TASKS, views=["pp"], resample_tasks=False).iloc[0]
    pp = st.view_matrix(reps, "pp", "small", TASKS).to_numpy()
    assert head["mean_a"] == pytest.approx(pp[~np.eye(6, dtype=bool)].mean())
    assert head["model_a"] == "small" and head["model_b"] == "large" and head["n_cells"] == 30


def test_controls_asymmetry_and_seed_diagnostics(planted):
    _, cube, reps = planted
    truth = toy_truth()
    # the toy truth has controls the planted cube lacks: a cube with them
    tasks = TASKS + ["a1_copy", "b1_shuffled"]
    outcomes = planted_outcomes(["m"], tasks, n_seeds=4, n_items=60,
                                after=lambda m, a, b: 0.95 if {a, b} <= {"a1", "a1_copy"} else 0.05,
                                baseline=lambda m, b: 0.05, seed=4)
    small = st.bootstrap(st.outcome_cube(outcomes, tasks=tasks), n_boot=200)
    copies, shuffled = st.control_effects(small, truth)
    assert set(zip(copies["train_task"], copies["eval_task"])) == {("a1", "a1_copy"), ("a1_copy", "a1")}
    assert (copies["value"] > 0.7).all()
    assert shuffled.loc[0, "n_tasks"] == 7 and shuffled.loc[0, "n_helped"] == 0
    table = st.asymmetry_table(reps, "large", TASKS)
    assert len(table) == 15 and (table["difference"] == table["a_to_b"] - table["b_to_a"]).all()
    within = st.asymmetry_within_noise(table, TASKS)
    assert not np.diag(within.to_numpy()).any() and (within.to_numpy() == within.to_numpy().T).all()
    spread = st.seed_item_spread(cube, "large")
    needed = st.seeds_for_target(spread, cube.n_seeds, target=0.03)
    row = spread.index[0]
    room = (0.03 / 1.959964) ** 2 - spread.loc[row, "item_se"] ** 2
    if room > 0:
        assert needed[row] == np.ceil(6 * spread.loc[row, "seed_se"] ** 2 / room)
    seeds = st.per_seed_improvement(cube, "large", [("a1", "a2")])
    assert len(seeds) == 6 and seeds["improvement"].mean() == pytest.approx(
        spread.set_index(["train_task", "eval_task"]).loc[("a1", "a2"), "mean"])


def test_incomplete_outcomes_and_bad_arguments_are_refused(planted):
    outcomes, _, reps = planted
    with pytest.raises(st.SeededTransferError, match="stage after_A_then_B: .* runs found"):
        st.outcome_cube(outcomes.select(outcomes.runs.index != 5))
    with pytest.raises(st.SeededTransferError, match="model='huge' not found"):
        st.cell_table(reps, "pp", model="huge")
    with pytest.raises(st.SeededTransferError, match="view='odds'"):
        st.cell_table(reps, "odds")
    with pytest.raises(st.SeededTransferError, match="at least 100"):
        st.bootstrap(st.outcome_cube(outcomes), n_boot=10)


def test_improvement_value_matches_the_cell_formulas():
    after, base = np.array([0.5, 1.0, 0.3]), np.array([0.25, 0.5, 0.0])
    assert np.allclose(improvement_value("pp", after, base, 100), after - base)
    assert np.allclose(improvement_value("relative", after, base, 100)[:2], after[:2] / base[:2] - 1)
    assert np.isnan(improvement_value("relative", after, base, 100)[2])
    assert np.allclose(improvement_value("headroom", after, base, 100), (after - base) / (1 - base))
    lo = improvement_value("logodds", after, base, 100)
    assert lo[0] == pytest.approx(np.log(1) - np.log(1 / 3))
    assert np.isfinite(lo).all()                                        # 0 and 1 get half an item
