"""The package's folders are its layers, and imports flow one way (docs/architecture.md, "The map").

Every module's imports are read from its source (also those inside functions), so a lazy import that
climbs a layer is caught as surely as one at the top of a file.
"""

import ast
from pathlib import Path

import evalcorr

PACKAGE = Path(evalcorr.__file__).parent

# layer -> the layers it may import (besides itself); errors.py is the ground floor every layer uses
MAY_IMPORT = {
    "errors": set(),
    "data": {"errors"},
    "stats": {"errors", "data"},
    "figures": {"errors", "data", "stats"},
    "text": {"errors", "data", "stats"},
    "site": {"errors", "data", "stats", "figures", "text"},
    "render": {"errors", "data", "stats", "figures", "text", "site"},
    "cli": {"errors", "data", "stats", "figures", "text", "site", "render", "experiment"},
    # the controlled experiment trains models and writes tables that the data layer reads as a source;
    # it stands on its own (JAX is an optional extra), so it imports nothing of the analysis layers
    "experiment": {"errors"},
}


def layer_of(module: str) -> str | None:
    """``evalcorr.stats.correlation`` -> ``stats``; None for the package facade and non-evalcorr names."""
    parts = module.split(".")
    if parts[0] != "evalcorr" or len(parts) < 2 or parts[1] in {"__init__", "__main__"}:
        return None
    return parts[1]


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """evalcorr modules a file imports, resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("evalcorr.")}


def package_modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(path, root): path for path in root.rglob("*.py")}


def upward_imports(root: Path = PACKAGE) -> list[str]:
    """Every import of a module that climbs to a layer its own layer may not use."""
    upward = []
    for module, path in package_modules(root).items():
        layer = layer_of(module)
        if layer is None:
            continue
        for target in sorted(imports_of(path, root)):
            other = layer_of(target)
            if other is not None and other != layer and other not in MAY_IMPORT[layer]:
                upward.append(f"{module} imports {target} ({layer} -> {other})")
    return upward


def test_every_module_sits_in_a_known_layer():
    unknown = sorted({layer_of(m) for m in package_modules()} - set(MAY_IMPORT) - {None})
    assert not unknown, f"folders without a layer rule: {unknown}; add them to MAY_IMPORT and the map"


def test_imports_flow_down_only():
    upward = upward_imports()
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    modules = package_modules()
    graph = {m: {t for t in imports_of(p) if t in modules and t != m} for m, p in modules.items()}
    # a package's __init__ importing its own submodules is not a cycle of the code
    graph = {m: {t for t in targets if not m or not t.startswith(m + ".") or modules[m].name != "__init__.py"}
             for m, targets in graph.items()}
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def test_the_checker_sees_an_upward_import_inside_a_function(tmp_path):
    """The checks above could pass by reading nothing: a planted upward import must be reported."""
    root = tmp_path / "evalcorr"
    (root / "stats").mkdir(parents=True)
    (root / "figures").mkdir()
    for init in (root, root / "stats", root / "figures"):
        (init / "__init__.py").write_text("")
    (root / "figures" / "style.py").write_text("from evalcorr.stats import pca\n")
    (root / "stats" / "pca.py").write_text("def f():\n    from ..figures.style import x\n")
    assert upward_imports(root) == ["evalcorr.stats.pca imports evalcorr.figures.style (stats -> figures)",
                                    "evalcorr.stats.pca imports evalcorr.figures.style.x (stats -> figures)"]
