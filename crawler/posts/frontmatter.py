"""Jekyll front matter in the seed post's exact YAML styles, always round-tripping through PyYAML.

Two writers give the same bytes: a direct one for the values posts are made of (one-line plain
text, one-paragraph folded text, lists of text, dates), and PyYAML's emitter for anything else.
PyYAML's emitter was 60 % of rendering a post; the direct writer decides each scalar's style by
the same rules the emitter applies (`Emitter.analyze_scalar`, `choose_scalar_style`, the
resolver's implicit tags) and returns None for any value it is not certain of, which PyYAML then
writes. tests/test_frontmatter_direct.py compares the two on every test post and on generated values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date as Date
from datetime import datetime
from typing import Any

import yaml

from crawler.posts.sanitize import plain_text

# Front matter keys in output order: the seed's five, then the optional extras.
SEED_KEYS: tuple[str, ...] = ("title", "categories", "excerpt", "feature_text", "image")
EXTRA_KEYS: tuple[str, ...] = ("date", "source_url", "source", "ministry", "tags", "license")

_FOLDED_KEYS = frozenset({"excerpt", "feature_text"})
_QUOTED_KEYS = frozenset({"image"})

# A plain scalar starting with one of these is either invalid YAML or means something else
# (post-format.md §2); `:` also matters to Ruby's Psych, which reads `:word` as a symbol.
_INDICATOR_START = frozenset("[]{}\"'!&*%@`-?:|>#,")
# Psych (Jekyll's YAML) reads `1,000` or `1_000` as integers where PyYAML sees strings.
_NUMBER_LIKE = re.compile(r"[-+.]?[0-9][0-9_,.:eE+-]*")
_UNLIMITED_WIDTH = 2**30


def needs_quotes(value: str) -> bool:
    """Whether a one-line string must be quoted though PyYAML might still write it plain."""
    return (
        value == ""
        or value[0] in _INDICATOR_START
        or ": " in value
        or " #" in value
        or value.endswith(":")
        or _NUMBER_LIKE.fullmatch(value) is not None
    )


def folded_value(text: str) -> str:
    """The value a one-paragraph folded scalar (`>`, clip chomping) loads back as."""
    return f"{text}\n" if text else ""


def build_front_matter(
    *,
    title: str,
    categories: Sequence[str],
    excerpt: str,
    heading: str,
    image: str,
    date: datetime | Date | None = None,
    source_url: str | None = None,
    source: str | None = None,
    ministry: str | None = None,
    tags: Iterable[str] = (),
    license: str | None = None,
) -> dict[str, object]:
    """The front matter values, as plain text and in output order, exactly as `yaml.safe_load` returns them.

    Every string goes through `plain_text` (tags removed, entities decoded, controls and bidi
    overrides gone): a theme printing `{{ page.title }}` unescaped must never emit markup.
    Extra keys whose value is empty or None are left out.
    """
    summary = plain_text(excerpt)
    feature = "\n".join(part for part in (plain_text(heading), summary) if part)
    values: dict[str, object] = {
        "title": plain_text(title),
        "categories": _plain_list(categories),
        "excerpt": folded_value(summary),
        "feature_text": folded_value(feature),
    }
    if image:  # a neutral profile has no image of its own: the key is left out
        values["image"] = plain_text(image)
    extras: dict[str, object] = {
        # a date without a time is written as one (`2026-05-12`): Jekyll files it on that day
        # under any site time zone
        "date": date.replace(microsecond=0) if isinstance(date, datetime) else date,
        "source_url": plain_text(source_url or ""),
        "source": plain_text(source or ""),
        "ministry": plain_text(ministry or ""),
        "tags": _plain_list(tags),
        "license": plain_text(license or ""),
    }
    values.update((key, value) for key, value in extras.items() if value)
    return values


def _plain_list(items: Iterable[str]) -> list[str]:
    cleaned = (plain_text(item) for item in items)
    return list(dict.fromkeys(item for item in cleaned if item))


def render_front_matter(values: Mapping[str, object]) -> str:
    """`---`, the YAML mapping in the seed's styles, `---`; each line ends with `\\n`.

    Keys are written in the mapping's order; `build_front_matter` gives the right one.
    """
    direct = direct_front_matter(values)
    return direct if direct is not None else yaml_front_matter(values)


def yaml_front_matter(values: Mapping[str, object]) -> str:
    """`render_front_matter` through PyYAML's emitter: the reference the direct writer must equal."""
    styled = {key: _styled(key, value) for key, value in values.items()}
    body = yaml.dump(
        styled,
        Dumper=_SeedDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=_UNLIMITED_WIDTH,
    )
    return f"---\n{body}---\n"


# Characters PyYAML writes as they are with allow_unicode (its "printable" set) minus every line
# break YAML 1.1 knows (\n, NEL, LS, PS) and tab: a string holding anything else goes to PyYAML.
_NOT_ONE_LINE = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]"
)
_BLOCK_INDICATOR_START = frozenset("#,[]{}&*!|>'\"%@`")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"


def direct_front_matter(values: Mapping[str, object]) -> str | None:
    """The same text as `yaml_front_matter`, written directly; None when any value is not certain."""
    if not values:
        return None  # an empty mapping is written in flow style (`{}`)
    lines = ["---\n"]
    for key, value in values.items():
        if key not in _KNOWN_KEYS:
            return None
        written = _direct_value(key, value)
        if written is None:
            return None
        lines.append(f"{key}:{written}")
    lines.append("---\n")
    return "".join(lines)


_KNOWN_KEYS = frozenset(SEED_KEYS + EXTRA_KEYS)


def _direct_value(key: str, value: object) -> str | None:
    """What follows `key:` (its space included) up to and with the last line break."""
    if isinstance(value, str):
        if value and key in _FOLDED_KEYS:
            return _folded(value)
        scalar = _one_line(value, quoted=bool(value) and key in _QUOTED_KEYS)
        return None if scalar is None else f" {scalar}\n"
    if isinstance(value, list | tuple):
        items = [_one_line(item, quoted=False) if isinstance(item, str) else None for item in value]
        if not items or None in items:
            return None  # an empty list is written in flow style (`[]`): left to PyYAML
        return "\n" + "".join(f"  - {item}\n" for item in items)
    if isinstance(value, datetime | Date):
        # `_represent_datetime` and SafeRepresenter.represent_date: ISO text, timestamp tag,
        # written plain only when it reads back as a timestamp.
        text = value.isoformat()
        return f" {text}\n" if _implicit_tag(text) == _TIMESTAMP_TAG else None
    return None


def _one_line(value: str, *, quoted: bool) -> str | None:
    """A one-line string as a plain or single-quoted scalar, the style PyYAML would choose."""
    if value == "":
        return "''"
    if _NOT_ONE_LINE.search(value) is not None:
        return None
    if quoted or needs_quotes(value) or not _block_plain_allowed(value) or _implicit_tag(value) != _STR_TAG:
        # One line of printable characters always allows single quotes; the width is unlimited,
        # so PyYAML never breaks the line at a space.
        return "'" + value.replace("'", "''") + "'"
    return value


def _block_plain_allowed(value: str) -> bool:
    """`Emitter.analyze_scalar`'s allow_block_plain for a non-empty one-line string."""
    first, rest = value[0], value[1:]
    return not (
        value[0] == " "
        or value[-1] == " "
        or value.startswith(("---", "..."))
        or first in _BLOCK_INDICATOR_START
        or (first in "?:-" and (rest == "" or rest[0] == " "))
        or ": " in rest
        or rest.endswith(":")
        or " #" in value
    )


def _implicit_tag(value: str) -> str:
    """The tag a plain scalar `value` loads as (PyYAML's resolver, the dumper's own table)."""
    resolvers = _SeedDumper.yaml_implicit_resolvers
    for tag, pattern in [*resolvers.get(value[0] if value else "", []), *resolvers.get(None, [])]:
        if pattern.match(value):
            return str(tag)
    return _STR_TAG


def _folded(value: str) -> str | None:
    """A folded block scalar (`>`) of one or more paragraphs, each ending in one line break.

    Only the shape `folded_value` makes: lines of printable text without edge spaces, the last
    followed by one `\\n`. Each single line break inside is written as an empty line (folding).
    """
    if not value.endswith("\n"):
        return None
    lines = value[:-1].split("\n")
    for line in lines:
        if not line or line[0] == " " or line[-1] == " " or _NOT_ONE_LINE.search(line) is not None:
            return None
    return " >\n" + "\n".join(f"  {line}\n" for line in lines)


class _Folded(str):
    """Written as a folded block scalar (`>`)."""


class _SingleQuoted(str):
    """Written in single quotes."""


def _styled(key: str, value: object) -> object:
    if isinstance(value, str) and value:
        if key in _FOLDED_KEYS:
            return _Folded(value)
        if key in _QUOTED_KEYS:
            return _SingleQuoted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


class _SeedDumper(yaml.SafeDumper):
    """SafeDumper writing the seed's styles: indented block lists, `>` and `'…'` where asked."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # The seed indents list items under their key (`  - News`); PyYAML would not.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> Any:
    # PyYAML's own analysis still applies after this: it quotes anything that would not load
    # back as the same string (`yes`, `null`, `2024-01-01`, `a: b` …).
    style = "'" if needs_quotes(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_folded(dumper: yaml.SafeDumper, value: _Folded) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=">")


def _represent_single_quoted(dumper: yaml.SafeDumper, value: _SingleQuoted) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="'")


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime) -> Any:
    # ISO 8601 with a `T` and the offset (`+09:00`); PyYAML's default puts a space there.
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_SeedDumper.add_representer(str, _represent_str)
_SeedDumper.add_representer(_Folded, _represent_folded)
_SeedDumper.add_representer(_SingleQuoted, _represent_single_quoted)
_SeedDumper.add_representer(datetime, _represent_datetime)
