"""The miniature population: a few tiny models, two planted primitives, both mixture regimes.

Four tasks carry two primitives (cipher: encode and its copy; numerals: pairmax and nummax); encode,
its copy and pairmax share the surface format "word". The checks: a shared primitive raises the
correlation across models, and training the tasks of a family together (co-training) makes a block of
tasks that share no primitive.
"""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

from evalcorr.experiment import population as P  # noqa: E402
from evalcorr.experiment import tasks as T  # noqa: E402

MINI = P.preset("mini")


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    root = tmp_path_factory.mktemp("population")
    tables = P.run_population(MINI, root / "tables", root / "runs", root / "bases", progress=False)
    return root, tables


def _wide(tables, regime):
    scores = tables["scores"].assign(score=lambda d: d["n_correct"] / d["n_items"])
    models = tables["models"].set_index("model")
    wide = scores.pivot(index="model", columns="task", values="score")
    return wide.loc[models.index[models["regime"] == regime]]


# --------------------------------------------------------------------------------------------------
# The plan


def test_plan_pairs_the_regimes_and_keeps_leaderboards_apart():
    cfg = P.preset("full")
    plan = P.model_plan(cfg, P.base_pool(cfg))
    assert len(plan) == len(P.REGIMES) * cfg.leaderboards * cfg.models_per_leaderboard
    assert plan["model"].is_unique
    ind = plan[plan["regime"] == "independent"].reset_index(drop=True)
    cot = plan[plan["regime"] == "co-training"].reset_index(drop=True)
    for column in ("leaderboard", "base", "steps", "data_seed"):          # paired: only the mixture differs
        assert ind[column].tolist() == cot[column].tolist()
    bases = ind.groupby("leaderboard")["base"].unique()
    assert all(len(b) == cfg.bases_per_leaderboard for b in bases)
    flat = [b for group in bases for b in group]
    assert len(flat) == len(set(flat))                                      # no base in two leaderboards
    weights = plan[[f"w_{t}" for t in cfg.tasks]]
    assert np.allclose(weights.sum(axis=1), 1.0) and (weights.to_numpy() > 0).all()
    surface = P.families_of(cfg.tasks)
    for _, row in cot.iterrows():                                           # a family trains together
        for family in set(surface):
            values = [row[f"w_{t}"] for t, f in zip(cfg.tasks, surface) if f == family]
            assert np.allclose(values, values[0])
    assert not np.allclose(ind[[f"w_{t}" for t in cfg.tasks if t in ("encode", "pairmax")]].diff(axis=1).iloc[:, 1], 0)
    assert P.model_plan(cfg, P.base_pool(cfg)).equals(plan)                 # deterministic
    counts = ind.groupby(["leaderboard", "base"]).size().groupby("leaderboard").apply(sorted)
    assert all(c == sorted(P.lineage_counts(cfg.models_per_leaderboard, cfg.bases_per_leaderboard,
                                            cfg.lineage_decay)) for c in counts)


def test_too_many_leaderboards_for_the_pool_is_refused():
    cfg = P.preset("mini")
    with pytest.raises(ValueError, match="base models"):
        P.model_plan(P.replace(cfg, leaderboards=3), P.base_pool(cfg))


def test_yaml_round_trip():
    for name in P.PRESETS:
        assert P.from_yaml(P.to_yaml(P.preset(name))) == P.preset(name)
    with pytest.raises(ValueError, match="unknown population configuration key"):
        P.from_yaml(P.to_yaml(MINI) + "typo: 1\n")


def test_probe_tokens_belong_to_one_primitive_each():
    pop = P.Population(P.preset("full"))
    tokens = pop.probe_tokens.set_index("token")
    assert set(tokens.loc[tokens["primitive"] == "cipher"].index) <= set(P.CIPHER_LETTERS)
    assert set(tokens.loc[tokens["primitive"] == "facts"].index) <= set(P.FACTS_LETTERS)
    assert set(tokens.loc[tokens["primitive"] == "numerals"].index) <= set(T.NUMERALS)
    answers = P.answer_tokens(pop.probe)
    symbols = [pop.exp.vocab.symbols[t] for t in np.unique(answers) if t]
    assert sorted(symbols) == sorted(tokens.index)                         # every answer token is a feature
    # each template's answers are tokens of its own primitive only
    for primitive, names in P.PROBE_TEMPLATES.items():
        for name in names:
            rows = answers[pop.probe.tokens[:, 0] == pop.exp.vocab.name(name)]
            used = {pop.exp.vocab.symbols[t] for t in np.unique(rows) if t} - {T.END}
            assert used and all(tokens.loc[u, "primitive"] == primitive for u in used)
    held_out = {name: (items, T.TARGET_TASKS[name].template) for name, items in pop.exp.eval_items.items()}
    probe_by_form = [(pop.probe.take(np.flatnonzero(pop.probe.tokens[:, 0] == pop.exp.vocab.name(n))),
                      T.TEMPLATES[n]) for ts in P.PROBE_TEMPLATES.values() for n in ts]
    T.check_disjoint(held_out, probe_by_form)                               # no held-out question probed


# --------------------------------------------------------------------------------------------------
# The miniature run


def test_tables(mini):
    root, tables = mini
    scores, models = tables["scores"], tables["models"]
    assert len(scores) == len(models) * len(MINI.tasks)
    assert (scores["n_items"] == 200).all() and scores["n_correct"].between(0, 200).all()
    assert set(models["regime"]) == set(P.REGIMES)
    assert models["compute_flops"].gt(models["finetune_flops"]).all()
    probe = tables["probe"]
    assert len(probe) == len(models) * len(tables["probe_tokens"]) and np.isfinite(probe["mean_nll"]).all()
    truth = tables["tasks"].set_index("task")
    assert truth.loc["encode_copy", "cipher"] == 1 and truth.loc["nummax", "numerals"] == 1
    for name in P.FILES.values():
        assert (root / "tables" / name).exists()


def test_training_pools_are_disjoint_from_held_out_items(mini):
    pop = P.Population(MINI)
    held_out = {name: (items, T.TARGET_TASKS[name].template) for name, items in pop.exp.eval_items.items()}
    train = []
    for seed in pop.plan["data_seed"].unique()[:5]:
        pool = pop.exp.mixture_pool(list(MINI.tasks), MINI.n_per_task, int(seed))
        train += [(pool.take(pool.task == k), T.TARGET_TASKS[t].template) for k, t in enumerate(MINI.tasks)]
    T.check_disjoint(held_out, train)


def test_a_planted_shared_primitive_raises_the_correlation(mini):
    _, tables = mini
    corr = _wide(tables, "independent").corr()
    cross = [corr.loc[a, b] for a in ("encode", "encode_copy") for b in ("pairmax", "nummax")]
    assert corr.loc["encode", "encode_copy"] > 0.9                          # the copy: the whole skill shared
    assert corr.loc["pairmax", "nummax"] > np.mean(cross) + 0.3             # numerals shared across surfaces


def test_co_training_alone_makes_a_block(mini):
    """encode and pairmax share no primitive but a surface: trained together, they correlate."""
    _, tables = mini
    block = {}
    for regime in P.REGIMES:
        corr = _wide(tables, regime).corr()
        same_surface = np.mean([corr.loc[t, "pairmax"] for t in ("encode", "encode_copy")])
        other_surface = np.mean([corr.loc[t, "nummax"] for t in ("encode", "encode_copy")])
        block[regime] = same_surface - other_surface
    assert block["co-training"] > 0.3
    assert block["co-training"] > block["independent"] + 0.3


def test_resume_and_compare(mini, tmp_path):
    root, tables = mini
    again = P.run_population(MINI, tmp_path / "again", root / "runs", root / "bases", progress=False)
    pd.testing.assert_frame_equal(again["scores"], tables["scores"])
    ok, report = P.compare_population(tmp_path / "again", root / "tables")
    assert ok and "same" in report
    scores = pd.read_csv(tmp_path / "again" / "scores.csv.gz")
    scores.loc[0, "n_correct"] = (scores.loc[0, "n_correct"] + 1) % 200
    scores.to_csv(tmp_path / "again" / "scores.csv.gz", index=False)
    ok, report = P.compare_population(tmp_path / "again", root / "tables")
    assert not ok and "DIFFERENT" in report
