"""No module but `recon/methods.py` decides anything by comparing a method's name: what a method needs is read
from its `MethodSpec` (docs/design.md §2, the method registry)."""

from __future__ import annotations

import ast
from pathlib import Path

from recon.methods import METHODS

SRC = Path(__file__).resolve().parents[2] / "src" / "recon"
REGISTRY = SRC / "methods.py"


def names_a_method(text: str, *, prefix: bool = False) -> bool:
    """`text` is a method name (or `name:SUFFIX`); with `prefix`, also a leading part of one (`recon-`)."""
    base = text.partition(":")[0]
    return base in METHODS or (prefix and len(text) > 1 and any(name.startswith(text) for name in METHODS))


def literals(node: ast.AST) -> list[str]:
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [n.value for n in items if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def name_comparisons(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every method name compared with ==, !=, in, not in, or given to startswith."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for part in [node.left, *node.comparators]:
                found += [(node.lineno, s) for s in literals(part) if names_a_method(s)]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith") and node.args):
            found += [(node.lineno, s) for s in literals(node.args[0]) if names_a_method(s, prefix=True)]
    return found


def name_tables(source: str) -> list[tuple[int, list[str]]]:
    """(line, names) of every module-level tuple, set or dict keyed by two or more method names: a second registry.
    A list is an ordered choice of methods to run (the demo's, the benchmark's), not a rule about them."""
    found = []
    for node in ast.parse(source).body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        keys = value.keys if isinstance(value, ast.Dict) else value if isinstance(value, (ast.Tuple, ast.Set)) else None
        if keys is None:
            continue
        items = [k for k in (keys.elts if isinstance(keys, (ast.Tuple, ast.Set)) else keys) if k is not None]
        names = [s for s in literals(ast.Tuple(elts=items)) if names_a_method(s)]
        if len(names) >= 2:
            found.append((node.lineno, names))
    return found


def test_the_check_finds_each_kind_of_comparison():
    source = ('a == "none"\nb in ("forward", "x")\nc.startswith("recon-")\nd != "recon-select:judge"\n'
              'e == "embedding"\nf.startswith("sft:")\n')
    assert name_comparisons(source) == [(1, "none"), (2, "forward"), (3, "recon-"), (4, "recon-select:judge")]
    tables = ('A = ("recon-grpo", "e2e-grpo")\nB = {"random-of-n": "random", "longest-of-n": "length"}\n'
              'C = ("none", "x")\nD = ["none", "backward"]\n')
    assert name_tables(tables) == [(1, ["recon-grpo", "e2e-grpo"]), (2, ["random-of-n", "longest-of-n"])]


def test_no_method_name_is_compared_outside_the_registry():
    found = [f"{path.relative_to(SRC)}:{line}: {text!r}" for path in sorted(SRC.rglob("*.py")) if path != REGISTRY
             for line, text in name_comparisons(path.read_text(encoding="utf-8"))]
    assert found == []


def test_no_second_table_of_methods_outside_the_registry():
    found = [f"{path.relative_to(SRC)}:{line}: {names}" for path in sorted(SRC.rglob("*.py")) if path != REGISTRY
             for line, names in name_tables(path.read_text(encoding="utf-8"))]
    assert found == []
