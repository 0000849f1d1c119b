"""Figures of the observational study: panels, labels, colour scale, and errors on bad input."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from evalcorr.errors import EvalcorrError  # noqa: E402
from evalcorr.figures.correlation import (  # noqa: E402
    STUDY_PAIRS,
    clustered_heatmap,
    correlation_histogram,
    pair_scatter_grid,
    select_extreme_pairs,
    select_scatter_pairs,
)

FAMILY_TASKS = {
    "BBH": ["bbh_logical_deduction_three_objects", "bbh_boolean_expressions", "bbh_geometric_shapes",
            "bbh_salient_translation_error_detection", "bbh_temporal_sequences"],
    "GPQA": ["gpqa_diamond", "gpqa_main"],
    # after BBH, so the pairs table names the MATH x BBH pairs the other way round from the study
    "MATH": ["math_prealgebra_hard", "math_geometry_hard", "math_algebra_hard"],
}


@pytest.fixture(scope="module")
def data():
    """Synthetic scores with a common factor and a family factor, its matrix and pairs table."""
    rng = np.random.default_rng(1)
    n = 300
    common = rng.normal(size=n)
    columns, families = {}, []
    for family, tasks in FAMILY_TASKS.items():
        own = rng.normal(size=n)
        for task in tasks:
            columns[task] = 1 / (1 + np.exp(-(common + own + 0.5 * rng.normal(size=n))))
            families.append({"task": task, "family": family, "subfamily": "math" if family == "MATH" else "",
                             "display": f"{family} {task.split('_')[1]}"})
    wide = pd.DataFrame(columns, index=pd.Index([f"org/model-{i}" for i in range(n)], name="model"))
    wide.iloc[:10, 0] = np.nan
    families = pd.DataFrame(families)
    corr = wide.corr()
    family_of = families.set_index("task")["family"]
    tasks = list(wide.columns)
    rows = []
    for i, a in enumerate(tasks):
        for b in tasks[i + 1:]:
            rows.append({"task_a": a, "task_b": b, "family_a": family_of[a], "family_b": family_of[b],
                         "n": int(wide[[a, b]].dropna().shape[0]), "r": corr.loc[a, b],
                         "ci_low": corr.loc[a, b] - 0.05, "ci_high": corr.loc[a, b] + 0.05})
    return wide, families, corr, pd.DataFrame(rows)


def test_select_scatter_pairs_puts_study_pairs_first_and_is_seeded(data):
    _, _, _, pairs = data
    chosen = select_scatter_pairs(pairs, 8, seed=3)
    assert len(chosen) == 8
    assert chosen["discussed"].sum() == len(STUDY_PAIRS)
    assert list(zip(chosen["task_a"][:5], chosen["task_b"][:5])) == list(STUDY_PAIRS)
    # flipped rows keep r and n, and their families follow their tasks
    family = {t: f for f, ts in FAMILY_TASKS.items() for t in ts}
    assert list(chosen["family_a"]) == [family[t] for t in chosen["task_a"]]
    lookup = {frozenset((a, b)): r for a, b, r in zip(pairs["task_a"], pairs["task_b"], pairs["r"])}
    assert list(chosen["r"]) == [lookup[frozenset((a, b))] for a, b in zip(chosen["task_a"], chosen["task_b"])]
    assert len({frozenset(p) for p in zip(chosen["task_a"], chosen["task_b"])}) == 8
    pd.testing.assert_frame_equal(chosen, select_scatter_pairs(pairs, 8, seed=3))
    assert not select_scatter_pairs(pairs, 8, seed=4).equals(chosen)


def test_pair_scatter_grid_has_eight_panels_with_r_and_n(data):
    wide, families, _, pairs = data
    chosen = select_scatter_pairs(pairs, 8)
    fig = pair_scatter_grid(wide, chosen, families)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 8
    for ax, row in zip(panels, chosen.itertuples()):
        texts = " ".join(t.get_text() for t in ax.texts)
        assert f"r = {row.r:.2f}" in texts
        assert f"n = {row.n:,}" in texts
        # one point per model with both scores
        assert len(ax.collections[0].get_offsets()) == row.n
    assert panels[0].get_xlabel() == "MATH prealgebra"
    plt.close(fig)


def test_select_extreme_pairs_takes_the_ends_and_a_seeded_sample(data):
    _, _, _, pairs = data
    pairs = pairs.copy()
    pairs.loc[3, "r"] = np.nan                                  # never picked
    chosen = select_extreme_pairs(pairs, n_high=2, n_low=2, n_random=4, seed=1)
    ranked = pairs.dropna(subset=["r"]).sort_values("r")
    assert list(chosen["pick"]) == ["highest r"] * 2 + ["lowest r"] * 2 + ["random"] * 4
    assert list(chosen["r"][:2]) == list(ranked["r"][::-1][:2])
    assert list(chosen["r"][2:4]) == list(ranked["r"][:2])
    random = chosen[chosen["pick"] == "random"]
    assert random["r"].between(ranked["r"].iloc[2], ranked["r"].iloc[-3]).all() and random["r"].notna().all()
    pd.testing.assert_frame_equal(chosen, select_extreme_pairs(pairs, seed=1))
    assert not select_extreme_pairs(pairs, seed=2).equals(chosen)


def test_pair_scatter_grid_titles_panels_by_pick(data):
    wide, _, _, pairs = data
    chosen = select_extreme_pairs(pairs, n_high=1, n_low=1, n_random=2)
    fig = pair_scatter_grid(wide, chosen, percent=False)
    titles = [ax.get_title(loc="right") for ax in fig.axes if ax.get_visible()]
    assert titles == ["highest r", "lowest r", "random", "random"]
    plt.close(fig)


def test_pair_scatter_grid_rejects_unknown_tasks(data):
    wide, families, _, pairs = data
    bad = pairs.head(1).assign(task_a="no_such_task")
    with pytest.raises(EvalcorrError, match="no_such_task"):
        pair_scatter_grid(wide, bad, families)


def test_histogram_overlays_within_and_between_with_shared_bins(data):
    _, _, _, pairs = data
    fig = correlation_histogram(pairs, bins=20)
    ax = fig.axes[0]
    within = (pairs["family_a"] == pairs["family_b"])
    heights = {}
    for container, label in zip(ax.containers, [t.get_text() for t in ax.get_legend().get_texts()]):
        heights[label.split(" (")[0]] = [p.get_height() for p in container.patches]
        widths = {round(p.get_width(), 9) for p in container.patches}
        assert len(widths) == 1
    assert sum(heights["within a family"]) == within.sum()
    assert sum(heights["between families"]) == (~within).sum()
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert f"median {pairs.loc[within, 'r'].median():.2f}" in legend
    assert f"median {pairs.loc[~within, 'r'].median():.2f}" in legend
    assert ax.get_ylabel() == "number of task pairs"
    plt.close(fig)


def test_histogram_without_families_draws_all_pairs_once(data):
    _, _, _, pairs = data
    fig = correlation_histogram(pairs[["task_a", "task_b", "r"]])
    ax = fig.axes[0]
    assert len(ax.containers) == 1
    assert sum(p.get_height() for p in ax.containers[0].patches) == len(pairs)
    assert ax.get_legend().get_texts()[0].get_text().startswith(f"all pairs ({len(pairs):,} pairs")
    plt.close(fig)


def test_histogram_refuses_pairs_with_some_families_missing(data):
    _, _, _, pairs = data
    partial = pairs.copy()
    partial.loc[0, ["family_a", "same_family"]] = pd.NA
    with pytest.raises(EvalcorrError, match="family"):
        correlation_histogram(partial)


def _heatmap_axes(fig):
    return next(ax for ax in fig.axes if ax.get_label() == "heatmap")


def test_clustered_heatmap_order_norm_and_bars(data):
    _, families, corr, _ = data
    order = list(corr.index[::-1])
    fig = clustered_heatmap(corr, families, order=order, title="test", bar_columns=("family", "subfamily"))
    heat = _heatmap_axes(fig)
    image = heat.images[0]
    norm = image.norm
    assert norm.vmin == -norm.vmax == -1.0 and norm(0.0) == 0.5
    np.testing.assert_allclose(image.get_array(), corr.loc[order, order].to_numpy())
    display = families.set_index("task")["display"]
    assert [t.get_text() for t in heat.get_xticklabels()] == [display[t] for t in order]
    labels = {ax.get_label() for ax in fig.axes}
    assert {"rowbar-family", "colbar-family", "rowbar-subfamily", "colbar-subfamily", "colorbar"} <= labels
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert set(legend) == {"MATH", "BBH", "GPQA", "math"}
    plt.close(fig)


def test_clustered_heatmap_accepts_positions_and_a_limit(data):
    _, families, corr, _ = data
    fig = clustered_heatmap(corr, families, order=list(range(len(corr)))[::-1], limit=0.5)
    image = _heatmap_axes(fig).images[0]
    assert image.norm.vmin == -0.5 and image.norm.vmax == 0.5
    assert image.get_array()[0, 1] == corr.iloc[-1, -2]
    plt.close(fig)


def test_clustered_heatmap_rejects_bad_order_and_missing_family(data):
    _, families, corr, _ = data
    with pytest.raises(EvalcorrError, match="order"):
        clustered_heatmap(corr, families, order=list(corr.index[:-1]))
    with pytest.raises(EvalcorrError, match="families"):
        clustered_heatmap(corr, families.iloc[1:])


def test_family_colours_do_not_depend_on_which_tasks_a_matrix_holds(data):
    _, families, corr, _ = data
    without_bbh = [t for t in corr.index if not t.startswith("bbh")]
    full = clustered_heatmap(corr, families)
    part = clustered_heatmap(corr.loc[without_bbh, without_bbh], families)

    def colours(fig):
        return {t.get_text(): h.get_facecolor() for h, t in zip(fig.legends[0].legend_handles,
                                                                 fig.legends[0].get_texts())}

    assert set(colours(part)) == {"MATH", "GPQA"}
    assert all(colours(part)[f] == colours(full)[f] for f in ("MATH", "GPQA"))
    plt.close("all")


def test_clustered_heatmap_colour_override(data):
    _, families, corr, _ = data
    fig = clustered_heatmap(corr, families, bar_columns=("family", "subfamily"), colors={"math": "#000000"})
    handles = {t.get_text(): h for h, t in zip(fig.legends[0].legend_handles, fig.legends[0].get_texts())}
    assert tuple(handles["math"].get_facecolor()) == (0.0, 0.0, 0.0, 1.0)
    assert tuple(handles["MATH"].get_facecolor()) != (0.0, 0.0, 0.0, 1.0)
    plt.close(fig)
