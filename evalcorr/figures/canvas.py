"""The canvas of every report figure: matplotlib's SVG writer, with each font's line metrics read once.

Why it exists: matplotlib 3.11 lays out every piece of text (each tick label, annotation and title,
several times per figure: constrained layout, the tight bounding box, the drawing) by finding the font
file and reading its ascent, descent and line gap from the font's tables, every time. On the report's
figures that is about 40,000 layouts and 1.6 of the 11 CPU s their drawing takes in a cold render.
matplotlib skips that lookup when the renderer supplies the three numbers (``_get_font_height_metrics``,
the hook its PDF and PostScript renderers implement); the renderer here supplies them, read once per
font by each renderer (a save makes two or three).

The SVG is the same, byte for byte, as matplotlib's own writer gives: tested here on figures with
rotated, multi-line and mathematical text in several fonts and sizes, under each layout, and checked on
every figure of the report. Quarto and the offline renderer therefore show the same image whichever
draws it. Other formats (PNG, PDF) use matplotlib's own canvases. A figure read back from a pickle has
matplotlib's plain canvas: the same SVG, without the saving.

Remove this module when matplotlib caches the metrics itself: the tests say whether the hook is used.
"""

from __future__ import annotations

import codecs

from matplotlib import cbook
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.font_manager import fontManager, get_font

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

    def _get_font_height_metrics(self, prop):
        """``(ascent, descent, line gap)`` of the font `prop` selects, in pixels at the figure's dpi.

        The dpi is 72 (points, the SVG's unit) while the SVG is drawn; a text keeps its last renderer,
        and measured later (``get_window_extent()``) it is at the figure's own dpi again.
        """
        key = (prop.copy(), self._figure.dpi)     # a text's font properties can change after it was measured
        metrics = self._height_metrics.get(key)
        if metrics is None:
            metrics = self._height_metrics[key] = _font_height_metrics(*key)
        return metrics


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

    def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, dpi=None, facecolor=None,
                  edgecolor=None, orientation=None):
        # matplotlib's FigureCanvasSVG.print_svg (3.11), with the renderer above. savefig also passes
        # dpi, colours and orientation, which matplotlib filters out for its own print_svg only: the
        # figure's dpi and colours are set by savefig itself.
        with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
            if not cbook.file_requires_unicode(fh):
                fh = codecs.getwriter("utf-8")(fh)
            dpi = self.figure.dpi
            self.figure.dpi = SVG_DPI
            width, height = self.figure.get_size_inches()
            renderer = MixedModeRenderer(
                self.figure, width, height, dpi,
                FontMetricsRendererSVG(width * SVG_DPI, height * SVG_DPI, fh, image_dpi=dpi, metadata=metadata,
                                       figure=self.figure),
                bbox_inches_restore=bbox_inches_restore)
            self.figure.draw(renderer)
            renderer.finalize()
