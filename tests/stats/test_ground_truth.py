"""Task relations from a ground-truth table, the Mantel test and partition agreement (evalcorr.stats.ground_truth)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import adjusted_rand_score

from evalcorr.stats import ground_truth as gt


def truth() -> pd.DataFrame:
    """Six real tasks over two primitives and two surfaces, a copy and a shuffled control."""
    rows = [("a1", "x", "", "", 1, 0), ("a2", "y", "", "", 1, 0), ("b1", "x", "", "", 0, 1),
            ("b2", "y", "", "", 0, 1), ("ab", "x", "", "", 1, 1), ("b3", "y", "", "", 0, 1),
            ("a1_copy", "x", "copy", "a1", 1, 0), ("b1_shuffled", "x", "shuffled", "b1", 0, 0)]
    table = pd.DataFrame(rows, columns=["task", "surface", "control", "control_of", "p", "q"])
    return table.assign(template="", description=table["task"])[
        ["task", "surface", "control", "control_of", "template", "description", "p", "q"]]


def test_relations_between_real_tasks():
    t = truth()
    assert gt.real_tasks(t) == ["a1", "a2", "b1", "b2", "ab", "b3"]
    shared = gt.shared_primitives(t)
    assert shared.loc["a1", "a2"] == 1 and shared.loc["a1", "b1"] == 0 and shared.loc["ab", "ab"] == 2
    assert (shared.to_numpy() == shared.to_numpy().T).all()
    surface = gt.same_surface(t)
    assert surface.loc["a1", "b1"] == 1 and surface.loc["a1", "a2"] == 0
    assert gt.primitive_groups(t).to_dict() == {"a1": "p", "a2": "p", "b1": "q", "b2": "q", "b3": "q"}
    assert gt.surface_groups(t).loc["b3"] == "y"
    assert gt.controls(t, "copy").to_dict("records") == [{"task": "a1_copy", "control_of": "a1"}]


def test_pair_categories_cover_every_ordered_pair_once():
    pairs = gt.pair_categories(truth())
    assert len(pairs) == 6 * 5 and not pairs.duplicated(["train_task", "eval_task"]).any()
    by = pairs.set_index(["train_task", "eval_task"])["category"]
    assert by[("a1", "a2")] == "shared primitive, other surface"
    assert by[("a1", "ab")] == "shared primitive, same surface"
    assert by[("a1", "b1")] == "same surface only"
    assert by[("a1", "b2")] == "neither"
    assert set(pairs["category"]) == set(gt.CATEGORIES)


def test_task_order_groups_by_primitive_and_puts_controls_last():
    assert gt.task_order(truth()) == ["a1", "a2", "ab", "b1", "b2", "b3", "a1_copy", "b1_shuffled"]
    described = gt.describe_tasks(truth()).set_index("task")
    assert described.loc["ab", "primitives"] == "p, q" and described.loc["b1_shuffled", "primitives"] == "none"
    assert described.loc["a1_copy", "role"] == "copy of a1" and described.loc["a1", "role"] == ""


def _symmetric(values, tasks):
    m = pd.DataFrame(values, index=tasks, columns=tasks, dtype=float)
    return (m + m.T) / 2


def test_mantel_r_is_the_pearson_r_of_the_upper_triangles_and_p_is_exact():
    rng = np.random.default_rng(1)
    tasks = list("abcdef")
    sim = _symmetric(rng.random((6, 6)), tasks)
    ref = _symmetric(rng.random((6, 6)), tasks)
    upper = np.triu_indices(6, 1)
    result = gt.mantel_test(sim, ref)
    expected_r = stats.pearsonr(sim.to_numpy()[upper], ref.to_numpy()[upper])[0]
    assert result["r"] == pytest.approx(expected_r)
    assert result["exact"] and result["n_perm"] == 720
    # brute force: every relabelling of the similarity
    brute = [np.corrcoef(sim.to_numpy()[np.ix_(p, p)][upper], ref.to_numpy()[upper])[0, 1]
             for p in itertools.permutations(range(6))]
    assert result["p"] == pytest.approx(np.mean(np.array(brute) >= expected_r - 1e-12))


def test_planted_structure_gives_the_smallest_possible_p():
    t = truth()
    tasks = gt.real_tasks(t)
    reference = gt.shared_primitives(t, tasks)
    sim = reference.astype(float).copy()           # the similarity is the ground truth itself
    result = gt.mantel_test(sim, reference)
    assert result["r"] == pytest.approx(1.0)
    # relabellings that keep the reference (swaps within its groups) tie; nothing beats it
    ties = sum(np.array_equal(reference.to_numpy()[np.ix_(p, p)], reference.to_numpy())
               for p in itertools.permutations(range(len(tasks))))
    assert result["p"] == pytest.approx(ties / 720)


def test_partial_mantel_is_the_correlation_of_residuals_on_the_control():
    rng = np.random.default_rng(2)
    tasks = list("abcdefg")
    control = _symmetric(rng.random((7, 7)), tasks)
    ref = _symmetric(rng.random((7, 7)), tasks) + control
    sim = 2 * control + _symmetric(rng.random((7, 7)), tasks) * 0.1   # the similarity is mostly the control
    upper = np.triu_indices(7, 1)
    x, y, z = (m.to_numpy()[upper] for m in (sim, ref, control))
    rx = x - np.polyval(np.polyfit(z, x, 1), z)
    ry = y - np.polyval(np.polyfit(z, y, 1), z)
    plain = gt.mantel_test(sim, ref)
    partial = gt.mantel_test(sim, ref, control=control)
    assert plain["r"] == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert partial["r"] == pytest.approx(np.corrcoef(rx, ry)[0, 1])
    assert plain["r"] > 0.5 and abs(partial["r"]) < plain["r"] - 0.3     # the shared control explained it


def test_random_permutations_beyond_the_exact_limit():
    rng = np.random.default_rng(3)
    tasks = [f"t{i}" for i in range(gt.EXACT_LIMIT + 1)]
    n = len(tasks)
    sim = _symmetric(rng.random((n, n)), tasks)
    result = gt.mantel_test(sim, sim, n_perm=199)
    assert not result["exact"] and result["n_perm"] == 200 and result["p"] == pytest.approx(1 / 200)


def test_mantel_refuses_asymmetric_or_incomplete_input():
    tasks = list("abcd")
    asym = pd.DataFrame(np.arange(16.0).reshape(4, 4), index=tasks, columns=tasks)
    with pytest.raises(gt.GroundTruthError, match="symmetric"):
        gt.mantel_test(asym, asym)
    sym = _symmetric(np.ones((4, 4)), tasks)
    with pytest.raises(gt.GroundTruthError, match="lacks task"):
        gt.mantel_test(sym, sym.drop(index="d"))


def test_partition_agreement_is_sklearns_ari_on_common_tasks():
    labels = pd.Series([1, 1, 2, 2, 3], index=list("abcde"))
    groups = pd.Series(["x", "x", "y", "z"], index=list("abcd"))
    assert gt.partition_agreement(labels, groups) == pytest.approx(adjusted_rand_score(["x", "x", "y", "z"], [1, 1, 2, 2]))
    assert gt.partition_agreement(labels.loc[list("ab")], groups) == pytest.approx(1.0)
