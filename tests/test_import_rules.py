"""Layers import down only (ARCHITECTURE.md): the fiscal engine knows no Flask and no database,
services know no web or job module, schemas know neither Flask nor SQLAlchemy.

Proved twice: on the import statements of every module a layer reaches inside ``portal`` (read
with ``ast``, lazy imports in functions included, ``if TYPE_CHECKING:`` blocks excluded), and by
importing the whole layer in a fresh interpreter and looking at what got loaded.
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import portal

ROOT = Path(portal.__file__).resolve().parent
WEB = ("flask", "flask_*", "werkzeug", "portal.api", "portal.dashboard", "portal.selfinvoice")
WEB += ("portal.admin", "portal.auth", "portal.tenancy", "portal.app")
JOBS = ("huey", "portal.jobs")
DATABASE = ("sqlalchemy", "flask_sqlalchemy", "portal.models", "portal.database")
RULES = {
    "portal.cfdi": WEB + JOBS + DATABASE + ("portal.services",),
    "portal.services": WEB + JOBS,
    "portal.schemas": WEB + JOBS + DATABASE + ("portal.services",),
}


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from (n for orelse in child.orelse for n in _import_nodes_of(orelse))
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _import_nodes(child)


def _import_nodes_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _import_nodes(node)


def imports_of(module: str) -> set[str]:
    """The absolute names ``module`` imports (``from a import b`` is ``a.b`` when that is a
    module of ours, else ``a``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return names


def _parents(module: str) -> list[str]:
    # Importing a.b.c runs a.b first; ``portal`` itself only holds the lazy app factory.
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def reached(layer: str) -> dict[str, list[str]]:
    """Every name the layer's modules import, directly or through other ``portal`` modules,
    with the chain of modules that leads to it."""
    chains = {name: [name] for name in MODULES if name == layer or name.startswith(layer + ".")}
    queue, seen = list(chains), {}
    while queue:
        module = queue.pop()
        for name in sorted(imports_of(module) | set(_parents(module))):
            chain = [*chains[module], name]
            if name in MODULES and name not in chains:
                chains[name] = chain
                queue.append(name)
            seen.setdefault(name, chain)
    return seen


def _forbidden(name: str, rules: tuple[str, ...]) -> bool:
    for rule in rules:
        if rule.endswith("*") and name.startswith(rule[:-1]):
            return True
        if name == rule or name.startswith(rule + "."):
            return True
    return False


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_point_down(layer):
    """No module the layer reaches imports what the layer must not know."""
    broken = [
        " -> ".join(chain)
        for name, chain in sorted(reached(layer).items())
        if _forbidden(name, RULES[layer])
    ]
    assert broken == []


@pytest.mark.parametrize("layer", sorted(RULES))
def test_loading_a_layer_loads_nothing_it_must_not_know(layer):
    """Importing every module of the layer in a fresh interpreter leaves the forbidden
    packages unloaded (third-party imports included)."""
    names = [m.name for m in pkgutil.walk_packages([str(ROOT / layer.split(".")[1])], layer + ".")]
    script = (
        "import importlib, json, sys\n"
        f"for name in {[layer, *names]!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert [name for name in loaded if _forbidden(name, RULES[layer])] == []


def test_the_rules_catch_a_forbidden_import():
    """The walk sees through other modules: the web layer reaches Flask, a job reaches huey."""
    assert _forbidden("flask_login", WEB)
    assert "flask" in reached("portal.tenancy")
    assert any(_forbidden(name, JOBS) for name in reached("portal.jobs"))
