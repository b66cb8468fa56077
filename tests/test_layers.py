"""Layer rules of the engine, read from the source (AST), so a violation fails before it runs.

Flow: relations → spectra → models → trainers → certify → claims → checks/bounds → theorems.

* nothing in ``verify`` imports ``theorems`` (theorems register through entry points);
* ``verify.core`` (the data model and runner) imports no numerical layer;
* ``verify.trainers`` and ``verify.certify`` know nothing of claims, checks or bounds;
* ``verify.claims`` (the pipeline) is not built on checks or bounds (they are built on it);
* the imports inside ``verify`` (lazy ones included) have no cycle;
* every module of ``theorems/`` is declared in the ``relverify.theorems`` entry-point group.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
VERIFY = ROOT / "verify"


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    out: set[str] = set()
    pkg = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return out


FILES = sorted(VERIFY.rglob("*.py"))

RULES = {  # package -> packages it must not import (at any depth, lazily or not)
    "verify": ("theorems", "bench"),
    "verify.core": ("verify.trainers", "verify.certify", "verify.claims", "verify.spectra",
                    "verify.models", "verify.bounds", "verify.checks", "verify.attention",
                    "verify.sweeps", "verify.relations"),
    "verify.trainers": ("verify.claims", "verify.checks", "verify.bounds", "verify.attention"),
    "verify.certify": ("verify.trainers", "verify.claims", "verify.checks", "verify.bounds"),
    "verify.claims": ("verify.checks", "verify.bounds", "verify.attention", "verify.sweeps"),
}


@pytest.mark.parametrize("package", sorted(RULES))
def test_layer_rules(package):
    bad = []
    for path in FILES:
        mod = _module(path)
        if mod != package and not mod.startswith(package + "."):
            continue
        for imp in _imports(path):
            for banned in RULES[package]:
                if imp == banned or imp.startswith(banned + "."):
                    bad.append(f"{mod} imports {imp}")
    assert not bad, "\n".join(sorted(set(bad)))


def test_no_import_cycle():
    graph = nx.DiGraph()
    modules = {_module(p) for p in FILES}
    for path in FILES:
        src = _module(path)
        for imp in _imports(path):
            while imp and imp not in modules:
                imp = imp.rpartition(".")[0]
            if imp and imp != src and not src.startswith(imp + "."):
                graph.add_edge(src, imp)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, cycles[:5]


def test_every_theorem_module_is_an_entry_point():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = set(project["entry-points"]["relverify.theorems"].values())
    modules = {f"theorems.{p.stem}" for p in (ROOT / "theorems").glob("*.py")
               if not p.stem.startswith("_")}
    assert modules == declared
