"""The house rules that a reader relies on, checked on the source: modules import only from their own layer
or below (docs/design.md §2), no import circle, no private name imported across packages, no module over
300 lines."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "recon"

# bottom to top: a module may import from its own layer and the layers below it
LAYERS = [
    {"", "types", "errors", "hashing", "atomicio", "paths", "render", "redaction", "provenance", "output_lock",
     "progress", "methods", "logs", "hub"},
    {"config"},
    {"data", "backends", "store", "prompts"},
    {"method"},
    {"evaluation", "training"},
    {"jobs"},
    {"run"},
    {"bench"},
    {"cli"},
]
MAX_LINES = 300


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module}: not in any layer of docs/design.md §2; add its package to LAYERS")


def imports() -> list[tuple[str, str, tuple[str, ...]]]:
    """(importer, imported module, imported names) for every `recon` import, lazy ones included."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        importer = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "recon":
                found.append((importer, node.module, tuple(a.name for a in node.names)))
            elif isinstance(node, ast.Import):
                found += [(importer, a.name, ()) for a in node.names if a.name.split(".")[0] == "recon"]
    return found


def test_every_import_runs_down_or_across_the_layers():
    upward = [f"{a} ({LAYERS[layer(a)]}) imports {b}" for a, b, _ in imports() if layer(b) > layer(a)]
    assert upward == []


def test_no_private_name_is_imported_from_another_package():
    def package(module: str) -> str:
        return module.split(".")[1] if "." in module else ""
    private = [f"{a} imports {n} from {b}" for a, b, names in imports() for n in names
               if n.startswith("_") and not n.startswith("__") and package(a) != package(b)]
    assert private == []


def test_the_import_graph_has_no_circle():
    graph: dict[str, set[str]] = {}
    for a, b, names in imports():
        targets = {f"{b}.{n}" for n in names} | {b}
        graph.setdefault(a, set()).update(t for t in targets if t != a)
    modules = {module_name(p) for p in SRC.rglob("*.py")}
    graph = {a: {b for b in bs if b in modules} for a, bs in graph.items()}
    circles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                circles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"
    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    package_inits = {m for m in modules if (SRC.parent / m.replace(".", "/") / "__init__.py").is_file()}
    # a package's __init__ re-exporting its own submodules is not a circle of the design
    real = [c for c in circles if not any(m in package_inits and all(x.startswith(m) for x in c) for m in c)]
    assert real == []


def test_no_module_is_over_the_size_budget():
    long = {module_name(p): n for p in SRC.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines()))
            > MAX_LINES}
    assert long == {}
