"""The specifications live in the repository (docs/spec/), and every reference to them resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "docs" / "spec"
SOURCES = [ROOT / "README.md"] + [
    p
    for folder in ("crawler", "storage", "scheduler", "domain", "tests", "scripts")
    for p in (ROOT / folder).rglob("*.py")
]
# "spec §5.3", "docs/spec/korea-kr.md §13.1", "post-format.md §2", "(§13.2)" after one of them.
REFERENCE = re.compile(
    r"(?P<doc>docs/spec/[\w.-]+\.md|korea-kr\.md|post-format\.md|\bspec)\s*§\s*(?P<number>\d+(?:\.\d+)*)"
)


def _headings(doc: Path) -> set[str]:
    """Section numbers with a heading: "## 13. Corrections" gives "13", "### 5.3 Press" gives "5.3"."""
    found = set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"#{2,4}\s+(\d+(?:\.\d+)*)\.?\s", line):
            found.add(match.group(1))
    return found


def _document(name: str) -> Path:
    if name == "spec":
        return SPEC / "korea-kr.md"  # the convention docs/spec/README.md states
    return SPEC / Path(name).name


def test_the_specs_the_code_relies_on_are_in_the_repository() -> None:
    for name in ("README.md", "korea-kr.md", "post-format.md"):
        assert (SPEC / name).is_file(), name
    korea = (SPEC / "korea-kr.md").read_text(encoding="utf-8")
    assert "## 13. Corrections from later evidence" in korea and "admin2.korea.kr" in korea


def test_nothing_points_outside_the_repository_for_the_spec() -> None:
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in SOURCES
        if p.name != Path(__file__).name
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if "shared/spec" in line
    ]
    assert offenders == []


def test_every_section_reference_names_a_section_that_exists() -> None:
    headings = {doc: _headings(doc) for doc in SPEC.glob("*.md")}
    broken, checked = [], 0
    for path in SOURCES:
        for match in REFERENCE.finditer(path.read_text(encoding="utf-8")):
            checked += 1
            doc = _document(match["doc"])
            number = match["number"]
            # §13.1 is a numbered point of §13, §5.3 a heading of its own: either must exist.
            known = headings.get(doc, set())
            if number not in known and number.split(".")[0] not in known:
                broken.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert broken == []
    assert checked > 30  # the code does cite the spec, so the pattern found the citations
    assert sum(len(h) for h in headings.values()) > 20  # the headings were found at all
