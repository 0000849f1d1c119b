"""The canvas of every report figure: matplotlib's SVG writer, drawing a tight SVG once, with each font's
line metrics read once and each string measured and laid out once.

Why it exists:

- **One drawing for a tight bounding box.** Every figure of the report is saved with
  ``bbox_inches="tight"`` (the house style's, Quarto's and the inline backend's setting). matplotlib
  draws such a figure twice: once without output, to run the layout engine and measure the figure's
  tight bounding box, and once more into the file, moved so that the box starts at the origin. The
  canvas here draws once, at the figure's full size, then measures the same box on the drawn figure
  and crops the SVG to it with the ``viewBox`` of its ``<svg>`` element. Its width and height are
  matplotlib's; every coordinate inside is the full-size drawing's, offset by the box's corner, so the
  image is matplotlib's but for fractions of a point: matplotlib snaps lines and edges to whole points
  counted from the file's corner, and hatching starts there (tested by rasterising both). A figure
  legend stays where it was when the box was measured; matplotlib's second drawing anchors it to the
  box instead, which moves it by as much. This saves about a fifth of the report's drawing time.
- **Font metrics read once.** matplotlib 3.11 lays out every piece of text (each tick label,
  annotation and title, several times per figure) by finding the font file and reading its ascent,
  descent and line gap from the font's tables, every time. matplotlib skips that lookup when the
  renderer supplies the three numbers (``_get_font_height_metrics``, the hook its PDF and PostScript
  renderers implement); the renderer here supplies them, read once per font by each renderer.
- **Text measured and laid out once** (:class:`GlyphLayouts`): a string measured or drawn again in the
  same font, in this figure or a later one, reuses its size and glyph layout (the heatmaps repeat a
  few cell labels hundreds of times, and a page's figures share their tick labels).

Quarto and the offline renderer run the same kernel code, so they show the same image whichever
draws it. Other formats (PNG, PDF), and SVGs saved without the tight box or with
``pad_inches="layout"``, use matplotlib's own saving. A figure read back from a pickle has
matplotlib's plain canvas: matplotlib's SVG, without the saving.

Remove the metrics and layout parts when matplotlib caches them itself: the tests say whether they are
used.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections import OrderedDict
from contextlib import ExitStack

import matplotlib as mpl
from matplotlib import cbook
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG, _short_float_fmt
from matplotlib.font_manager import fontManager, get_font
from matplotlib.textpath import TextToPath

# The SVG writer draws in points: the figure is at 72 dots per inch while it draws.
SVG_DPI = 72
# Where a TrueType font keeps its line metrics, in the order matplotlib's text layout reads them.
_METRIC_TABLES = (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                  ("hhea", "lineGap", "ascent", "descent"))


class FontMetricsRendererSVG(RendererSVG):
    """matplotlib's SVG renderer for `figure`, remembering each font's ascent, descent and line gap."""

    def __init__(self, *args, figure, **kwargs):
        super().__init__(*args, **kwargs)
        self._figure = figure
        self._height_metrics = {}
        self._text2path = GlyphLayouts()

    def _get_font_height_metrics(self, prop):
        """``(ascent, descent, line gap)`` of the font `prop` selects, in pixels at the figure's dpi.

        The dpi is 72 (points, the SVG's unit) while the SVG is drawn; a text keeps its last renderer,
        and measured later (``get_window_extent()``) it is at the figure's own dpi again.
        """
        metrics = self._height_metrics.get((prop, self._figure.dpi))     # looked up by value
        if metrics is None:
            key = (prop.copy(), self._figure.dpi)     # kept as a copy: a text's font properties can change
            metrics = self._height_metrics[key] = _font_height_metrics(*key)
        return metrics


# Text measured and laid out by the SVG writer, kept for every later figure of the process (a page draws
# many figures with the same labels): (font's id, string) -> (font, width, height, descent) at the
# converter's fixed size, and (font's id, string, features, language) -> (font, glyphs, glyph paths).
# Each entry keeps its font, so that the id is not reused; both are emptied when they grow past
# TEXT_CACHE_ENTRIES.
TEXT_CACHE_ENTRIES = 100_000
_extents: dict = {}
_layouts: dict = {}


def clear_text_caches() -> None:
    """Forget every string measured and laid out by :class:`GlyphLayouts`."""
    _extents.clear()
    _layouts.clear()


def _kept(cache: dict, key, value):
    if len(cache) >= TEXT_CACHE_ENTRIES:
        cache.clear()
    cache[key] = value
    return value


class GlyphLayouts(TextToPath):
    """matplotlib's conversion of text to glyphs, remembering each string's size and glyph layout in each
    font for the rest of the process.

    The SVG writer draws text as glyphs (``svg.fonttype: path``); matplotlib measures and lays out every
    string afresh in every figure, and the report's heatmaps repeat the same labels hundreds of times.
    Both depend only on the font and the string: the converter works at one fixed size
    (``FONT_SCALE``) and scales the result. A string seen before gets its remembered extents, glyphs,
    positions and glyph outlines; only the glyphs the SVG does not define yet are added to it, as
    matplotlib adds them.
    """

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        font = self._get_font(prop)
        known = _extents.get((id(font), s))
        if known is None:       # matplotlib's measurement at the converter's own size, where it scales by 1
            unscaled = prop.copy()
            unscaled.set_size(self.FONT_SCALE)
            known = _kept(_extents, (id(font), s), (font, *super().get_text_width_height_descent(s, unscaled, False)))
        scale = prop.get_size_in_points() / self.FONT_SCALE
        return known[1] * scale, known[2] * scale, known[3] * scale

    def get_glyphs_with_font(self, font, s, glyph_map=None, return_new_glyphs_only=False, *, features=None,
                             language=None):
        key = (id(font), s, None if features is None else tuple(features), language)
        known = _layouts.get(key)
        if known is None:
            outlines = OrderedDict()    # every glyph of the string, as a first drawing defines them
            glyphs, _, _ = super().get_glyphs_with_font(font, s, outlines, features=features, language=language)
            known = _kept(_layouts, key, (font, glyphs, outlines))
        _, glyphs, outlines = known
        if glyph_map is None:
            glyph_map = OrderedDict()
        new = OrderedDict() if return_new_glyphs_only else glyph_map
        for glyph in outlines:          # in the order of their first use in the string
            if glyph not in glyph_map:
                new[glyph] = outlines[glyph]
        return list(glyphs), new, []


def _font_height_metrics(prop, dpi: float) -> tuple:
    """What matplotlib's text layout reads from the font's tables, scaled to `dpi`."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in _METRIC_TABLES:
        table = font.get_sfnt_table(table_name)
        if table is not None:
            # the same arithmetic as matplotlib's, so that the numbers agree to the last bit
            scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
            return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None   # matplotlib then measures the text itself


class HouseCanvas(FigureCanvasBase):
    """A figure canvas that writes its SVG with :class:`FontMetricsRendererSVG`.

    In everything else it behaves as the plain canvas of a figure made outside pyplot, which savefig
    swaps for matplotlib's SVG canvas while it writes SVG: layout outside a save (``tight_layout``)
    measures text with the default renderer (Agg), layout during an SVG save (constrained layout) with
    the SVG renderer, and other formats switch to matplotlib's own canvases.
    """

    fixed_dpi = FigureCanvasSVG.fixed_dpi     # read by savefig while this canvas writes SVG

    def get_default_filetype(self):
        # An instance method here (matplotlib's is a class method: ask a canvas, not the class).
        # savefig switches to another canvas for any other format, so saving here means writing SVG.
        return "svg" if self.is_saving() else super().get_default_filetype()

    def print_figure(self, filename, dpi=None, facecolor=None, edgecolor=None, orientation="portrait",
                     format=None, *, bbox_inches=None, pad_inches=None, bbox_extra_artists=None, backend=None,
                     **kwargs):
        """matplotlib's ``print_figure``, except that a tight SVG is drawn once (module docstring)."""
        tight = mpl._val_or_rc(bbox_inches, "savefig.bbox") == "tight"
        if (tight and backend is None and pad_inches != "layout" and self._format_of(filename, format) == "svg"
                and set(kwargs) <= {"metadata"}):
            return self._print_tight_svg(filename, dpi=dpi, facecolor=facecolor, edgecolor=edgecolor,
                                         pad_inches=pad_inches, bbox_extra_artists=bbox_extra_artists, **kwargs)
        return super().print_figure(filename, dpi=dpi, facecolor=facecolor, edgecolor=edgecolor,
                                    orientation=orientation, format=format, bbox_inches=bbox_inches,
                                    pad_inches=pad_inches, bbox_extra_artists=bbox_extra_artists, backend=backend,
                                    **kwargs)

    def _format_of(self, filename, format) -> str:
        """The format savefig would write: `format`, else the file name's extension, else the default."""
        if format is None and isinstance(filename, (str, os.PathLike)):
            format = os.path.splitext(os.fspath(filename))[1][1:]
        return (format or self.get_default_filetype()).lower()

    def _print_tight_svg(self, filename, *, dpi, facecolor, edgecolor, pad_inches, bbox_extra_artists,
                         metadata=None):
        # The settings matplotlib's print_figure makes around a save, for the one drawing.
        fig = self.figure
        dpi = mpl._val_or_rc(dpi, "savefig.dpi")
        if dpi == "figure":
            dpi = getattr(fig, "_original_dpi", fig.dpi)
        pad = mpl._val_or_rc(pad_inches, "savefig.pad_inches")
        drawing = io.StringIO()
        with (cbook._setattr_cm(self, manager=None), cbook._setattr_cm(fig, dpi=dpi),
              cbook._setattr_cm(self, _device_pixel_ratio=1), cbook._setattr_cm(self, _is_saving=True),
              ExitStack() as stack):
            for prop, color in (("facecolor", facecolor), ("edgecolor", edgecolor)):
                color = mpl._val_or_rc(color, f"savefig.{prop}")
                if not cbook._str_equal(color, "auto"):
                    stack.enter_context(fig._cm_set(**{prop: color}))
            renderer = self._draw_svg(drawing, dpi=dpi, metadata=metadata)
            # measured as matplotlib measures it: after the layout, at the SVG's 72 dots per inch
            box = fig.get_tightbbox(renderer, bbox_extra_artists=bbox_extra_artists).padded(pad)
            full_height = fig.get_size_inches()[1]
        svg = _cropped(drawing.getvalue(), [v * SVG_DPI for v in (box.x0, full_height - box.y1, box.width, box.height)])
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            fh.write(svg)

    def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, dpi=None, facecolor=None,
                  edgecolor=None, orientation=None):
        # matplotlib's FigureCanvasSVG.print_svg (3.11), with the renderer above. savefig also passes
        # dpi, colours and orientation, which matplotlib filters out for its own print_svg only: the
        # figure's dpi and colours are set by savefig itself.
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            self._draw_svg(fh, dpi=self.figure.dpi, metadata=metadata, bbox_inches_restore=bbox_inches_restore)

    def _draw_svg(self, fh, *, dpi, metadata, bbox_inches_restore=None) -> MixedModeRenderer:
        """Draw the figure into `fh` as SVG at its full size, in points; the figure is left at 72 dpi."""
        self.figure.dpi = SVG_DPI
        width, height = self.figure.get_size_inches()
        renderer = MixedModeRenderer(
            self.figure, width, height, dpi,
            FontMetricsRendererSVG(width * SVG_DPI, height * SVG_DPI, fh, image_dpi=dpi, metadata=metadata,
                                   figure=self.figure),
            bbox_inches_restore=bbox_inches_restore)
        self.figure.draw(renderer)
        renderer.finalize()
        return renderer


_SVG_SIZE = re.compile(r'(<svg\b[^>]*?) width="[^"]*" height="[^"]*" viewBox="[^"]*"')


def _cropped(svg: str, box: list[float]) -> str:
    """`svg` showing only `box` (left, top, width, height in its own units, points): the ``<svg>``
    element's size becomes the box's, and its ``viewBox`` starts at the box's corner."""
    left, top, width, height = (_short_float_fmt(v) for v in box)
    cropped, n = _SVG_SIZE.subn(rf'\1 width="{width}pt" height="{height}pt" viewBox="{left} {top} {width} {height}"',
                                svg, count=1)
    if n != 1:
        raise ValueError("matplotlib's SVG writer no longer starts with width, height and viewBox")
    return cropped
