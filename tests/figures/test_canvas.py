"""The report's SVG canvas: the same SVG as matplotlib's own, with each font's line metrics read once."""

import io

import numpy as np
import pytest
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure

import evalcorr.figures.canvas as canvas
from evalcorr.figures.canvas import HouseCanvas
from evalcorr.figures.style import new_figure, subplots, use_house_style


def _text_heavy(fig: Figure, layout: str | None) -> Figure:
    """Rotated, multi-line, mathematical, bold and small text, a colour bar and annotations."""
    axes = fig.subplots(1, 2)
    rng = np.random.default_rng(0)
    image = axes[0].imshow(rng.uniform(-1, 1, (6, 6)), cmap="RdBu_r")
    axes[0].set_xticks(range(6), [f"task {i}" for i in range(6)], rotation=90, fontsize=6)
    axes[0].set_yticks(range(6), [f"long task name {i}" for i in range(6)], fontsize=7)
    for i in range(6):
        axes[0].text(i, i, f"{i / 7:.2f}", ha="center", va="center", fontsize=5, fontweight="bold")
    fig.colorbar(image, ax=axes[0], label="Pearson $r$")
    axes[1].plot(rng.normal(size=20), marker="o")
    axes[1].set_title("two lines\nof title", fontsize=11)
    axes[1].set_xlabel(r"$\sqrt{n}$ models", fontsize=9)
    axes[1].annotate("peak", xy=(3, 1), xytext=(8, 2), arrowprops={"arrowstyle": "->"}, fontfamily="serif")
    fig.suptitle("A figure with every kind of text", fontweight="bold")
    if layout == "tight":
        fig.tight_layout()
    return fig


def _svg(fig: Figure, **kwargs) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None}, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("layout", [None, "tight", "constrained"])
def test_the_svg_is_matplotlibs_own_to_the_byte(layout):
    use_house_style()
    engine = "constrained" if layout == "constrained" else None
    house = _text_heavy(new_figure(figsize=(7, 3), layout=engine), layout)
    plain = _text_heavy(Figure(figsize=(7, 3), layout=engine), layout)
    assert isinstance(house.canvas, HouseCanvas) and type(plain.canvas) is FigureCanvasBase
    ours, theirs = _svg(house), _svg(plain)
    assert ours.startswith(b"<?xml") and b"<svg" in ours
    assert ours == theirs


def test_the_svg_is_matplotlibs_own_at_another_dpi_with_a_rasterized_part():
    use_house_style()
    figures = []
    for fig in (new_figure(figsize=(7, 3), layout="constrained"), Figure(figsize=(7, 3), layout="constrained")):
        _text_heavy(fig, "constrained").axes[1].plot(range(20), rasterized=True)
        figures.append(fig)
    ours, theirs = (_svg(fig, dpi=300, facecolor="#f0f0f0") for fig in figures)
    assert b"<image" in ours        # the rasterized line is embedded as an image
    assert ours == theirs


def test_text_measured_after_a_save_measures_as_on_matplotlibs_canvas():
    """A text keeps the renderer it was drawn with; measured later, it is at the figure's dpi again."""
    use_house_style()
    house, plain = (_text_heavy(fig, None) for fig in (new_figure(figsize=(7, 3)), Figure(figsize=(7, 3))))
    for fig in (house, plain):
        _svg(fig)
    assert house.dpi == plain.dpi == 100
    texts = [(fig._suptitle, fig.axes[1].title, fig.axes[1].xaxis.label, *fig.axes[0].get_yticklabels())
             for fig in (house, plain)]
    for ours, theirs in zip(*texts):
        assert ours.get_text() and ours.get_window_extent().bounds == theirs.get_window_extent().bounds


def test_each_font_is_read_once_per_renderer_although_text_is_laid_out_many_times(monkeypatch):
    reads, asked = [], []
    read = canvas._font_height_metrics
    monkeypatch.setattr(canvas, "_font_height_metrics", lambda prop, dpi: reads.append(hash(prop)) or read(prop, dpi))
    hook = canvas.FontMetricsRendererSVG._get_font_height_metrics
    monkeypatch.setattr(canvas.FontMetricsRendererSVG, "_get_font_height_metrics",
                        lambda self, prop: asked.append((self, hash(prop))) or hook(self, prop))
    use_house_style()
    _svg(_text_heavy(new_figure(figsize=(7, 3), layout="constrained"), "constrained"))
    # matplotlib asks the renderer at every layout of a text (if it stops asking, this module can go)
    assert len(asked) > 300
    # ... and each renderer reads each font (family, size, weight, ...) once
    per_renderer = {(id(renderer), font) for renderer, font in asked}
    assert len(reads) == len(per_renderer) < len(asked) / 10
    assert len({font for _, font in asked}) > 5                    # the figure has many fonts


def test_a_font_without_metric_tables_leaves_the_measuring_to_matplotlib(monkeypatch):
    class NoTables:
        def get_sfnt_table(self, name):
            return None

    monkeypatch.setattr(canvas, "get_font", lambda path: NoTables())
    fig, ax = subplots(figsize=(2, 1))
    renderer = canvas.FontMetricsRendererSVG(144, 72, io.StringIO(), figure=fig)
    assert renderer._get_font_height_metrics(ax.title.get_fontproperties()) == (None, None, None)


def test_other_formats_are_written_by_matplotlibs_canvases():
    use_house_style()
    house, plain = new_figure(figsize=(2, 1)), Figure(figsize=(2, 1))
    for fig in (house, plain):
        fig.subplots().plot([0, 1], [1, 0])
    outputs = []
    for fig in (house, plain):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
        outputs.append(buffer.getvalue())
    assert outputs[0].startswith(b"\x89PNG") and outputs[0] == outputs[1]
    assert isinstance(house.canvas, HouseCanvas)          # the canvas is put back after the save
    assert house.canvas.get_default_filetype() == "png"   # rcParams savefig.format, as matplotlib's canvas says


def test_every_figure_of_the_house_style_gets_the_canvas():
    fig, _ = subplots(figsize=(2, 1))
    assert isinstance(fig.canvas, HouseCanvas) and fig.canvas.figure is fig
