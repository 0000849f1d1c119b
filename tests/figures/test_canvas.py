"""The report's SVG canvas: matplotlib's drawing, made once for a tight SVG, with each font's line metrics
read once."""

import io
import re

import matplotlib as mpl
import numpy as np
import pytest
import typst
from PIL import Image
from matplotlib import _text_helpers
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


def _full_size_svg(fig: Figure, **kwargs) -> bytes:
    """matplotlib's SVG of the whole figure (no tight bounding box)."""
    buffer = io.BytesIO()
    with mpl.rc_context({"savefig.bbox": "standard"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, **kwargs)
    return buffer.getvalue()


SVG_ELEMENT = re.compile(rb"<svg\b[^>]*>")


def _without_svg_element(svg: bytes) -> bytes:
    return SVG_ELEMENT.sub(b"", svg, count=1)


def _attribute(svg: bytes, name: str) -> bytes:
    return re.search(rb"\s" + name.encode() + rb'="([^"]*)"', SVG_ELEMENT.search(svg).group()).group(1)


def _pixels(svg: bytes, tmp_path) -> np.ndarray:
    """The SVG as Typst draws it into the PDF, rasterised at 150 pixels per inch (RGB, 0-255)."""
    (tmp_path / "figure.svg").write_bytes(svg)
    (tmp_path / "page.typ").write_text('#set page(width: auto, height: auto, margin: 0pt)\n#image("figure.svg")\n')
    png = typst.compile(str(tmp_path / "page.typ"), format="png", ppi=150)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


@pytest.mark.parametrize("layout", [None, "tight", "constrained"])
def test_a_tight_svg_is_matplotlibs_full_drawing_shown_through_matplotlibs_tight_box(layout, tmp_path):
    use_house_style()
    engine = "constrained" if layout == "constrained" else None
    house, plain, whole = (_text_heavy(make(figsize=(7, 3), layout=engine), layout)
                           for make in (new_figure, Figure, Figure))
    assert isinstance(house.canvas, HouseCanvas) and type(plain.canvas) is FigureCanvasBase
    ours, theirs, full = _svg(house), _svg(plain), _full_size_svg(whole)
    assert ours.startswith(b"<?xml") and ours != theirs
    # the drawing is matplotlib's drawing of the whole figure, to the byte ...
    assert _without_svg_element(ours) == _without_svg_element(full)
    # ... in the tight box's size, to the byte, and seen from the box's corner
    for name in ("width", "height"):
        assert _attribute(ours, name) == _attribute(theirs, name) != _attribute(full, name)
    left, top = (float(v) for v in _attribute(ours, "viewBox").split()[:2])
    assert (left, top) != (0, 0)
    # so the image is matplotlib's tight one: the two differ only where matplotlib snaps a line or an edge
    # to whole points, counted from the file's corner (a shift of a fraction of a point)
    a, b = _pixels(ours, tmp_path), _pixels(theirs, tmp_path)
    assert a.shape == b.shape
    differ = np.abs(a - b).max(axis=2) > 64
    assert np.abs(a - b).mean() < 1.0 and differ.mean() < 0.005


def test_a_drawing_cropped_at_the_wrong_corner_is_seen_by_the_pixel_comparison(tmp_path):
    use_house_style()
    ours, theirs = _svg(_text_heavy(new_figure(figsize=(7, 3)), None)), _svg(_text_heavy(Figure(figsize=(7, 3)), None))
    width, height = (_attribute(ours, name).decode().removesuffix("pt") for name in ("width", "height"))
    box = b'viewBox="' + _attribute(ours, "viewBox") + b'"'
    at_origin = ours.replace(box, f'viewBox="0 0 {width} {height}"'.encode())
    a, b = _pixels(at_origin, tmp_path), _pixels(theirs, tmp_path)
    assert np.abs(a - b).mean() > 5 and (np.abs(a - b).max(axis=2) > 64).mean() > 0.02


def test_a_tight_svg_is_drawn_once(monkeypatch):
    draws = []
    draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda self, renderer: draws.append(self) or draw(self, renderer))
    use_house_style()
    counts = []
    for make in (new_figure, Figure):
        draws.clear()
        _svg(_text_heavy(make(figsize=(7, 3), layout="constrained"), "constrained"))
        counts.append(len(draws))
    assert counts == [1, 2]         # ours, matplotlib's


def test_a_rasterized_part_at_another_dpi_is_drawn_as_matplotlib_draws_it():
    use_house_style()
    figures = []
    for fig in (new_figure(figsize=(7, 3), layout="constrained"), Figure(figsize=(7, 3), layout="constrained")):
        _text_heavy(fig, "constrained").axes[1].plot(range(20), rasterized=True)
        figures.append(fig)
    ours = _svg(figures[0], dpi=300, facecolor="#f0f0f0")
    full = _full_size_svg(figures[1], dpi=300, facecolor="#f0f0f0")
    assert b"<image" in ours        # the rasterized line is embedded as an image
    assert _without_svg_element(ours) == _without_svg_element(full)


@pytest.mark.parametrize("options", [{"bbox_inches": "tight", "pad_inches": "layout"}, {"bbox_inches": None}])
def test_other_svgs_are_matplotlibs_own_to_the_byte(options):
    """Without the tight box, or with the layout's padding, the save is matplotlib's."""
    use_house_style()
    svgs = []
    for fig in (new_figure(figsize=(7, 3), layout="constrained"), Figure(figsize=(7, 3), layout="constrained")):
        buffer = io.BytesIO()
        with mpl.rc_context({"savefig.bbox": "standard"}):
            _text_heavy(fig, "constrained").savefig(buffer, format="svg", metadata={"Date": None}, **options)
        svgs.append(buffer.getvalue())
    assert svgs[0].startswith(b"<?xml") and svgs[0] == svgs[1]


def test_text_measured_after_a_save_measures_as_on_matplotlibs_canvas():
    """A text keeps the renderer it was drawn with; measured later, it is at the figure's dpi again."""
    use_house_style()
    house, plain = (_text_heavy(fig, None) for fig in (new_figure(figsize=(7, 3)), Figure(figsize=(7, 3))))
    for fig in (house, plain):
        _svg(fig)
    assert house.dpi == plain.dpi == 100
    placed = [(fig._suptitle, fig.axes[1].title, *fig.axes[0].get_yticklabels(), *fig.axes[0].get_xticklabels(),
               *fig.axes[0].texts) for fig in (house, plain)]
    for ours, theirs in zip(*placed):
        assert ours.get_text() and ours.get_window_extent().bounds == theirs.get_window_extent().bounds
    # An axis label is moved by each drawing, in pixels of that drawing's frame: the whole figure's
    # here, the tight box's in matplotlib's last drawing. Its size is the same.
    labels = [(fig.axes[1].xaxis.label, fig.axes[0].yaxis.label) for fig in (house, plain)]
    for ours, theirs in zip(*labels):
        assert tuple(ours.get_window_extent().size) == tuple(theirs.get_window_extent().size)


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


def _cell_labels(fig: Figure) -> Figure:
    """36 cell labels over an image: 3 strings, in two weights."""
    ax = fig.subplots()
    ax.imshow(np.zeros((6, 6)))
    ax.set_axis_off()
    for i in range(6):
        for j in range(6):
            ax.text(j, i, ["0", "-1", "12"][(i + j) % 3], ha="center", fontweight="bold" if i < 3 else "normal")
    return fig


def test_a_string_drawn_again_in_the_same_font_is_laid_out_once(monkeypatch):
    layouts = []
    layout = _text_helpers.layout
    monkeypatch.setattr(_text_helpers, "layout",
                        lambda s, font, **kw: layouts.append((s, font.fname)) or layout(s, font, **kw))
    canvas.clear_text_caches()
    use_house_style()
    first, second, plain = (_cell_labels(fig) for fig in (new_figure(figsize=(4, 3)), new_figure(figsize=(4, 3)),
                                                          Figure(figsize=(4, 3))))
    ours = _full_size_svg(first)
    drawn_first = len(layouts)
    again = _full_size_svg(second)      # a later figure: its SVG defines the glyphs anew, from the cache
    drawn_second = len(layouts)
    theirs = _full_size_svg(plain)
    # the same SVG as matplotlib's, to the byte, for the first figure and for the later one
    assert _without_svg_element(ours) == _without_svg_element(again) == _without_svg_element(theirs)
    cells = ("0", "-1", "12")
    cell_labels = [entry for entry in layouts[:drawn_first] if entry[0] in cells]
    assert len(cell_labels) == len(set(cell_labels)) == 6                  # each string once in each font
    assert not [entry for entry in layouts[drawn_first:drawn_second] if entry[0] in cells]   # none again
    assert len([entry for entry in layouts[drawn_second:] if entry[0] in cells]) == 36      # matplotlib: each


def test_text_is_measured_as_matplotlib_measures_it():
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    canvas.clear_text_caches()
    ours, theirs = canvas.GlyphLayouts(), TextToPath()
    strings = ["0", "-1", "long task name", "Ünïcode ± é", "", "two words, (1)", r"$\sqrt{n}$ models"]
    fonts = [FontProperties(size=size, weight=weight, family=family)
             for size in (5, 7.5, 11) for weight in ("normal", "bold") for family in ("sans-serif", "serif")]
    for _ in range(2):           # the second time from the cache
        for prop in fonts:
            for s in strings:
                ismath = s.startswith("$")
                assert ours.get_text_width_height_descent(s, prop, ismath) == \
                    theirs.get_text_width_height_descent(s, prop, ismath)
    # one entry per font file and string, whatever the size: mathematical text is left to matplotlib
    assert len(canvas._extents) == len({(id(ours._get_font(prop)), s) for prop in fonts for s in strings[:-1]})


def test_the_text_caches_are_bounded(monkeypatch):
    from matplotlib.font_manager import FontProperties

    monkeypatch.setattr(canvas, "TEXT_CACHE_ENTRIES", 3)
    canvas.clear_text_caches()
    layouts, prop = canvas.GlyphLayouts(), FontProperties(size=8)
    for s in ("a", "b", "c", "d", "e"):
        layouts.get_text_width_height_descent(s, prop, False)
        layouts.get_glyphs_with_font(layouts._get_font(prop), s)
        assert len(canvas._extents) <= 3 and len(canvas._layouts) <= 3
    assert ("e" in {key[1] for key in canvas._extents}) and ("e" in {key[1] for key in canvas._layouts})


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


def test_font_metrics_follow_a_font_changed_after_it_was_measured(monkeypatch):
    from matplotlib.font_manager import FontProperties

    reads = []
    read = canvas._font_height_metrics
    monkeypatch.setattr(canvas, "_font_height_metrics", lambda prop, dpi: reads.append(prop.get_size()) or read(prop, dpi))
    fig, _ = subplots(figsize=(2, 1))
    renderer = canvas.FontMetricsRendererSVG(144, 72, io.StringIO(), figure=fig)
    prop = FontProperties(size=8)
    small = renderer._get_font_height_metrics(prop)
    prop.set_size(16)                   # the same object, now another font size
    large = renderer._get_font_height_metrics(prop)
    assert large == read(prop, fig.dpi) and large[0] == 2 * small[0]
    assert renderer._get_font_height_metrics(FontProperties(size=8)) == small     # equal properties: read once
    assert reads == [8, 16]
