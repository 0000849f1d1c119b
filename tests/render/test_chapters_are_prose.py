"""Chapters are prose and calls (docs/architecture.md, "Chapters"): a page's cells define no functions or
classes; what a chapter needs to compute lives in the package, where it is tested."""

import ast
from pathlib import Path

import pytest

from evalcorr.render.qmd import read_qmd

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "index.qmd", *(ROOT / "chapters").glob("*.qmd"),
                *(ROOT / "evalcorr" / "render" / "templates").rglob("*.qmd")])


def definitions(code: str) -> list[str]:
    """Names of the functions and classes a cell defines."""
    return [node.name for node in ast.walk(ast.parse(code))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def test_the_check_sees_a_definition():
    assert definitions("x = 1\nif x:\n    def helper():\n        return 2\n") == ["helper"]
    assert definitions("print(sorted([3, 1], key=lambda v: -v))") == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_cell_defines_a_function_or_class(page):
    defined = [(cell.line, name) for cell in read_qmd(page).cells for name in definitions(cell.code)]
    assert defined == [], f"{page.name}: move these into the package: {defined}"
