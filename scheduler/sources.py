"""sources.toml: the sources briefing knows, with type, options, schedule and enabled flag.

Loading validates everything and names the file, the entry and the key in every error. Edits
(`add_source`, `set_enabled`, `import_opml`) change the file in place, keeping the user's
comments and layout, and re-validate the result before it replaces the file atomically.
Without a file, the one source is korea_kr:policy every BRIEFING_SCHEDULE_MINUTES.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from crawler.outbound import BLOCKED_SCHEME, scheme_refusal
from crawler.registry import SOURCE_KINDS
from scheduler.settings import Settings, SourceSchedule

FEED = "feed"
DEFAULT_SOURCE = "korea_kr:policy"
KEYS = ("name", "type", "section", "url", "title", "schedule", "enabled")
FEED_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_BLOCK_START = re.compile(r"^\s*\[\[\s*source\s*\]\]\s*(?:#.*)?$")
_ENABLED_LINE = re.compile(r"^(\s*)enabled\s*=\s*(?:true|false)(\s*#.*)?\s*$")
_NAME_LINE = re.compile(r"^\s*name\s*=")
HEADER = (
    "# Sources briefing crawls (BRIEFING_SOURCES_FILE). Each [[source]] has a name (the crawl\n"
    "# target: korea_kr:<section> or feed:<name>), a type, the section or feed URL, an optional\n"
    "# schedule ({ minutes = N } or { cron = \"m h dom mon dow\" }, Asia/Seoul) and enabled.\n"
)


class SourcesError(ValueError):
    """The sources file (or an edit of it) is not valid; the message names file, entry and key."""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str  # the crawl target: "korea_kr:policy", "feed:mofa"
    type: str
    section: str  # the kind's section, or a feed's short name
    url: str | None = None  # feeds only
    schedule: SourceSchedule | None = None  # None: every BRIEFING_SCHEDULE_MINUTES
    enabled: bool = True
    title: str | None = None

    def describe_schedule(self, default_minutes: float) -> str:
        spec = self.schedule or SourceSchedule(minutes=default_minutes)
        return f"every {spec.minutes:g} min" if spec.minutes is not None else f"cron {spec.cron}"


@dataclass(frozen=True, slots=True)
class SourcesFile:
    path: Path
    exists: bool
    sources: tuple[SourceConfig, ...]

    def get(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)

    @property
    def enabled(self) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if s.enabled)


@dataclass(slots=True)
class ImportResult:
    added: list[SourceConfig] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (feed URL or title, why)


def default_sources() -> tuple[SourceConfig, ...]:
    return (SourceConfig(DEFAULT_SOURCE, "korea_kr", "policy"),)


def load_sources(path: Path) -> SourcesFile:
    """The sources in `path`, or the built-in default when the file does not exist."""
    if not path.exists():
        return SourcesFile(path, False, default_sources())
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read the sources file: {exc}") from exc
    return SourcesFile(path, True, tuple(parse_sources(text, origin=str(path))))


def parse_sources(text: str, *, origin: str = "sources.toml") -> list[SourceConfig]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{origin}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"source"})
    if unknown:
        raise SourcesError(f"{origin}: unknown top-level key {unknown[0]!r}; sources are [[source]] tables")
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise SourcesError(f"{origin}: `source` must be an array of tables: write each as [[source]]")
    sources: list[SourceConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries, 1):
        source = _source(entry, f"{origin}: [[source]] #{index}")
        if source.name in seen:
            raise SourcesError(
                f"{origin}: [[source]] #{index} ({source.name}): the name is already used by "
                f"[[source]] #{seen[source.name]}"
            )
        seen[source.name] = index
        sources.append(source)
    return sources


def make_source(where: str = "new source", **entry: Any) -> SourceConfig:
    """A validated source from keys as in the file (None values left out)."""
    return _source({k: v for k, v in entry.items() if v is not None}, where)


def resolve_name(loaded: SourcesFile, name: str) -> str:
    """`mofa` is short for `feed:mofa` when no other source has that name."""
    if loaded.get(name) is None and ":" not in name and loaded.get(f"{FEED}:{name}") is not None:
        return f"{FEED}:{name}"
    return name


def _source(entry: Any, where: str) -> SourceConfig:
    if not isinstance(entry, dict):
        raise SourcesError(f"{where}: must be a table")
    for key in entry:
        if key not in KEYS:
            raise SourcesError(f"{where}: unknown key {key!r}; known keys: {', '.join(KEYS)}")
    raw_name = _string(entry, "name", where, required=True)
    assert raw_name is not None
    prefix, colon, rest = raw_name.partition(":")
    # The type may be left to the name: "feed:x", "korea_kr:press", or a bare kind "korea_kr".
    bare_kind = raw_name if raw_name in SOURCE_KINDS and raw_name != FEED else None
    kind = _string(entry, "type", where) or (prefix if colon else bare_kind)
    if kind is None:
        raise SourcesError(f"{where} ({raw_name}): key 'type' is missing (one of {_kinds()})")
    where = f"{where} ({raw_name})"
    if kind not in SOURCE_KINDS:
        raise SourcesError(f"{where}: key 'type': unknown type {kind!r}; known types: {_kinds()}")
    if colon and prefix != kind:
        raise SourcesError(f"{where}: key 'name': a {kind} source is named {kind}:<…>, not {raw_name!r}")
    short = rest if colon else ("" if raw_name == kind and kind != FEED else raw_name)
    section = _string(entry, "section", where)
    url = _string(entry, "url", where)
    if kind == FEED:
        if section is not None:
            raise SourcesError(f"{where}: key 'section' is for site sources; a feed has a url")
        if not FEED_NAME.match(short):
            raise SourcesError(
                f"{where}: key 'name': {short!r} is not a feed name: use lower-case letters, digits, "
                ". _ or - (at most 80)"
            )
        if url is None:
            raise SourcesError(f"{where}: key 'url' is missing: a feed needs its URL")
        check_url(url, f"{where}: key 'url'")
        section = short
    else:
        sections = SOURCE_KINDS[kind].sections
        if short and section is not None and section != short:
            raise SourcesError(f"{where}: key 'section' {section!r} disagrees with the name")
        section = section or short or sections[0]
        if section not in sections:
            known = ", ".join(sections)
            raise SourcesError(f"{where}: key 'section': unknown section {section!r} for {kind}; known: "
                               f"{known}")
        if url is not None:
            raise SourcesError(f"{where}: key 'url' is only for feeds")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise SourcesError(f"{where}: key 'enabled' must be true or false")
    return SourceConfig(
        name=f"{kind}:{section}",
        type=kind,
        section=section,
        url=url,
        schedule=parse_schedule(entry.get("schedule"), f"{where}: key 'schedule'"),
        enabled=enabled,
        title=_string(entry, "title", where),
    )


def _string(entry: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise SourcesError(f"{where}: key {key!r} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise SourcesError(f"{where}: key {key!r} must be a non-empty string")
    return value.strip()


def parse_schedule(value: Any, where: str) -> SourceSchedule | None:
    """A schedule table ({ minutes = N } or { cron = \"…\" }) validated like the service does."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SourcesError(f"{where}: write it as {{ minutes = 30 }} or {{ cron = \"0 * * * *\" }}")
    try:
        spec = SourceSchedule(**value)
    except (ValidationError, TypeError) as exc:
        problems = "; ".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
        raise SourcesError(f"{where}: {problems}") from None
    if spec.cron is not None:
        from scheduler.schedule import cron_trigger  # the schedule's own rules for cron lines

        try:
            cron_trigger(spec.cron)
        except ValueError as exc:
            raise SourcesError(f"{where}: {exc}") from None
    return spec


def check_url(url: str, where: str) -> str:
    refusal = scheme_refusal(url)  # the crawler's own outbound policy: http(s), a usable host
    if refusal is not None:
        why = "is not an http(s) URL" if refusal.kind == BLOCKED_SCHEME else f"is unusable: {refusal.reason}"
        raise SourcesError(f"{where}: {url!r} {why}")
    return url


def _kinds() -> str:
    return ", ".join(sorted(SOURCE_KINDS))


# --- what the rest of briefing asks ----------------------------------------------------------


def scheduled_sources(settings: Settings) -> dict[str, SourceSchedule]:
    """Enabled sources and their schedules, for the service (the default interval when unset)."""
    default = SourceSchedule(minutes=settings.schedule_minutes)
    return {s.name: s.schedule or default for s in load_sources(settings.sources_file).enabled}


def find_feed(settings: Settings, name: str) -> SourceConfig:
    """The feed `feed:<name>` of the sources file; ValueError lists the configured feeds."""
    loaded = load_sources(settings.sources_file)
    found = loaded.get(f"{FEED}:{name}")
    if found is not None:
        return found
    feeds = [s.section for s in loaded.sources if s.type == FEED]
    where = settings.sources_file if loaded.exists else f"{settings.sources_file} (no such file)"
    listed = f"feeds in {where}: {', '.join(feeds)}" if feeds else f"no feeds are configured in {where}"
    raise ValueError(f"unknown feed {name!r}; {listed} (add one with `briefing sources add`)")


# --- editing the file ------------------------------------------------------------------------


def add_source(path: Path, source: SourceConfig) -> SourceConfig:
    """Append `source` to the file (created with the built-in default first when missing)."""
    loaded = load_sources(path)
    if loaded.get(source.name) is not None:
        raise SourcesError(f"{path}: a source named {source.name} already exists")
    text = _current_text(path)
    _write(path, text + "\n" + render_source(source))
    return source


def set_enabled(path: Path, name: str, enabled: bool) -> SourceConfig:
    """Turn one source on or off, editing only its `enabled` line."""
    if load_sources(path).get(name) is None:
        known = ", ".join(s.name for s in load_sources(path).sources)
        raise SourcesError(f"{path}: no source named {name!r}; known: {known}")
    lines = _current_text(path).splitlines(keepends=True)
    start, end = _block_of(lines, name, path)
    value = "true" if enabled else "false"
    for i in range(start, end):
        match = _ENABLED_LINE.match(lines[i].rstrip("\r\n"))
        if match:
            lines[i] = f"{match.group(1)}enabled = {value}{match.group(2) or ''}\n"
            break
    else:
        at = next(i for i in range(start, end) if _NAME_LINE.match(lines[i]))
        lines.insert(at + 1, f"enabled = {value}\n")
    _write(path, "".join(lines))
    changed = load_sources(path).get(name)
    assert changed is not None and changed.enabled is enabled
    return changed


def import_opml(path: Path, opml: bytes, *, enabled: bool = True, schedule: SourceSchedule | None = None,
                origin: str = "OPML") -> ImportResult:
    """Add every feed (`outline` with an `xmlUrl`, at any depth) of an OPML document.

    Feeds whose URL is already configured, or appears twice, are skipped; names come from the
    feed URL (`https://www.korea.kr/rss/dept_mofa.xml` -> `feed:dept-mofa`).
    """
    loaded = load_sources(path)
    taken = {s.name for s in loaded.sources}
    urls = {s.url for s in loaded.sources if s.url}
    result = ImportResult()
    for title, url in opml_feeds(opml, origin=origin):
        if url in urls:
            result.skipped.append((url, "already configured"))
            continue
        try:
            check_url(url, "xmlUrl")
        except SourcesError as exc:
            result.skipped.append((url or title, str(exc)))
            continue
        name = f"{FEED}:{feed_slug(url, taken)}"
        taken.add(name)
        urls.add(url)
        result.added.append(SourceConfig(name, FEED, name.partition(":")[2], url=url, schedule=schedule,
                                         enabled=enabled, title=title or None))
    if result.added:
        text = _current_text(path)
        _write(path, text + "".join("\n" + render_source(s) for s in result.added))
    return result


def opml_feeds(opml: bytes, *, origin: str = "OPML") -> list[tuple[str, str]]:
    """(title, xmlUrl) of every feed outline, in document order; entity tricks are refused."""
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    try:
        root = SafeET.fromstring(opml)
    except DefusedXmlException as exc:
        raise SourcesError(f"{origin}: refused: {type(exc).__name__} (entity and DTD declarations are "
                           "not allowed in OPML)") from exc
    except SafeET.ParseError as exc:
        raise SourcesError(f"{origin}: not valid OPML (XML error: {exc})") from exc
    if root.tag.lower() != "opml":
        raise SourcesError(f"{origin}: not an OPML document (root element <{root.tag}>)")
    found = []
    for outline in root.iter("outline"):
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if url:
            found.append(((attrs.get("title") or attrs.get("text") or "").strip(), url))
    return found


def feed_slug(url: str, taken: set[str]) -> str:
    """A short feed name from its URL, unique among `taken` (full names, `feed:` included)."""
    parts = urlsplit(url)
    stem = Path(parts.path).stem if parts.path.strip("/") else ""
    slug = _slugify(stem)
    host = _slugify(parts.hostname.removeprefix("www.") if parts.hostname else "feed")
    if not slug or slug in ("feed", "rss", "atom", "index", "feeds", "xml", "rss2", "default"):
        slug = host  # "https://example.com/feed" -> "example-com"
    candidate, n = slug, 2
    while f"{FEED}:{candidate}" in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate[:80]


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_source(source: SourceConfig) -> str:
    """One `[[source]]` block, keys in a fixed order."""
    lines = ["[[source]]", f"name = {_toml_string(source.name)}", f"type = {_toml_string(source.type)}"]
    if source.type == FEED:
        lines.append(f"url = {_toml_string(source.url or '')}")
    else:
        lines.append(f"section = {_toml_string(source.section)}")
    if source.title:
        lines.append(f"title = {_toml_string(source.title)}")
    if source.schedule is not None:
        lines.append(f"schedule = {_toml_schedule(source.schedule)}")
    lines.append(f"enabled = {'true' if source.enabled else 'false'}")
    return "\n".join(lines) + "\n"


def _toml_schedule(spec: SourceSchedule) -> str:
    items = []
    for key in ("minutes", "cron", "jitter_seconds", "window_days"):
        value = getattr(spec, key)
        if value is None:
            continue
        if isinstance(value, str):
            items.append(f"{key} = {_toml_string(value)}")
        else:
            items.append(f"{key} = {int(value) if float(value).is_integer() else value}")
    return "{ " + ", ".join(items) + " }"


def _toml_string(value: str) -> str:
    # JSON's escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _current_text(path: Path) -> str:
    """The file's text, or a new file holding the built-in default (so nothing changes by creating it)."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        return text if not text or text.endswith("\n") else text + "\n"
    return HEADER + "\n" + "".join(render_source(s) for s in default_sources())


def _block_of(lines: list[str], name: str, path: Path) -> tuple[int, int]:
    starts = [i for i, line in enumerate(lines) if _BLOCK_START.match(line.rstrip("\r\n"))]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        block = parse_sources("".join(lines[start:end]), origin=str(path))
        if block and block[0].name == name:
            return start, end
    raise SourcesError(f"{path}: cannot find the [[source]] block of {name} to edit it")


def _write(path: Path, text: str) -> None:
    parse_sources(text, origin=str(path))  # never leave an invalid file behind
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)  # mkstemp makes 0600; keep the file's own mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
