"""A site figure is one Jupyter output: HTML for the site, the static SVG for the PDF; data links as Markdown."""

import base64
import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_hex

from evalcorr.errors import EvalcorrError
from evalcorr.figures.style import DIVERGING_CMAP, record_panel, subplots
from evalcorr.site.figure import InteractiveFigure, colorscale, data_link, encode


def _figure(label="value"):
    fig, ax = subplots()
    ax.plot([0, 1], [0, 1])
    record_panel(fig, pd.DataFrame({"x": [0.0, 1.0], label: [0.0, 1.0]}))
    return fig


def _interactive(name="fig-a"):
    frame = pd.DataFrame({"model": ["m</script>", "n"], "x": [0.25, np.nan]})
    return InteractiveFigure("linked-matrix", {"panels": [], "note": "a</script>b"}, static=_figure(), name=name,
                             downloads=[(None, "matrix (CSV)", frame, False), ("scores", "scores (CSV)", frame, True)],
                             description="An interactive test figure")


def test_encode_is_little_endian_base64_with_nan_kept():
    values = np.array([[0.5, np.nan], [-1.25, 3.0]])
    array = encode(values)
    assert array["dtype"] == "f4" and array["shape"] == [2, 2]
    decoded = np.frombuffer(base64.b64decode(array["b64"]), dtype="<f4").reshape(2, 2)
    assert np.array_equal(decoded, values.astype("f4"), equal_nan=True)


def test_colorscale_is_the_matplotlib_map():
    scale = colorscale(DIVERGING_CMAP)
    assert scale[0] == [0.0, to_hex(colormaps[DIVERGING_CMAP](0.0))]
    assert scale[-1] == [1.0, to_hex(colormaps[DIVERGING_CMAP](1.0))]


def test_outside_a_render_the_bundle_is_the_static_image(monkeypatch):
    monkeypatch.delenv("QUARTO_DOCUMENT_FILE", raising=False)
    bundle = _interactive()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/svg+xml"}
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))


def test_in_a_render_the_bundle_has_the_html_its_files_and_the_scripts_once(page_env):
    first = _interactive("fig-a")._repr_mimebundle_()
    html = first["text/html"]
    assert set(first) == {"text/plain", "image/svg+xml", "text/html"}
    assert 'data-evalcorr="linked-matrix"' in html and 'aria-label="An interactive test figure"' in html
    data = re.search(r'<script type="application/json">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data)["note"] == "a</script>b"  # "</" is escaped inside the script element
    assert html.count("<script src=") == 2 and "../libs/plotly-cartesian-4.1.1.min.js" in html
    assert 'href="../downloads/results/fig-a.csv" download' in html
    assert 'href="../downloads/results/fig-a-scores.csv" download' in html
    assert (page_env / "downloads" / "results" / "fig-a-scores.csv").read_text().startswith(",model,x\n0,m</script>,0.25")
    second = _interactive("fig-b")._repr_mimebundle_()["text/html"]
    assert "<script src=" not in second  # a page loads the scripts once


def test_data_link_of_a_figure_and_of_a_table(page_env):
    link = data_link(_figure("y"), "fig-line")
    assert link._repr_mimebundle_() == {"text/markdown": str(link)}
    assert str(link).startswith("```{=html}\n<p class=\"data-link\"") and '"../downloads/results/fig-line.csv"' in str(link)
    assert (page_env / "downloads" / "results" / "fig-line.csv").read_text() == "x,y\n0.0,0.0\n1.0,1.0\n"
    table = pd.DataFrame({"r": [0.5]}, index=pd.Index(["a"], name="task"))
    data_link(table, "tbl-t", index=True).markdown()
    assert (page_env / "downloads" / "results" / "tbl-t.csv").read_text() == "task,r\na,0.5\n"
    fig, _ = subplots()
    with pytest.raises(EvalcorrError, match="records no data"):
        data_link(fig, "fig-hand")
    with pytest.raises(EvalcorrError, match="takes a figure"):
        data_link([1, 2], "fig-list")
