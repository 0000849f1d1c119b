"""Training and evaluation of the experiment: vmapped runs, exact match, determinism, perplexity."""

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")

from evalcorr.experiment import tasks as T  # noqa: E402
from evalcorr.experiment.config import TrainSpec  # noqa: E402
from evalcorr.experiment.model import ModelSize, param_count  # noqa: E402
from evalcorr.experiment.train import (bench_throughput, epoch_schedule, exact_match,  # noqa: E402
                                       greedy_decode, init_runs, mean_log_perplexity_by_token,
                                       mixture_schedule, token_nll, train_runs)

SIZE = ModelSize("t", 32, 1, 2)


@pytest.fixture(scope="module")
def data():
    vocab = T.Vocabulary(["secret", "parent"])
    world = T.World.from_seed(0)
    rng = np.random.default_rng(0)
    train = T.TARGET_TASKS["secret"].sample(world, vocab, 300, rng)
    held_out = T.TARGET_TASKS["secret"].sample(world, vocab, 200, rng)
    return vocab, train, held_out


def _train(vocab, train, seeds, steps=150):
    params = init_runs(SIZE, len(vocab), seeds)
    schedule = np.stack([epoch_schedule(len(train), steps, 32, np.random.default_rng(s)) for s in seeds])
    tokens = np.repeat(train.tokens[None], len(seeds), 0)
    mask = np.repeat(train.mask[None], len(seeds), 0)
    losses = []
    params = train_runs(params, SIZE, TrainSpec(steps, 32, 3e-3, warmup=10), tokens, mask, schedule,
                        chunk=50, losses=losses)
    return params, np.array(losses)


def test_vmapped_runs_learn_and_are_deterministic(data):
    vocab, train, held_out = data
    params, losses = _train(vocab, train, seeds=[0, 1, 0])
    assert losses.shape == (3, 3) and (losses[-1] < 0.5 * losses[0]).all()    # every run learned
    correct = exact_match(params, SIZE, held_out.tokens, held_out.mask)
    assert correct.shape == (3, 200) and correct.mean() > 0.5
    again, _ = _train(vocab, train, seeds=[0, 1, 0])
    same = exact_match(again, SIZE, held_out.tokens, held_out.mask)
    assert np.array_equal(correct, same)                                     # same seed, same numbers
    assert np.array_equal(np.asarray(params["tok"][0]), np.asarray(params["tok"][2]))  # run 0 == run 2
    assert not np.array_equal(np.asarray(params["tok"][0]), np.asarray(params["tok"][1]))


def test_exact_match_equals_greedy_decoding(data):
    vocab, train, held_out = data
    params, _ = _train(vocab, train, seeds=[0, 1], steps=60)    # half-trained: some right, some wrong
    template = T.TEMPLATES["secret"]
    decoded = greedy_decode(params, SIZE, held_out.tokens, template.prompt_len, template.answer_len + 1)
    stop = template.prompt_len + template.answer_len + 1
    greedy = (decoded[:, :, :stop] == held_out.tokens[None, :, :stop]).all(-1)
    teacher_forced = exact_match(params, SIZE, held_out.tokens, held_out.mask)
    assert 0 < teacher_forced.mean() < 1
    assert np.array_equal(greedy, teacher_forced)


def test_per_run_items_match_shared_items(data):
    vocab, train, held_out = data
    params, _ = _train(vocab, train, seeds=[0, 1], steps=30)
    shared = exact_match(params, SIZE, held_out.tokens, held_out.mask)
    per_run = exact_match(params, SIZE, np.stack([held_out.tokens] * 2), np.stack([held_out.mask] * 2))
    assert np.array_equal(shared, per_run)


def test_schedules():
    rng = np.random.default_rng(0)
    epochs = epoch_schedule(10, 6, 5, rng)
    assert sorted(epochs[:2].ravel()) == list(range(10))                     # one epoch = every example once
    assert (epoch_schedule(10, 3, 32, rng) == np.arange(10)).all()           # full batch when small
    task = np.repeat([0, 1, 2], [50, 30, 20])
    mix = mixture_schedule(task, [0.7, 0.3, 0.0], 200, 50, rng)
    share = np.bincount(task[mix.ravel()], minlength=3) / mix.size
    assert abs(share[0] - 0.7) < 0.03 and share[2] == 0
    with pytest.raises(ValueError, match="no examples"):
        mixture_schedule(np.zeros(5, int), [0.5, 0.5], 2, 2, rng)


def test_token_perplexity_by_type(data):
    vocab, train, held_out = data
    params = init_runs(SIZE, len(vocab), [0, 1])
    nll = token_nll(params, SIZE, held_out.tokens)
    assert nll.shape == (2, 200, T.SEQ_LEN - 1)
    by_token = mean_log_perplexity_by_token(nll, held_out.tokens, vocab.symbols)
    assert "~" in by_token and "_" not in by_token and "A" not in by_token   # only tokens present
    # an untrained model is close to uniform: log-perplexity near log(vocabulary size)
    assert abs(np.mean(by_token["~"]) - np.log(len(vocab))) < 0.5


def test_bench_throughput_reports_a_ratio():
    result = bench_throughput(SIZE, runs=2, batch=8, steps=5, matmul_n=256, repeats=1)
    assert result["train_flops_per_s"] > 0 and result["matmul_flops_per_s"] > 0
    assert 0 < result["ratio"] < 10


def test_param_count_scales_with_width():
    small = param_count(init_runs(ModelSize("a", 32, 2, 2), 60, [0]))
    large = param_count(init_runs(ModelSize("b", 128, 2, 4), 60, [0]))
    assert large > 10 * small


def test_mixture_training_from_a_base_and_probe_perplexity():
    from evalcorr.experiment.config import preset
    from evalcorr.experiment.protocol import Experiment
    exp = Experiment(preset("mini"))
    pool = exp.mixture_pool(["encode", "parent_shuffled"], 50, seed=0)
    assert len(pool) == 100 and np.bincount(pool.task).tolist() == [50, 50]
    base = init_runs(SIZE, len(exp.vocab), [0, 1])
    schedule = np.stack([mixture_schedule(pool.task, w, 20, 16, np.random.default_rng(0))
                         for w in ([1.0, 0.0], [0.0, 1.0])])
    tuned = train_runs(base, SIZE, TrainSpec(20, 16, 3e-3), np.stack([pool.tokens] * 2),
                       np.stack([pool.mask] * 2), schedule)
    probe = exp.probe_corpus(20)
    nll = token_nll(tuned, SIZE, probe.tokens)
    by_token = mean_log_perplexity_by_token(nll, probe.tokens, exp.vocab.symbols)
    # each run was trained on one task only: it predicts that task's answer tokens better
    answer_nll = (nll * probe.mask[None]).sum(-1) / probe.mask.sum(-1)
    encode_rows = probe.task == 0
    assert answer_nll[0, encode_rows].mean() < answer_nll[1, encode_rows].mean()
    assert set(by_token) >= {"^", ">", "."} and "<encode>" not in by_token   # names are never predicted
