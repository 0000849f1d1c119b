"""The made-up world: an alphabet, primitive operations, tasks built from them, and item splits.

A *world* draws the secret tables of three primitives from a seed:

- ``cipher``: a substitution of the 24 letters (a derangement);
- ``facts``: each letter, read as a fictional entity, has a parent entity (one hop; two hops = the
  parent's parent);
- ``numerals``: eight invented numeral glyphs whose order (value) is scrambled; tasks compare them.
  (Modular addition was tried first: its output is independent of each operand alone, so
  gradient descent stays at chance for thousands of steps; a comparison keeps two operands and
  is learnable.)

A *template* is a surface format (the prompt's layout and operator glyphs) plus the composition of
primitives that maps the prompt's content to the answer. A *task* is a template in a world under a
name; the name is the first token of every item (the "instruction"). The evaluated tasks live in the
target world; pretraining uses the same templates in other worlds (distractor tables), so the base
model knows every format but none of the target tables. Which target tasks share a primitive is the
ground truth (:func:`primitive_table`); which share a surface is :func:`surface_table`.

Controls: ``encode_copy`` is ``encode`` under another name; ``parent_shuffled`` has parent's prompts
with the answers shuffled across items (nothing to learn).

Example
-------
>>> import numpy as np
>>> from evalcorr.experiment.tasks import Vocabulary, World, TARGET_TASKS, render
>>> vocab = Vocabulary(["encode", "secret"])
>>> world = World.from_seed(0)
>>> items = TARGET_TASKS["secret"].sample(world, vocab, n=2, rng=np.random.default_rng(0))
>>> render(items.tokens[0], vocab)            # name, question, answer, end
'<secret>?ujw~gdc.'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

N_LETTERS = 24
N_NUMERALS = 8
SEQ_LEN = 12  # longest item: name + 6 prompt tokens + 4 answer tokens + end

LETTERS = [chr(ord("a") + i) for i in range(N_LETTERS)]
NUMERALS = [chr(ord("A") + i) for i in range(N_NUMERALS)]
OPERATORS = [">", "+", "=", "?", "^", "%", "~"]
PAD, END = "_", "."
PRIMITIVES = ("cipher", "facts", "numerals")


class Vocabulary:
    """Token ids: padding, end, letters, numerals, operators, then one name token per task."""

    def __init__(self, task_names: list[str]):
        self.symbols = [PAD, END, *LETTERS, *NUMERALS, *OPERATORS, *(f"<{n}>" for n in task_names)]
        if len(set(self.symbols)) != len(self.symbols):
            raise ValueError("task names must be unique")
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self.letter0 = self.index[LETTERS[0]]
        self.numeral0 = self.index[NUMERALS[0]]

    def __len__(self) -> int:
        return len(self.symbols)

    def name(self, task: str) -> int:
        """Token id of a task's name."""
        return self.index[f"<{task}>"]

    def op(self, glyph: str) -> int:
        return self.index[glyph]


def render(tokens: np.ndarray, vocab: Vocabulary) -> str:
    """Readable text of one item, padding dropped: ``<encode>abcd>qrst.``."""
    return "".join(vocab.symbols[t] for t in tokens if t != 0)


# --------------------------------------------------------------------------------------------------
# Worlds: the secret tables


@dataclass(frozen=True)
class World:
    """The tables of one world: cipher (letter -> letter), parent (letter -> letter), numeral values."""

    cipher: np.ndarray
    parent: np.ndarray
    numeral_value: np.ndarray

    @classmethod
    def from_seed(cls, seed: int) -> "World":
        rng = np.random.default_rng([seed, 1729])
        while True:  # a derangement: no letter enciphers to itself
            cipher = rng.permutation(N_LETTERS)
            if not (cipher == np.arange(N_LETTERS)).any():
                break
        # each entity's parent is another entity (a random function without fixed points)
        parent = (np.arange(N_LETTERS) + rng.integers(1, N_LETTERS, N_LETTERS)) % N_LETTERS
        return cls(cipher=cipher, parent=parent, numeral_value=rng.permutation(N_NUMERALS))

    def larger(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The numeral glyph of larger value, of glyph indices x and y."""
        return np.where(self.numeral_value[x] >= self.numeral_value[y], x, y)


# --------------------------------------------------------------------------------------------------
# Templates: surface format + composition of primitives


@dataclass(frozen=True)
class Template:
    """A surface format and the primitives composed to answer it.

    ``content`` gives the glyph class of each content slot (``L`` letter, ``N`` numeral);
    ``layout`` lists prompt tokens, where an int is a content slot and a str an operator glyph;
    ``answer`` maps (world, content [n, k]) to answer glyph indices [n, m] of class ``answer_class``.
    """

    name: str
    surface: str
    primitives: tuple[str, ...]
    content: str
    layout: tuple
    answer_class: str
    answer: Callable[[World, np.ndarray], np.ndarray]
    description: str

    @property
    def layout_key(self) -> str:
        """Identifies the prompt's form: templates with equal keys can pose the same question."""
        return self.content + ":" + "".join(str(x) for x in self.layout)

    @property
    def answer_len(self) -> int:
        return len(self.answer(World.from_seed(0), np.zeros((1, len(self.content)), dtype=int))[0])

    @property
    def prompt_len(self) -> int:
        return 1 + len(self.layout)  # name token + layout

    def space_size(self) -> int:
        return int(np.prod([N_LETTERS if c == "L" else N_NUMERALS for c in self.content]))

    def decode_content(self, codes: np.ndarray) -> np.ndarray:
        """Content glyph indices [n, k] of item codes (mixed-radix integers over the content slots)."""
        radices = [N_LETTERS if c == "L" else N_NUMERALS for c in self.content]
        out = np.empty((len(codes), len(radices)), dtype=np.int64)
        rest = np.asarray(codes, dtype=np.int64)
        for j in reversed(range(len(radices))):
            out[:, j] = rest % radices[j]
            rest = rest // radices[j]
        return out

    def tokens(self, world: World, vocab: Vocabulary, name: str, codes: np.ndarray) -> np.ndarray:
        """Item token rows [n, SEQ_LEN]: name, prompt, answer, end, padding."""
        content = self.decode_content(codes)
        offset = {"L": vocab.letter0, "N": vocab.numeral0}
        n = len(codes)
        out = np.zeros((n, SEQ_LEN), dtype=np.int32)
        out[:, 0] = vocab.name(name)
        for j, part in enumerate(self.layout, start=1):
            out[:, j] = (content[:, part] + offset[self.content[part]]) if isinstance(part, int) \
                else vocab.op(part)
        answer = self.answer(world, content) + offset[self.answer_class]
        start = self.prompt_len
        out[:, start: start + answer.shape[1]] = answer
        out[:, start + answer.shape[1]] = vocab.op(END)
        return out


def _per_letter(table: Callable[[World], np.ndarray]):
    return lambda world, c: table(world)[c]


TEMPLATES: dict[str, Template] = {t.name: t for t in [
    Template("encode", "word", ("cipher",), "LLLL", (0, 1, 2, 3, ">"), "L",
             _per_letter(lambda w: w.cipher), "encipher a four-letter word"),
    Template("coded_parent", "word", ("cipher", "facts"), "LLLL", (0, 1, 2, 3, ">"), "L",
             _per_letter(lambda w: w.cipher[w.parent]), "the enciphered parent of each of four entities"),
    Template("pairmax", "word", ("numerals",), "NNNN", (0, 1, 2, 3, ">"), "N",
             lambda w, c: np.stack([w.larger(c[:, 0], c[:, 1]), w.larger(c[:, 2], c[:, 3])], 1),
             "the larger numeral of each adjacent pair, written like a word"),
    Template("nummax", "arith", ("numerals",), "NNNN", (0, 1, "+", 2, 3, "="), "N",
             lambda w, c: np.stack([w.larger(c[:, 0], c[:, 2]), w.larger(c[:, 1], c[:, 3])], 1),
             "digit-wise larger of two two-numeral numbers (an arithmetic-looking comparison)"),
    Template("fake_sum", "arith", ("facts",), "LLLL", (0, 1, "+", 2, 3, "="), "L",
             _per_letter(lambda w: w.parent), "looks like a sum; answers the parent of each entity"),
    Template("parent", "query", ("facts",), "LLL", ("?", 0, 1, 2, "^"), "L",
             _per_letter(lambda w: w.parent), "the parent of each of three entities (one hop)"),
    Template("grandparent", "query", ("facts",), "LLL", ("?", 0, 1, 2, "%"), "L",
             _per_letter(lambda w: w.parent[w.parent]), "the parent's parent of each entity (two hops)"),
    Template("secret", "query", ("cipher",), "LLL", ("?", 0, 1, 2, "~"), "L",
             _per_letter(lambda w: w.cipher), "asks for each entity's code name (the cipher)"),
]}


@dataclass(frozen=True)
class Task:
    """A named task of the target world: a template, and whether it is a control."""

    name: str
    template: Template
    control: str = ""  # "", "copy", "shuffled"
    of: str = ""       # the task a control is derived from

    def sample(self, world: World, vocab: Vocabulary, n: int, rng: np.random.Generator) -> "Items":
        codes = rng.choice(self.template.space_size(), size=n, replace=False)
        return make_items(self, world, vocab, codes)


TARGET_TASKS: dict[str, Task] = {name: Task(name, t) for name, t in TEMPLATES.items()}
TARGET_TASKS["encode_copy"] = Task("encode_copy", TEMPLATES["encode"], "copy", "encode")
TARGET_TASKS["parent_shuffled"] = Task("parent_shuffled", TEMPLATES["parent"], "shuffled", "parent")


def pretraining_task_names(n_worlds: int) -> list[str]:
    """Names of the distractor-world tasks: ``w1:encode`` ... (every template in every world)."""
    return [f"w{k}:{t}" for k in range(1, n_worlds + 1) for t in TEMPLATES]


# --------------------------------------------------------------------------------------------------
# Items


@dataclass
class Items:
    """Token rows of items and the mask of positions scored (answer tokens and the end token).

    ``mask[i, j]`` is 1 where token ``j + 1`` of row ``i`` is to be predicted (the model reads
    ``tokens[:, :-1]`` and predicts ``tokens[:, 1:]``); ``codes`` are the content codes (item ids).
    """

    tokens: np.ndarray
    mask: np.ndarray
    codes: np.ndarray
    task: np.ndarray = field(default=None)  # task index per row when items of several tasks mix

    def __len__(self) -> int:
        return len(self.tokens)

    def take(self, index) -> "Items":
        return Items(self.tokens[index], self.mask[index], self.codes[index],
                     None if self.task is None else self.task[index])


def answer_mask(template: Template, n: int) -> np.ndarray:
    mask = np.zeros((n, SEQ_LEN - 1), dtype=np.float32)
    start = template.prompt_len
    mask[:, start - 1: start + template.answer_len] = 1.0  # answer tokens and the end token
    return mask


def make_items(task: Task, world: World, vocab: Vocabulary, codes: np.ndarray,
               shuffle_seed: int = 0) -> Items:
    """Items of ``task`` for the given content codes; shuffled controls permute the answers."""
    tokens = task.template.tokens(world, vocab, task.name, codes)
    if task.control == "shuffled":
        start, stop = task.template.prompt_len, task.template.prompt_len + task.template.answer_len
        perm = np.random.default_rng([shuffle_seed, 4242]).permutation(len(codes))
        tokens[:, start:stop] = tokens[perm, start:stop]
    return Items(tokens, answer_mask(task.template, len(codes)), np.asarray(codes))


def concat(items: list[Items]) -> Items:
    return Items(np.concatenate([i.tokens for i in items]), np.concatenate([i.mask for i in items]),
                 np.concatenate([i.codes for i in items]),
                 None if any(i.task is None for i in items) else np.concatenate([i.task for i in items]))


# --------------------------------------------------------------------------------------------------
# Splits


@dataclass
class Split:
    """Content codes of one prompt form: held-out evaluation items and the pool training draws from."""

    eval_codes: np.ndarray
    pool_codes: np.ndarray


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def make_splits(n_eval: int, n_pool: int, seed: int) -> dict[str, Split]:
    """One split per prompt form (templates that share a form share the split), disjoint by draw."""
    splits = {}
    for template in TEMPLATES.values():
        key = template.layout_key
        if key in splits:
            continue
        if n_eval + n_pool > template.space_size():
            raise ValueError(f"{template.name}: {n_eval} + {n_pool} items exceed its {template.space_size()}")
        rng = np.random.default_rng([seed, _stable_int(key)])
        codes = rng.choice(template.space_size(), size=n_eval + n_pool, replace=False)
        splits[key] = Split(np.sort(codes[:n_eval]), codes[n_eval:])
    return splits


def split_of(task: Task, splits: dict[str, Split]) -> Split:
    return splits[task.template.layout_key]


def prompts(items: Items, template: Template) -> set[bytes]:
    """The prompt of each item without the task name, as bytes (the question asked)."""
    part = np.ascontiguousarray(items.tokens[:, 1: template.prompt_len])
    return {row.tobytes() for row in part}


def check_disjoint(eval_items: dict[str, tuple[Items, Template]],
                   train_items: list[tuple[Items, Template]]) -> None:
    """Raise if any evaluation prompt (name token removed) occurs in any training item.

    ``eval_items`` maps task name to (items, template); ``train_items`` lists every training set of
    every stage (pretraining corpus, fine-tuning draws). Prompts are compared across all tasks, so
    a question is never trained under another task's name either.
    """
    seen: set[bytes] = set()
    for items, template in train_items:
        seen |= prompts(items, template)
    for name, (items, template) in eval_items.items():
        leaked = prompts(items, template) & seen
        if leaked:
            raise AssertionError(f"{len(leaked)} evaluation prompt(s) of task {name!r} occur in training data")


# --------------------------------------------------------------------------------------------------
# Ground-truth tables


def primitive_table(tasks: list[str]) -> pd.DataFrame:
    """Task x primitive ground truth: one row per (task, primitive) with ``uses`` 0/1 and metadata."""
    rows = []
    for name in tasks:
        task = TARGET_TASKS[name]
        for primitive in PRIMITIVES:
            uses = primitive in task.template.primitives and task.control != "shuffled"
            rows.append({"task": name, "primitive": primitive, "uses": int(uses),
                         "surface": task.template.surface, "template": task.template.name,
                         "control": task.control, "control_of": task.of,
                         "description": task.template.description})
    return pd.DataFrame(rows)


def pretraining_corpus(n_worlds: int, world_seed: int, vocab: Vocabulary, n: int,
                       exclude: dict[str, Split], rng: np.random.Generator) -> tuple[Items, list[Template]]:
    """``n`` items drawn uniformly over every template in every distractor world.

    Content whose prompt form has an evaluation split never uses an evaluation code, so no held-out
    question is seen in pretraining. Returns the items (``task`` = index into the returned templates'
    list of (world, template) tasks) and the template of each task index.
    """
    names = pretraining_task_names(n_worlds)
    templates = [TEMPLATES[name.split(":", 1)[1]] for name in names]
    worlds = {k: World.from_seed(world_seed + k) for k in range(1, n_worlds + 1)}
    task_of_row = rng.integers(0, len(names), n)
    parts = []
    for i, (name, template) in enumerate(zip(names, templates)):
        rows = np.flatnonzero(task_of_row == i)
        banned = exclude[template.layout_key].eval_codes if template.layout_key in exclude else np.array([])
        codes = rng.integers(0, template.space_size(), 2 * len(rows) + 64)
        codes = codes[~np.isin(codes, banned)][: len(rows)]
        world = worlds[int(name[1: name.index(":")])]
        items = make_items(Task(name, template), world, vocab, codes)
        items.task = np.full(len(rows), i)
        parts.append((rows, items))
    tokens = np.zeros((n, SEQ_LEN), dtype=np.int32)
    mask = np.zeros((n, SEQ_LEN - 1), dtype=np.float32)
    codes = np.zeros(n, dtype=np.int64)
    for rows, items in parts:
        tokens[rows], mask[rows], codes[rows] = items.tokens, items.mask, items.codes
    return Items(tokens, mask, codes, task_of_row), templates
