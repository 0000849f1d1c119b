"""A small rendered project whose page holds every kind of site figure: the browser tests' fixture."""

from __future__ import annotations

import functools

from tests._renderfixture import PLAIN_INDEX, _scratch, write_fixture_project

# A page with a linked matrix (planted family structure, some missing scores), a transfer heatmap with
# intervals and baselines, a static figure and a table with their data links.
INTERACTIVE = '''\
---
title: "Results"
description: "Interactive figures and data downloads."
---

```{python}
#| include: false
import numpy as np
import pandas as pd
from evalcorr.figures.correlation import clustered_heatmap, correlation_histogram
from evalcorr.figures import transfer as tfig
from evalcorr.site import data_link, linked_matrix, transfer_heatmaps
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
from evalcorr.text import markdown_table

# 120 models, 8 tasks in 3 families (a general factor, a family factor, noise), 10% of scores missing.
rng = np.random.default_rng(3)
general = rng.normal(size=120)
columns, family = {}, {}
for name, size in (("A", 3), ("B", 3), ("C", 2)):
    specific = rng.normal(size=120)
    for j in range(size):
        columns[f"{name.lower()}_{j}"] = 0.6 * general + 0.6 * specific + 0.5 * rng.normal(size=120)
        family[f"{name.lower()}_{j}"] = name
wide = pd.DataFrame(columns, index=pd.Index([f"model-{i:03d}" for i in range(120)], name="model"))
wide = wide.mask(rng.random(wide.shape) < 0.1)
families = pd.DataFrame({"task": list(family), "family": list(family.values()),
                         "display": [f"Task {t}" for t in family]})
pairs = correlation_pairs(wide, families=families)
corr = correlation_matrix(wide)
tasks = ["t1", "t2", "t3"]
cells = pd.DataFrame([{"train_task": a, "eval_task": b, "value": round(float(rng.uniform(-0.2, 0.3)), 3),
                       "baseline": 0.4, "n_items": 200} for a in tasks for b in tasks])
cells["ci_low"], cells["ci_high"] = cells["value"] - 0.1, cells["value"] + 0.1
cells["after"] = cells["baseline"] + cells["value"]
pp = cells.pivot(index="train_task", columns="eval_task", values="value").loc[tasks, tasks]
noise = (cells["ci_low"] <= 0) & (cells["ci_high"] >= 0)
marks = cells.assign(noise=noise).pivot(index="train_task", columns="eval_task", values="noise").loc[tasks, tasks]
```

## A linked matrix

```{python}
#| label: fig-linked
#| fig-cap: "Correlation matrix of the synthetic tasks, linked to the scatter of each pair."
#| fig-alt: "A correlation heatmap of ten tasks with three family blocks."
linked_matrix(clustered_heatmap(corr, families), wide, pairs, name="fig-linked", initial=("a_0", "a_1"))
```

## A transfer heatmap

```{python}
#| label: fig-transfer
#| fig-cap: "Improvement of each evaluated task after training on each task."
#| fig-alt: "A three by three heatmap of improvements."
transfer_heatmaps(tfig.heatmap(pp, mark=marks, key="pp", title="pp improvement"), {"pp": cells}, name="fig-transfer")
```

## A static figure and a table

```{python}
#| label: fig-histogram
#| fig-cap: "Histogram of the pairwise correlations."
#| fig-alt: "Two overlaid histograms."
histogram = correlation_histogram(pairs)
histogram
```

```{python}
data_link(histogram, "fig-histogram")
```

```{python}
#| label: tbl-pairs
#| tbl-cap: "The five most correlated pairs."
#| output: asis
top = pairs.nlargest(5, "r")[["task_a", "task_b", "n", "r"]]
print(markdown_table(top, floatfmt=".3f"))
print(data_link(top, "tbl-pairs"))
```

See @fig-linked, @fig-transfer, @fig-histogram and @tbl-pairs.
'''


@functools.cache
def rendered_interactive_fixture():
    """The interactive fixture project rendered offline once per session: (project root, site folder)."""
    from evalcorr.render import render_project

    root = write_fixture_project(_scratch("evalcorr-site-fixture-") / "project", results=INTERACTIVE, index=PLAIN_INDEX)
    result = render_project(root, renderer="offline", log=lambda line: None)
    return root, result.out_dir
