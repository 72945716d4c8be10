"""The import graph: arrows point down and nothing imports in a circle (docs/architecture.md).

Every import counts, also the ones inside functions: a lazy import is still a dependency, and a
cycle hidden in a function body is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "crawler", "storage", "scheduler")

# Which top-level package may import which (itself always may).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "storage": frozenset({"domain"}),
    "crawler": frozenset({"domain", "storage"}),
    "scheduler": frozenset({"domain", "storage", "crawler"}),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue  # Alembic loads these by path; they are not imported by the code
            found[_module_name(path)] = path
    return found


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:
        anchor = module.split(".") if is_package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        yield f"{base}.{alias.name}"  # a sub-module when one has that name, else resolved to `base`


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported(node, name, path.name == "__init__.py"):
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != name:
                    graph[name].add(resolved)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _package_of(module: str, depth: int) -> str:
    return ".".join(module.split(".")[:depth])


def _package_graph(graph: dict[str, set[str]], depth: int) -> dict[str, set[str]]:
    packages: dict[str, set[str]] = {}
    for source, targets in graph.items():
        for target in targets:
            a, b = _package_of(source, depth), _package_of(target, depth)
            packages.setdefault(a, set())
            if a != b:
                packages[a].add(b)
    return packages


GRAPH = import_graph()


def test_the_graph_sees_the_code() -> None:
    # Guards the test itself: a parser that found no edges would pass every rule below.
    assert "scheduler.service" in GRAPH and "domain.article" in GRAPH
    assert "domain.article" in GRAPH["domain.merge"]
    assert "storage" in {_package_of(t, 1) for t in GRAPH["crawler.writer"]}


def test_no_module_cycles() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "modules importing each other in a circle:\n" + "\n".join(
        " <-> ".join(c) for c in cycles
    )


@pytest.mark.parametrize("depth", [1, 2])
def test_no_package_cycles(depth: int) -> None:
    # depth 1: domain, crawler, storage, scheduler; depth 2: crawler.posts, scheduler.cli, ...
    cycles = _cycles(_package_graph(GRAPH, depth))
    assert not cycles, f"packages importing each other in a circle: {cycles}"


def test_arrows_point_down() -> None:
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        for target in targets
        if _package_of(target, 1) != _package_of(source, 1)
        and _package_of(target, 1) not in MAY_IMPORT[_package_of(source, 1)]
    )
    assert not upward, "imports against the layering (docs/architecture.md):\n" + "\n".join(upward)


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
