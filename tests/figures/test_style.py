"""The house style's figure factory: figures outside pyplot, so a returned figure is displayed once."""

import matplotlib.pyplot as plt
import numpy as np

from evalcorr.figures.style import subplots


def test_subplots_makes_a_figure_pyplot_does_not_know():
    fig, axes = subplots(2, 3, figsize=(6, 3), layout="constrained", sharey=True)
    assert axes.shape == (2, 3) and tuple(fig.get_size_inches()) == (6, 3)
    assert fig.get_layout_engine() is not None
    assert plt.get_fignums() == []
    fig, ax = subplots(1, 1, squeeze=False)
    assert isinstance(ax, np.ndarray) and ax.shape == (1, 1)


def test_a_figure_made_outside_pyplot_still_saves(tmp_path):
    fig, ax = subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    fig.savefig(tmp_path / "x.svg")
    assert (tmp_path / "x.svg").read_text().lstrip().startswith("<?xml")
