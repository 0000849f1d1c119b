"""Blocks of tasks: found on planted two-factor tables, never on noise, one block for one factor."""

import numpy as np
import pandas as pd
import pytest

from evalcorr.errors import EvalcorrError
from evalcorr.stats.blocks import (
    ALL_TASKS, NO_BLOCK, NOT_ANALYSED, assign_blocks, block_family_agreement, comparison_controls, comparison_groups,
    complete_core, find_blocks,
)
from evalcorr.stats.factors import parallel_analysis
from tests._synthetic import latent_factor_matrix, noise_table, two_blocks


@pytest.mark.parametrize("seed", range(6))
def test_planted_two_blocks_are_found_exactly(seed):
    wide, families = two_blocks(seed)
    blocks = find_blocks(wide, n_boot=50, seed=seed)
    assert blocks.n_factors == 2 and blocks.n_blocks == 2
    found = {frozenset(tasks) for tasks in blocks.groups().values()}
    assert found == {frozenset(families.index[families == f]) for f in ("A", "B")}
    assert blocks.unassigned == []
    assert block_family_agreement(blocks, families) == 1.0
    assert blocks.count_share >= 0.9 and blocks.supported


@pytest.mark.parametrize("seed", range(3))
def test_two_blocks_under_a_general_factor(seed):
    wide, families = two_blocks(seed, n_models=300, general=0.6, noise=0.6)
    blocks = find_blocks(wide, n_boot=50, seed=seed)
    assert blocks.n_blocks == 2
    assert block_family_agreement(blocks, families) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 13])
def test_noise_has_no_supported_blocks(seed):
    # parallel analysis retains a factor by chance on about 5% of noise tables (seeds 3 and 13 here,
    # one and two factors); the bootstrap then does not support the count
    blocks = find_blocks(noise_table(seed), n_boot=100, seed=seed)
    assert blocks.n_blocks == 0 or not blocks.supported


def test_parallel_analysis_rarely_retains_a_factor_in_noise():
    retained = [parallel_analysis(noise_table(seed), n_iter=100, seed=seed).n_factors for seed in range(20)]
    assert sum(k > 0 for k in retained) <= 4          # 5% expected (1 of 20); P(5 or more) is 0.3%


def test_one_common_factor_is_one_block_of_every_task():
    wide, _ = latent_factor_matrix(200, (("A", 4), ("B", 4)), general=0.9, specific=0.0, noise=0.5, seed=2)
    blocks = find_blocks(wide, n_boot=50)
    assert blocks.n_factors == 1 and blocks.n_blocks == 1
    assert blocks.unassigned == [] and len(blocks.groups()["block 1"]) == 8


def test_assign_blocks_rules():
    loadings = pd.DataFrame({"F1": [0.9, 0.8, 0.1, 0.2, 0.3, -0.7],
                             "F2": [0.1, 0.2, 0.85, 0.1, 0.35, 0.0],
                             "F3": [0.0, 0.0, 0.1, 0.75, 0.1, 0.1]},
                            index=["a", "b", "c", "d", "weak", "neg"])
    labels = assign_blocks(loadings)
    # F1 has a, neg (|-0.7|) and b; F2 only c and F3 only d (a single task is not a block); weak < 0.4
    assert labels.to_dict() == {"a": "block 1", "neg": "block 1", "b": "block 1", "c": "", "d": "", "weak": ""}
    assert list(labels.index[:3]) == ["a", "b", "neg"]           # by decreasing |loading|


def test_sparse_tasks_are_left_out_and_labelled():
    wide, families = two_blocks(0)
    wide["rare"] = np.where(np.arange(len(wide)) < 20, wide["A_0" if "A_0" in wide else wide.columns[0]], np.nan)
    blocks = find_blocks(wide, n_boot=20)
    assert blocks.excluded == ["rare"] and "rare" not in blocks.tasks
    table = blocks.label_table(wide.columns, pd.concat([families, pd.Series({"rare": "A"})]))
    assert table.set_index("task").loc["rare", "block"] == NOT_ANALYSED
    assert list(table.columns) == ["task", "family", "block", "display"]
    noise = find_blocks(noise_table(1), n_boot=20)
    assert set(noise.label_table(noise.tasks)["block"]) == {NO_BLOCK}


def test_too_few_complete_models_is_an_error():
    with pytest.raises(EvalcorrError, match="only 3 models have a score on every one of the tasks t0, t1"):
        find_blocks(noise_table(0, n_models=3))
    assert complete_core(noise_table(0, n_models=4)).shape == (4, 9)


def test_comparison_groups_prefer_families_then_blocks():
    wide, families = two_blocks(0)
    blocks = find_blocks(wide, n_boot=20)
    groups, kind = comparison_groups(blocks, families)
    assert kind == "families" and groups.to_dict() == families.loc[blocks.tasks].to_dict()
    groups, kind = comparison_groups(blocks, None)
    assert kind == "blocks" and groups.to_dict() == blocks.as_families().to_dict()
    noise = find_blocks(noise_table(0), n_boot=20)
    groups, kind = comparison_groups(noise, pd.Series("one", index=noise.tasks))   # one family: no split
    assert kind == "none" and set(groups) == {ALL_TASKS} and list(groups.index) == noise.tasks
    assert comparison_controls("families") == {"pc1": "pc1", "mean": "mean", "family-means": "family-means"}
    assert comparison_controls("blocks") == {"pc1": "pc1", "mean": "mean"}
