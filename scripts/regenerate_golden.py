"""Rewrite tests/golden/*.md from tests/golden/*.json with the current normalizer (review the diff!)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.posts.normalize import normalize  # noqa: E402
from crawler.posts.profile import Profile, load_profile  # noqa: E402
from domain.article import article_from_dict  # noqa: E402

SEED_TOML = ROOT / "profiles" / "seed.toml"
GOLDEN = ROOT / "tests" / "golden"


# tests/golden/<name>.md: the seed profile; tests/golden/default/<name>.md: the neutral default.
NEUTRAL = GOLDEN / "default"


def render(name: str, profile: Profile | None = None) -> str:
    """The post `profile` (the seed profile, profiles/seed.toml, by default) makes from <name>.json."""
    data = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return normalize(article_from_dict(data), profile or load_profile(SEED_TOML)).text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="fixture names (default: every tests/golden/*.json)")
    args = parser.parse_args(argv)
    for name in args.names or sorted(path.stem for path in GOLDEN.glob("*.json")):
        NEUTRAL.mkdir(exist_ok=True)
        for path, profile in ((GOLDEN / f"{name}.md", None), (NEUTRAL / f"{name}.md", Profile())):
            # newline="" keeps "\n" on every platform: the expected files are byte-exact.
            with path.open("w", encoding="utf-8", newline="") as handle:
                handle.write(render(name, profile))
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
