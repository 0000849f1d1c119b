"""The house style's figure factory: figures outside pyplot, so a returned figure is displayed once."""

import io

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


def _labelled_matrix(label):
    """A colour-barred matrix under constrained layout, its cells labelled by ``label(ax, texts, colors)``."""
    from evalcorr.figures.style import use_house_style

    use_house_style()
    values = np.random.default_rng(0).normal(0, 0.4, size=(6, 7))
    texts = [[f"{v:.2f}" if abs(v) > 0.1 else "" for v in row] for row in values]
    colors = [["white" if abs(v) > 0.5 else "black" for v in row] for row in values]
    fig, ax = subplots(figsize=(4, 3), layout="constrained")
    image = ax.imshow(values, cmap="RdBu_r")
    ax.set_yticks(range(6), [f"task {i}" for i in range(6)])
    fig.colorbar(image, ax=ax)
    label(ax, texts, colors)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return ax, buffer.getvalue()


def test_cell_labels_draw_the_svg_of_one_text_per_cell():
    from evalcorr.figures.style import CellLabels, annotate_cells

    def one_text_each(ax, texts, colors):
        for i, row in enumerate(texts):
            for j, text in enumerate(row):
                if text:
                    ax.text(j, i, text, ha="center", va="center", fontsize=6, color=colors[i][j], in_layout=False)

    texts_ax, texts_svg = _labelled_matrix(one_text_each)
    labels_ax, labels_svg = _labelled_matrix(lambda ax, texts, colors: annotate_cells(ax, texts, colors, fontsize=6))
    assert labels_svg == texts_svg
    (labels,) = labels_ax.texts
    assert isinstance(labels, CellLabels) and not labels.get_in_layout()
    assert labels.labels() == [t.get_text() for t in texts_ax.texts] and len(labels.labels()) > 20
