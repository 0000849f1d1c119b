"""Each Quarto rule the chapters rely on, checked in a plain kernel started as Quarto starts it and
through the offline renderer (docs/architecture.md, "Quarto rules", lists the rules and their sources).

The plain kernel (tests/_plainkernel.py) shares nothing with the renderer's kernel set-up: it is what a
real Quarto render would execute, so where both are checked, the renderer must show what it emitted.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest
from tests._plainkernel import quarto_setup, run_plain
from tests._renderfixture import ROOT

from evalcorr.render.execute import execute_page, inline_text
from evalcorr.render.kernels import FigureOptions
from evalcorr.render.project import load_project

DISPLAY_PAGE = """\
---
title: Display
---

```{python}
import matplotlib.pyplot as plt
from evalcorr.figures.style import subplots
```

```{python}
#| label: fig-returned
#| fig-cap: "A pyplot figure returned as the cell's value."
fig, ax = plt.subplots()
ax.plot([1, 2])
fig
```

```{python}
#| label: fig-house
#| fig-cap: "A figure made outside pyplot, returned."
fig, ax = subplots()
ax.plot([1, 2])
fig
```

```{python}
#| label: fig-shown
#| fig-cap: "A pyplot figure ended with plt.show()."
fig, ax = plt.subplots()
ax.plot([1, 2])
plt.show()
```

```{python}
#| label: fig-open
#| fig-cap: "A pyplot figure left open, nothing returned."
fig, ax = plt.subplots()
ax.plot([1, 2]);
```

Working directory `{python} __import__("os").getcwd()`; empty `{python} ""`; scalar `{python} __import__("numpy").float64(0.5)`;
text `{python} "a_b (c), d."`.
"""

# Images each figure cell emits in a real kernel, as the matplotlib-inline code implies.
EXPECTED_IMAGES = {"fig-returned": 2, "fig-house": 1, "fig-shown": 1, "fig-open": 1}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    (root / "chapters").mkdir()
    (root / "chapters" / "display.qmd").write_text(DISPLAY_PAGE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def plain(project):
    """The page in a plain kernel started in its own folder (Quarto's default execute-dir)."""
    return run_plain(project / "chapters" / "display.qmd", cwd=project / "chapters",
                     setup=quarto_setup("svg", 7, 4.5, 100))


@pytest.fixture(scope="module")
def offline(project):
    return execute_page(project / "chapters" / "display.qmd", project_root=project, figures_dir=project / "figs",
                        cache=False, log=lambda _: None, figure=FigureOptions("svg", 7, 4.5, 100))


def _cells(run):
    return {cell.label: cell for cell, _ in run.cells if cell.label}


def test_rule_display_a_real_kernel_emits_these_images(plain):
    assert plain.errors() == []
    for label, expected in EXPECTED_IMAGES.items():
        images = plain.images(_cells(plain)[label])
        assert len(images) == expected, label
        # fig-format: svg gives one image format per figure
        assert all(set(image["data"]) - {"text/plain"} == {"image/svg+xml"} for image in images), label


def test_rule_display_the_offline_renderer_shows_every_image_the_kernel_emitted(offline):
    shown = {label: len(re.findall(rf"\(figs/display-{label}(?:-\d)?\.svg\)", offline.markdown))
             for label in EXPECTED_IMAGES}
    assert shown == EXPECTED_IMAGES
    assert "::: {#fig-returned .quarto-subfigures}" in offline.markdown  # Quarto's subfigures
    assert [w for w in offline.warnings if "images were displayed" in w] == [
        w for w in offline.warnings if "fig-returned" in w and "images were displayed" in w]


def test_rule_working_directory_is_the_pages_folder_unless_execute_dir_is_project(plain, offline, project):
    cwd = dict((part.expr, data) for part, data in plain.inline)['__import__("os").getcwd()']
    assert inline_text(cwd) == inline_text({"text/plain": repr(str(project / "chapters"))})
    assert f"Working directory {inline_text(cwd)};" in offline.markdown
    rooted = run_plain(project / "chapters" / "display.qmd", cwd=project,
                       setup=quarto_setup("svg", run_path=project))
    cwd = dict((part.expr, data) for part, data in rooted.inline)['__import__("os").getcwd()']
    assert inline_text(cwd) == inline_text({"text/plain": repr(str(project))})


def test_rule_inline_values_empty_strings_and_reprs(plain, offline):
    values = {part.expr: data for part, data in plain.inline}
    assert values['""'] == {"text/plain": "''"} and inline_text(values['""']) == ""  # Quarto keeps the code
    assert "empty `{python} \"\"`;" in offline.markdown
    scalar = inline_text(values['__import__("numpy").float64(0.5)'])
    assert scalar == "np.float64(0.5)" and f"scalar {scalar};" in offline.markdown
    text = inline_text(values['"a_b (c), d."'])
    assert text == r"a\_b \(c\)\, d\." and f"text {text}." in offline.markdown


def test_rule_numbering_the_real_projects_landing_and_references_pages_are_unnumbered():
    project = load_project(ROOT)
    for page in (project.pages[0], project.pages[-1]):
        text = (ROOT / page.source).read_text()
        front = text.split("---", 2)[1] if text.startswith("---") else ""
        assert "title:" not in front, page.source  # a string title would make Quarto number the page
        assert re.search(r"^# .+ \{\.unnumbered\}$", text, re.M), page.source
        assert page.number is None


def test_rule_citations_no_nocite_every_work_is_cited_where_it_is_used():
    """A Quarto book lists only what its pages cite (nocite counts on the first page only), so the
    report relies on no nocite; tests/render/test_site.py checks that all entries reach the references."""
    project = load_project(ROOT)
    texts = {page.source: (ROOT / page.source).read_text() for page in project.pages}
    assert not any("nocite" in text for text in texts.values())
    assert "@hendrycks2021mmlu" in texts["chapters/helm.qmd"]
    assert "@latenttraits2025" in texts["chapters/latent-abilities.qmd"]


def test_rule_quarto_settings_of_the_real_project():
    import yaml

    config = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    assert config["project"]["execute-dir"] == "project"
    assert config["format"]["html"]["html-math-method"] == "mathml"
    assert "number-sections" not in config["format"]["html"]
    assert config["format"]["typst"]["citeproc"] is True and (ROOT / config["csl"]).is_file()
    assert config["execute"]["freeze"] == "auto"
    assert config["book"]["downloads"] == ["pdf"] and config["google-scholar"] is True
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert (config["citation"]["title"], config["citation"]["version"], config["citation"]["issued"]) == (
        cff["title"], str(cff["version"]), str(cff["date-released"]))
    gitignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "/.quarto/" in gitignore and "**/*.quarto_ipynb" in gitignore  # exactly as Quarto appends them


def _makefile_environment() -> dict:
    """EVALCORR_* as `make render` exports them (run from the project root)."""
    done = subprocess.run(["make", "-s", "--no-print-directory", "--eval=print-env: ; @env | grep ^EVALCORR_ || true",
                           "print-env"], cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def test_makefile_exports_absolute_data_paths():
    env = _makefile_environment()
    assert Path(env["EVALCORR_CACHE_DIR"]).is_absolute()
    assert env.get("EVALCORR_DATA_DIR", "") == "" or Path(env["EVALCORR_DATA_DIR"]).is_absolute()


def test_a_chapter_runs_in_a_plain_kernel_started_in_chapters_with_the_makefile_environment():
    """transfer.qmd (its first cell reads the mirror) in a kernel started in chapters/, no chdir: as
    Quarto runs it without execute-dir. Relative EVALCORR_* paths are taken from the project root too."""
    project = load_project(ROOT)
    make_env = _makefile_environment()
    relative = {key: os.path.relpath(value, ROOT) for key, value in make_env.items() if value}
    figure = project.figure
    for env in (make_env, relative):
        run = run_plain(ROOT / "chapters" / "transfer.qmd", cwd=ROOT / "chapters", env={**os.environ, **env},
                        setup=quarto_setup(figure.format, figure.width, figure.height, figure.dpi))
        assert run.errors() == []
        figure_cells = [cell for cell, _ in run.cells if (cell.label or "").startswith("fig-")]
        assert figure_cells and all(len(run.images(cell)) == 1 for cell in figure_cells)
        for part, data in run.inline:
            text = inline_text(data)
            assert text and not re.match(r"^[A-Za-z_][\w.]*\(", data.get("text/plain", "")), part.expr


SITE_PAGE = '''\
---
title: Site figures
---

```{python}
#| include: false
import numpy as np
import pandas as pd
from evalcorr.figures.correlation import clustered_heatmap
from evalcorr.site import data_link, linked_matrix
from evalcorr.stats.correlation import correlation_matrix, correlation_pairs
rng = np.random.default_rng(0)
wide = pd.DataFrame(rng.normal(size=(40, 4)), columns=["a", "b", "c", "d"]).rename_axis("model")
wide.index = [f"m{i}" for i in range(40)]
```

```{python}
#| label: fig-linked
#| fig-cap: "Linked."
#| fig-alt: "A heatmap."
linked_matrix(clustered_heatmap(correlation_matrix(wide), {t: "F" for t in wide}), wide,
              correlation_pairs(wide), name="fig-linked")
```

```{python}
data_link(wide.describe(), "tbl-describe", index=True)
```
'''


def test_rule_site_figures_one_output_html_and_svg_same_files_in_both_renderers(tmp_path):
    """R11: an interactive figure is one output with text/html (the site) and image/svg+xml (the PDF); the
    files its links name are written by the page's cells, where Quarto's variables say the page is, so a
    plain kernel (Quarto) and the offline renderer write the same files under the same links."""
    root = tmp_path / "project"
    (root / "chapters").mkdir(parents=True)
    page = root / "chapters" / "site.qmd"
    page.write_text(SITE_PAGE, encoding="utf-8")
    env = {**os.environ, "QUARTO_PROJECT_ROOT": str(root), "QUARTO_DOCUMENT_PATH": str(page.parent),
           "QUARTO_DOCUMENT_FILE": page.name}
    plain = run_plain(page, cwd=root, env=env, setup=quarto_setup("svg", 7, 4.5, 100, run_path=root))
    assert plain.errors() == []
    outputs = {cell.label: outs for cell, outs in plain.cells}
    (figure,) = [out for out in outputs["fig-linked"] if out["output_type"] in ("display_data", "execute_result")]
    assert {"text/html", "image/svg+xml"} <= set(figure["data"])
    links = sorted(re.findall(r'(?:href|src)="([^"]+)"', figure["data"]["text/html"]))
    files = {path.relative_to(root): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
             and path.parts[len(root.parts)] in ("downloads", "libs")}
    assert {(page.parent / link).resolve().relative_to(root) for link in links} <= set(files)
    assert Path("downloads/site/tbl-describe.csv") in files
    for path in files:
        (root / path).unlink()
    offline = execute_page(page, project_root=root, figures_dir=root / "figs", cache=False, log=lambda _: None,
                           figure=FigureOptions("svg", 7, 4.5, 100), execute_dir="project")
    assert sorted(set(re.findall(r'(?:href|src)="([^"]+)"', offline.markdown)) - {"#"}) == \
        sorted(set(links) | {"../downloads/site/tbl-describe.csv"})
    assert {path: (root / path).read_bytes() for path in files} == files
