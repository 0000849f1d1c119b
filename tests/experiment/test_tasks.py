"""The made-up world of the controlled experiment: tables, templates, controls and item splits."""

import numpy as np
import pytest

pytest.importorskip("jax")

from evalcorr.experiment import tasks as T  # noqa: E402


@pytest.fixture(scope="module")
def vocab():
    return T.Vocabulary(list(T.TARGET_TASKS) + T.pretraining_task_names(2))


def test_world_tables_are_seeded_and_well_formed():
    a, b = T.World.from_seed(3), T.World.from_seed(3)
    assert np.array_equal(a.cipher, b.cipher) and np.array_equal(a.parent, b.parent)
    assert not np.array_equal(a.cipher, T.World.from_seed(4).cipher)
    assert sorted(a.cipher) == list(range(T.N_LETTERS))           # a substitution
    assert not (a.cipher == np.arange(T.N_LETTERS)).any()          # no letter maps to itself
    assert not (a.parent == np.arange(T.N_LETTERS)).any()          # nobody is their own parent
    assert sorted(a.numeral_value) == list(range(T.N_NUMERALS))


def test_answers_follow_the_tables(vocab):
    world = T.World.from_seed(0)
    rng = np.random.default_rng(0)
    items = T.TARGET_TASKS["grandparent"].sample(world, vocab, 50, rng)
    content = items.tokens[:, 2:5] - vocab.letter0
    answer = items.tokens[:, 6:9] - vocab.letter0
    assert np.array_equal(answer, world.parent[world.parent[content]])
    items = T.TARGET_TASKS["nummax"].sample(world, vocab, 50, rng)
    x, y = items.tokens[:, 1] - vocab.numeral0, items.tokens[:, 4] - vocab.numeral0
    first = items.tokens[:, 7] - vocab.numeral0
    assert np.array_equal(world.numeral_value[first], np.maximum(world.numeral_value[x], world.numeral_value[y]))
    assert (items.tokens[:, 9] == vocab.op(T.END)).all() and (items.tokens[:, 10:] == 0).all()


def test_mask_covers_answer_and_end_only(vocab):
    items = T.TARGET_TASKS["secret"].sample(T.World.from_seed(0), vocab, 3, np.random.default_rng(0))
    # "<secret> ? x y z ~ a b c ." : tokens 6, 7, 8 and the end (9) are predicted from 5..8
    assert items.mask[0].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0]


def test_ground_truth_has_shared_primitives_across_surfaces_and_lookalikes_without():
    table = T.primitive_table(list(T.TARGET_TASKS)).set_index(["task", "primitive"])["uses"]
    shares = lambda a, b: any(table[(a, p)] and table[(b, p)] for p in T.PRIMITIVES)
    surface = {n: t.template.surface for n, t in T.TARGET_TASKS.items()}
    assert shares("encode", "secret") and surface["encode"] != surface["secret"]
    assert shares("fake_sum", "parent") and surface["fake_sum"] != surface["parent"]
    assert shares("pairmax", "nummax") and surface["pairmax"] != surface["nummax"]
    assert not shares("nummax", "fake_sum") and surface["nummax"] == surface["fake_sum"]
    assert not shares("parent", "secret") and surface["parent"] == surface["secret"]
    assert not shares("encode", "pairmax") and surface["encode"] == surface["pairmax"]
    assert sum(table[("parent_shuffled", p)] for p in T.PRIMITIVES) == 0   # nothing to learn
    assert len([n for n, t in T.TARGET_TASKS.items() if not t.control]) >= 8


def test_copy_differs_only_by_name_and_shuffled_only_by_answers(vocab):
    world, codes = T.World.from_seed(0), np.arange(300)
    original = T.make_items(T.TARGET_TASKS["encode"], world, vocab, codes)
    copy = T.make_items(T.TARGET_TASKS["encode_copy"], world, vocab, codes)
    assert (original.tokens[:, 0] != copy.tokens[:, 0]).all()
    assert np.array_equal(original.tokens[:, 1:], copy.tokens[:, 1:])
    parent = T.make_items(T.TARGET_TASKS["parent"], world, vocab, codes)
    shuffled = T.make_items(T.TARGET_TASKS["parent_shuffled"], world, vocab, codes)
    assert np.array_equal(parent.tokens[:, 1:6], shuffled.tokens[:, 1:6])           # same questions
    assert (parent.tokens[:, 6:9] != shuffled.tokens[:, 6:9]).any(axis=1).mean() > 0.9  # other answers
    assert sorted(map(bytes, parent.tokens[:, 6:9])) == sorted(map(bytes, shuffled.tokens[:, 6:9]))


def test_splits_are_disjoint_and_shared_by_prompt_form():
    splits = T.make_splits(200, 300, seed=0)
    for split in splits.values():
        assert len(split.eval_codes) == 200 and len(split.pool_codes) == 300
        assert not set(split.eval_codes) & set(split.pool_codes)
    assert T.TEMPLATES["encode"].layout_key == T.TEMPLATES["coded_parent"].layout_key
    with pytest.raises(ValueError, match="exceed"):
        T.make_splits(5000, 1, seed=0)


def test_disjointness_check_catches_a_leak(vocab):
    world, splits = T.World.from_seed(0), T.make_splits(200, 300, seed=0)
    task = T.TARGET_TASKS["secret"]
    split = T.split_of(task, splits)
    held_out = T.make_items(task, world, vocab, split.eval_codes)
    clean = T.make_items(task, world, vocab, split.pool_codes)
    T.check_disjoint({"secret": (held_out, task.template)}, [(clean, task.template)])
    # the same question under another task's name (a distractor world) is still a leak
    leak = T.make_items(T.Task("w1:secret", task.template), T.World.from_seed(1), vocab, split.eval_codes[:1])
    with pytest.raises(AssertionError, match="secret"):
        T.check_disjoint({"secret": (held_out, task.template)}, [(clean, task.template), (leak, task.template)])


def test_pretraining_corpus_avoids_held_out_questions(vocab):
    splits = T.make_splits(200, 300, seed=0)
    corpus, templates = T.pretraining_corpus(2, 0, vocab, 20000, splits, np.random.default_rng(0))
    assert len(corpus) == 20000 and set(np.unique(corpus.task)) == set(range(len(templates)))
    for name, task in T.TARGET_TASKS.items():
        held_out = T.make_items(task, T.World.from_seed(0), vocab, T.split_of(task, splits).eval_codes)
        rows = [(corpus.take(corpus.task == i), t) for i, t in enumerate(templates)]
        T.check_disjoint({name: (held_out, task.template)}, rows)
    # only distractor-world names: the target tasks' names never occur in pretraining
    assert not np.isin(corpus.tokens[:, 0], [vocab.name(n) for n in T.TARGET_TASKS]).any()
