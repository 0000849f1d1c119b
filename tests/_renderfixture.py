"""Helpers of the render tests: a small fixture project, and checks of a rendered site as a reader sees it."""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import subprocess
import tempfile
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

QUARTO_YML = """\
project:
  type: book
  output-dir: _site
  execute-dir: project
book:
  title: "Fixture report"
  subtitle: "A small project for the renderer's tests"
  author: "Fixture authors"
  output-file: fixture-report
  chapters:
    - index.qmd
    - chapters/results.qmd
    - chapters/references.qmd
bibliography: references.bib
execute:
  echo: false
fig-format: svg
format:
  html:
    html-math-method: mathml
  typst: default
"""

BIB = """\
@article{doe2020scaling,
  author  = {Doe, Jane and Roe, Richard},
  title   = {Scaling Laws for Fixtures},
  journal = {Journal of Tests},
  year    = {2020}
}

@book{poe2019tables,
  author    = {Poe, Edgar},
  title     = {On Tables},
  publisher = {Fixture Press},
  year      = {2019}
}
"""

CITATION = """\
cff-version: 1.2.0
message: "Cite the fixture report as below."
title: "Fixture report"
authors:
  - name: "Fixture authors"
version: "0.0.1"
date-released: "2024-01-02"
"""

INDEX = """\
---
description: "The landing article of the fixture."
---

# Welcome {.unnumbered}

The fixture follows @doe2020scaling. The results are in the [results chapter](chapters/results.qmd),
and its figure is @fig-line.
"""

RESULTS = '''\
---
title: "Results"
description: "A figure, a table, callouts and a citation."
---

```{python}
#| include: false
import matplotlib.pyplot as plt
values = [1, 4, 9, 16]
```

## Figure

Scores grow with the square of size (@fig-line); @tbl-scores lists them [see @poe2019tables, p. 3].
The largest score is `{python} max(values)`.

```{python}
#| label: fig-line
#| fig-cap: "Score against size."
#| fig-alt: "A line rising from 1 to 16 as size goes from 1 to 4."
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot([1, 2, 3, 4], values, marker="o")
ax.set_xlabel("size")
ax.set_ylabel("score")
plt.show()
```

## Table

```{python}
#| label: tbl-scores
#| tbl-cap: "Scores by size."
#| output: asis
print("| size | score |\\n|---:|---:|")
for size, value in enumerate(values, start=1):
    print(f"| {size} | {value} |")
```

::: {.callout-note}
## Reading the figure
Each point is one size.
:::

::: {.callout-warning}
Squares grow fast.
:::

::: {.content-visible when-format="html"}
Only on the website.
:::

::: {.content-visible when-format="pdf"}
Only in the PDF.
:::

Back to [the landing page](../index.qmd).
'''

REFERENCES = """\
# References {.unnumbered}

::: {#refs}
:::
"""


PLAIN_INDEX = '# Welcome {.unnumbered}\n\nNo cells, no references.\n'


def write_fixture_project(root: Path, *, results: str = RESULTS, index: str = INDEX) -> Path:
    """Write the fixture project under `root` and return `root`."""
    files = {
        "_quarto.yml": QUARTO_YML, "references.bib": BIB, "CITATION.cff": CITATION, "index.qmd": index,
        "chapters/results.qmd": results, "chapters/references.qmd": REFERENCES,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if name.endswith(".qmd") else text)
    return root


class PageParser(HTMLParser):
    """Collects a page's element ids, link/image targets and image alt texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[str] = []
        self.images: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) is not None:
                self.refs.append(attrs[key])
        if tag == "img":
            self.images.append(attrs)


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text())
    return parser


def broken_links(site: Path) -> list[str]:
    """Every local href/src of every HTML page that points to a missing file or a missing #anchor."""
    pages = {path.resolve(): parse_page(path) for path in site.rglob("*.html")}
    broken = []
    for path, page in pages.items():
        for ref in page.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:  # links out to the web; see external_resources
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(site.resolve())}: {ref} -> missing file")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{path.relative_to(site.resolve())}: {ref} -> missing anchor")
    return broken


def external_resources(site: Path) -> list[str]:
    """src attributes and stylesheet links that would load something from the network."""
    found = []
    for path in site.rglob("*.html"):
        text = path.read_text()
        for marker in ('src="http', "src='http", 'href="//', "@import url(http", 'rel="stylesheet" href="http'):
            if marker in text:
                found.append(f"{path.name}: {marker}")
        if re.search(r"mathjax|katex|cdn\.jsdelivr|cdnjs|unpkg\.com", text, re.I):
            found.append(f"{path.name}: a math or CDN script")
    for path in site.rglob("*.css"):
        if "url(http" in path.read_text() or "@import" in path.read_text():
            found.append(f"{path.name}: remote url() or @import")
    return found


ROOT = Path(__file__).resolve().parent.parent


def _scratch(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def rendered_fixture() -> tuple[Path, Path]:
    """The fixture project rendered offline once per test session: (project root, site folder)."""
    from evalcorr.render import render_project

    root = write_fixture_project(_scratch("evalcorr-fixture-") / "project")
    result = render_project(root, renderer="offline", log=lambda line: None)
    return root, result.out_dir


REAL_RENDER_LOG: list[str] = []


@functools.cache
def rendered_real_project() -> Path:
    """The real report rendered offline once per test session into a scratch folder (slow: 1-2 min).

    Its log lines are kept in :data:`REAL_RENDER_LOG`.
    """
    from evalcorr.render import render_project

    return render_project(ROOT, _scratch("evalcorr-site-") / "_site", renderer="offline",
                          log=REAL_RENDER_LOG.append).out_dir


def pdf_text(path: Path) -> str:
    """Text of a PDF (pdftotext from poppler-utils), whitespace collapsed to single spaces."""
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def pdf_pages(path: Path) -> int:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Pages:")))


def screenshot(page: Path, png: Path, size: str = "1280,2000") -> Path:
    """A headless Chromium screenshot of a local page (no network, no GPU, throwaway profile)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed: apt-get install chromium (.ci/run installs it)"
    profile = _scratch("evalcorr-chromium-")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                    f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={size}",
                    page.resolve().as_uri()], capture_output=True, timeout=120, check=True)
    return png


def dump_dom(url: str) -> str:
    """The DOM of a local page after its scripts ran (headless Chromium, no network)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is not installed: apt-get install chromium (.ci/run installs it)"
    profile = _scratch("evalcorr-chromium-")
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                           f"--user-data-dir={profile}", "--dump-dom", url], capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout


def distinct_colours(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as image:
        return len(image.convert("RGB").getcolors(maxcolors=1 << 24))
