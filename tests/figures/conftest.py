"""Every figure test also checks that the figure functions it called left no figure open in pyplot.

A figure registered with pyplot is displayed a second time by Jupyter's inline backend when a cell ends
(the cell's returned figure is the first), which Quarto turns into two subfigures; the figure functions
therefore build their figures outside pyplot (:func:`evalcorr.figures.style.subplots`).
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_figure_left_in_pyplot():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a figure function registered its figure with pyplot; use style.subplots"
