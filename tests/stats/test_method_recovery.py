"""The population analyses on a synthetic population with planted structure.

Six tasks, three primitives (p: a, b; q: c, d; r: e, f) and two surface families that cut across them
(X: a, c, e; Y: b, d, f). Each model has a general level (compute) and a skill per primitive; in the
co-training regime a model also gets a family effect (its training mixture weights a family's tasks
together), which no skill explains. Models come in lineages (a base effect shared by its fine-tunes).
"""

import numpy as np
import pandas as pd
import pytest

from evalcorr.stats import method_recovery as mr

TASKS = list("abcdef")
PRIMITIVE = dict(zip(TASKS, "ppqqrr"))
SURFACE = dict(zip(TASKS, "XYXYXY"))


def _population(n_boards=3, n_bases=6, per_base=12, family_effect=1.0, seed=0):
    rng = np.random.default_rng(seed)
    rows, meta = [], []
    for board in range(n_boards):
        for j in range(n_bases):
            base_skill = rng.normal(size=3) * 0.5
            for i in range(per_base):
                general, skill = rng.normal(), base_skill + rng.normal(size=3)
                family = rng.normal(size=2)
                steps = int(rng.choice([25, 50, 100, 200]))
                noise = rng.normal(size=(2, 6)) * 0.3
                for k, regime in enumerate(mr.REGIMES):
                    extra = family_effect * family if regime == "co-training" else np.zeros(2)
                    score = [general + skill["pqr".index(PRIMITIVE[t])] + extra["XY".index(SURFACE[t])]
                             + noise[k, n] for n, t in enumerate(TASKS)]
                    name = f"{'ind' if k == 0 else 'cot'}-L{board}-{j}-{i}"
                    rows.append(pd.Series(score, index=TASKS, name=name))
                    meta.append({"model": name, "regime": regime, "leaderboard": board, "base": f"{board}/{j}",
                                 "steps": steps, "data_seed": board * 1000 + j * 100 + i, "params": 1e5 * (1 + j % 3)})
    wide = pd.DataFrame(rows)
    wide.index.name = "model"
    truth = pd.DataFrame({"task": TASKS, "surface": [SURFACE[t] for t in TASKS], "control": "", "control_of": "",
                          "template": "", "description": "",
                          **{p: [int(PRIMITIVE[t] == p) for t in TASKS] for p in "pqr"}})
    return wide, pd.DataFrame(meta), truth


@pytest.fixture(scope="module")
def study():
    wide, models, truth = _population()
    return mr.population_study(wide.sample(frac=1, random_state=1), models, truth)   # row order must not matter


def test_population_study_pairs_twins_whatever_the_row_order(study):
    assert list(study.regimes) == ["independent", "co-training"]
    assert len(study.twins) == len(study.regimes["co-training"])
    assert all(c.replace("cot", "ind") == i for c, i in study.twins.items())
    assert study.groups.nunique() == 18 and study.replicate.nunique() == 3


def test_recovery_table_finds_the_planted_primitives(study):
    table = mr.recovery_table(study.regimes["independent"], study.uses, study.surface, study.groups,
                              study.params_b, n_boot=30, n_perm=99, seed=0).set_index(["method", "score"])
    pc1 = table.loc[("partial: PC1", "pair AUC")]
    assert pc1["estimate"] == 1.0 and pc1["ci_low"] > pc1["null_mean"] and pc1["p"] <= 0.05
    assert table.loc[("partial: PC1", "cluster ARI"), "estimate"] == 1.0
    assert table.loc[("factors: 3 (one per primitive)", "factor congruence"), "estimate"] > 0.9


def test_paired_difference_sees_the_block_co_training_made(study):
    pair = {r: study.regimes[r] for r in mr.REGIMES}
    made = mr.paired_block_difference(pair, study.twins, study.uses, study.surface, study.groups, n_boot=100)
    assert made["ci_low"] > 0.1
    wide, models, truth = _population(family_effect=0.0)
    flat = mr.population_study(wide, models, truth)
    none = mr.paired_block_difference({r: flat.regimes[r] for r in mr.REGIMES}, flat.twins, flat.uses,
                                      flat.surface, flat.groups, n_boot=100)
    assert none["ci_low"] < 0 < none["ci_high"] and abs(none["estimate"]) < 0.05


def test_block_by_regime_and_category_means(study):
    blocks = mr.block_by_regime(study.regimes, study.uses, study.surface, study.groups, n_boot=50)
    block = blocks[(blocks["control"] == "none") & (blocks["category"] == "surface block")].set_index("regime")
    assert block.loc["co-training", "ci_low"] > block.loc["independent", "ci_high"]
    assert abs(block.loc["independent", "estimate"]) < 0.05
