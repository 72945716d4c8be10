"""The README documents every CLI command, and its examples name real commands."""

from __future__ import annotations

import re
from pathlib import Path

import typer

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def command_paths() -> list[str]:
    from scheduler.cli import app

    root = typer.main.get_command(app)
    paths: list[str] = []

    def walk(command: object, prefix: str) -> None:
        subcommands = getattr(command, "commands", None)  # typer groups (typer vendors click)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            paths.append(prefix)

    walk(root, "")
    return sorted(paths)


def test_every_command_is_in_the_readme() -> None:
    paths = command_paths()
    assert len(paths) >= 15  # the walk found the real command tree
    missing = [p for p in paths if f"briefing {p}" not in README]
    assert missing == [], f"commands not documented in README.md: {missing}"


def test_readme_examples_name_real_commands() -> None:
    paths = set(command_paths())
    groups = {p.split()[0] for p in paths if " " in p}
    shell_blocks = "\n".join(re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL))
    for line in re.findall(r"^(?:[A-Z_]+=\S+ )*briefing ([a-z][a-z ]*)", shell_blocks, flags=re.MULTILINE):
        words = line.split()
        name = " ".join(words[:2]) if words[0] in groups else words[0]
        assert name in paths, f"README shows `briefing {line.strip()}`, which is not a command"


def test_the_readme_starts_with_the_two_setup_commands() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == ["pip install -e . && briefing run", "pip install -e '.[test]' && python -m pytest"]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]' && python -m pytest" in ci
