"""What only the website has: interactive figures (Plotly), data downloads, and the files pages link to.

The layer sits above figures and text (it builds on the static figures) and below render::

    from evalcorr.site import data_link, linked_matrix, transfer_heatmaps

- :func:`linked_matrix`: a correlation matrix linked to the scatter of the pair under the pointer;
- :func:`transfer_heatmaps`: transfer heatmaps with each cell's interval and baseline on hover;
- :func:`data_link`: the CSV download of a static figure or a table.

Each is an ordinary Jupyter output (:mod:`evalcorr.site.figure`), so Quarto and the offline renderer
show the same thing; the files they write are described in :mod:`evalcorr.site.page`.
"""

from evalcorr.site.figure import InteractiveFigure, data_link
from evalcorr.site.heatmaps import transfer_heatmaps
from evalcorr.site.linked import linked_matrix

__all__ = ["InteractiveFigure", "data_link", "linked_matrix", "transfer_heatmaps"]
