"""The CLI's modules import a shared core, never each other; sources.toml handling needs no schedule."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.crawl_helpers import REPO

CLI = REPO / "scheduler" / "cli"


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_command_modules_import_only_core() -> None:
    modules = sorted(p for p in CLI.glob("*.py") if p.name not in ("__init__.py", "core.py"))
    assert {p.stem for p in modules} >= {"articles", "crawl", "db", "posts", "run", "runs", "sources"}
    for path in modules:
        siblings = {n for n in imported(path) if n.startswith("scheduler.cli")} - {"scheduler.cli.core"}
        siblings = {n for n in siblings if not n.startswith("scheduler.cli.core.")}
        assert siblings == set(), f"{path.name} imports {siblings}: share it through core.py"
    core = {n for n in imported(CLI / "core.py") if n.startswith("scheduler.cli")}
    assert core == set(), f"core.py imports command modules: {core}"


def test_sources_does_not_import_the_schedule() -> None:
    names = imported(REPO / "scheduler" / "sources.py")
    assert not any(
        n.startswith(("scheduler.schedule", "scheduler.manager", "scheduler.crawls")) for n in names
    )


def test_the_old_cli_modules_are_gone() -> None:
    assert not list((REPO / "scheduler").glob("cli_*.py")) and not (REPO / "scheduler" / "cli.py").exists()
