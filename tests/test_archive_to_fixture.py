"""scripts/archive_to_fixture.py: an archived page becomes a golden fixture the parser test reads."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from crawler.archive import WarcArchive
from tests.test_reparse import FIXTURES, T0, archived

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "archive_to_fixture.py"


def script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("archive_to_fixture", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["policy_news", "unknown_layout"])
def test_an_archived_page_becomes_the_fixture_it_came_from(tmp_path: Path, name: str) -> None:
    with WarcArchive(tmp_path / "archive") as warc:
        warc.write(archived(name))
    original = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    out = tmp_path / "fixtures"
    code = script().main(["--archive", str(tmp_path / "archive"), "--url", original["url"],
                          "--name", "real", "--fixtures", str(out)])
    assert code == 0
    page = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    assert (out / "real.html").read_text(encoding="utf-8") == page
    case = json.loads((out / "real.expected.json").read_text(encoding="utf-8"))
    assert case["expected"] == original["expected"]
    assert (case["url"], case["section"], case["kind"]) == (original["url"], original["section"], "article")
    assert case["fetched_at"] == T0.isoformat()
    # A second run does not overwrite it; an unknown page is one line and exit 1.
    assert script().main(["--archive", str(tmp_path / "archive"), "--url", original["url"],
                          "--name", "real", "--fixtures", str(out)]) == 1
    assert script().main(["--archive", str(tmp_path / "archive"), "--url", "999",
                          "--name", "other", "--fixtures", str(out)]) == 1
