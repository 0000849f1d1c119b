"""Rendering never needs the experiment extra: the chapters' imports and the render command work with JAX
and Optax hidden, and none of them imports the experiment package."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from evalcorr.data.locations import PROJECT_ROOT

# an import finder that refuses the experiment's dependencies, as on a machine without the extra
HIDE = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"jax", "jaxlib", "optax"}:
            raise ImportError(f"{name} is hidden")
sys.meta_path.insert(0, Hide())
"""

CELL = re.compile(r"^```\{python\}\n(.*?)^```", re.M | re.S)


def _chapter_imports() -> list[str]:
    """Every import statement of the pages' Python cells, as source text."""
    pages = [PROJECT_ROOT / "index.qmd", *sorted((PROJECT_ROOT / "chapters").glob("*.qmd"))]
    statements = []
    for page in pages:
        for cell in CELL.findall(page.read_text(encoding="utf-8")):
            body = "\n".join(line for line in cell.splitlines() if not line.startswith("#|"))
            statements += [ast.unparse(node) for node in ast.walk(ast.parse(body))
                           if isinstance(node, (ast.Import, ast.ImportFrom))]
    return sorted(set(statements))


def test_the_chapters_imports_never_reach_the_experiment():
    imports = _chapter_imports()
    assert any("seeded_transfer" in s for s in imports) and any("evalcorr.text.controlled" in s for s in imports)
    code = HIDE + "\n".join(imports) + """
import evalcorr.cli.render, evalcorr.render
import evalcorr
from evalcorr.stats import seeded_transfer as st
cube = st.outcome_cube(evalcorr.load_item_outcomes("controlled-transfer"))
truth = evalcorr.load_ground_truth("controlled-transfer")
assert len(truth) == len(cube.tasks)
print(sorted(m for m in sys.modules if m.split(".")[0] in {"jax", "optax"} or m.startswith("evalcorr.experiment")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_experiment_command_without_the_extra_says_how_to_install_it():
    code = HIDE + "from evalcorr.cli import main; raise SystemExit(main(['experiment', '--quick', '--no-progress']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert done.returncode == 2
    assert "pip install -e '.[experiment]'" in done.stderr and "Traceback" not in done.stderr
