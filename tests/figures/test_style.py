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


def test_diverging_norm_is_the_centred_map_on_a_linear_colour_bar():
    from matplotlib.colors import TwoSlopeNorm

    from evalcorr.figures.style import diverging_norm

    values = np.linspace(-0.7, 0.7, 141)
    norm = diverging_norm(0.7)
    np.testing.assert_allclose(norm(values), TwoSlopeNorm(vcenter=0.0, vmin=-0.7, vmax=0.7)(values), atol=1e-12)
    assert norm(0.0) == 0.5 and norm(-0.7) == 0.0 and norm(0.7) == 1.0
    fig, ax = subplots()
    bar = fig.colorbar(ax.imshow([[-0.7, 0.7]], norm=norm), ax=ax)
    assert bar.ax.get_yscale() == "linear"      # a function scale would call the norm on every coordinate
    plt.close(fig)
