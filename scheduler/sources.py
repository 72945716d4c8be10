"""sources.toml: the sources briefing knows, with type, options, schedule and enabled flag.

Loading validates everything (a pydantic model per `[[source]]` table, then the rules between
keys) and names the file, the entry and the key in every error, the line for a syntax error.
Edits (`add_source`, `set_enabled`, `import_opml`) go through tomlkit, so the user's comments
and layout stay, and re-validate the result before it replaces the file atomically.
Without a file, the one source is korea_kr:policy every BRIEFING_SCHEDULE_MINUTES.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import tomlkit
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from tomlkit.exceptions import ParseError
from tomlkit.items import AoT, Array, InlineTable, Table
from tomlkit.toml_document import TOMLDocument

from crawler.atomic import write_atomic
from crawler.outbound import BLOCKED_SCHEME, scheme_refusal
from crawler.registry import SOURCE_KINDS
from scheduler.cron import cron_trigger
from scheduler.settings import Settings, SourceSchedule

FEED = "feed"
DEFAULT_SOURCE = "korea_kr:policy"
FEED_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
HEADER = (
    "# Sources briefing crawls (BRIEFING_SOURCES_FILE). Each [[source]] has a name (the crawl\n"
    "# target: korea_kr:<section> or feed:<name>), a type, the section or feed URL, an optional\n"
    "# schedule ({ minutes = N } or { cron = \"m h dom mon dow\" }, Asia/Seoul) and enabled.\n"
)
SCHEDULE_FORM = 'write it as { minutes = 30 } or { cron = "0 * * * *" }'

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class SourcesError(ValueError):
    """The sources file (or an edit of it) is not valid; the message names file, entry and key."""


class SourceEntry(BaseModel):
    """One `[[source]]` table as written; short forms (`name = "feed:x"` without a type) allowed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text
    type: Text | None = None
    section: Text | None = None
    url: Text | None = None
    title: Text | None = None
    schedule: SourceSchedule | None = None
    enabled: bool = True


KEYS = tuple(SourceEntry.model_fields)


class SourcesDocument(BaseModel):
    """The whole file: `[[source]]` tables and nothing else (entries are checked one by one)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    source: list[dict[str, Any]] = []


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
    return SourcesFile(path, True, tuple(parse_sources(_read(path), origin=str(path))))


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read the sources file: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SourcesError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def parse_sources(text: str, *, origin: str = "sources.toml") -> list[SourceConfig]:
    entries = _entries(_parse(text, origin), origin)
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


def _parse(text: str, origin: str) -> TOMLDocument:
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        # tomlkit's message ends with "at line L col C"; say it the way the rest of the messages do.
        reason = re.sub(r"\s+at line \d+ col \d+$", "", str(exc))
        raise SourcesError(f"{origin}: line {exc.line}, column {exc.col}: not valid TOML: {reason}") from None


def _entries(doc: TOMLDocument, origin: str) -> list[dict[str, Any]]:
    try:
        return SourcesDocument.model_validate(doc.unwrap()).source
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "extra_forbidden":
            raise SourcesError(
                f"{origin}: unknown top-level key {error['loc'][0]!r}; sources are [[source]] tables"
            ) from None
        raise SourcesError(
            f"{origin}: `source` must be an array of tables: write each as [[source]]"
        ) from None


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
    label = entry.get("name") if isinstance(entry.get("name"), str) else None
    try:
        model = SourceEntry.model_validate(entry)
    except ValidationError as exc:
        raise SourcesError(f"{where}{f' ({label})' if label else ''}: {_problem(exc)}") from None
    return _resolved(model, where)


def _problem(exc: ValidationError) -> str:
    """The first problem of a [[source]] table, said in the file's words."""
    error = exc.errors()[0]
    loc = error["loc"]
    key = str(loc[0]) if loc else "?"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {key!r}; known keys: {', '.join(KEYS)}"
    if kind == "missing" and len(loc) == 1:
        return f"key {key!r} is missing"
    if key == "enabled":
        return "key 'enabled' must be true or false"
    if key == "schedule":
        if kind == "model_type":
            return f"key 'schedule': {SCHEDULE_FORM}"
        return f"key 'schedule': {_message(error['msg'])}"
    return f"key {key!r} must be a non-empty string"


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _resolved(entry: SourceEntry, where: str) -> SourceConfig:
    """The rules between keys: the kind from the name or `type`, the section, the feed's URL."""
    raw_name = entry.name
    prefix, colon, rest = raw_name.partition(":")
    # The type may be left to the name: "feed:x", "korea_kr:press", or a bare kind "korea_kr".
    bare_kind = raw_name if raw_name in SOURCE_KINDS and raw_name != FEED else None
    kind = entry.type or (prefix if colon else bare_kind)
    if kind is None:
        raise SourcesError(f"{where} ({raw_name}): key 'type' is missing (one of {_kinds()})")
    where = f"{where} ({raw_name})"
    if kind not in SOURCE_KINDS:
        raise SourcesError(f"{where}: key 'type': unknown type {kind!r}; known types: {_kinds()}")
    if colon and prefix != kind:
        raise SourcesError(f"{where}: key 'name': a {kind} source is named {kind}:<…>, not {raw_name!r}")
    short = rest if colon else ("" if raw_name == kind and kind != FEED else raw_name)
    section, url = entry.section, entry.url
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
    if entry.schedule is not None:
        _check_cron(entry.schedule, f"{where}: key 'schedule'")
    return SourceConfig(
        name=f"{kind}:{section}",
        type=kind,
        section=section,
        url=url,
        schedule=entry.schedule,
        enabled=entry.enabled,
        title=entry.title,
    )


def parse_schedule(value: Any, where: str) -> SourceSchedule | None:
    """A schedule table ({ minutes = N } or { cron = \"…\" }) validated like the service does."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SourcesError(f"{where}: {SCHEDULE_FORM}")
    try:
        spec = SourceSchedule(**value)
    except ValidationError as exc:
        raise SourcesError(f"{where}: {'; '.join(_message(e['msg']) for e in exc.errors())}") from None
    _check_cron(spec, where)
    return spec


def _check_cron(spec: SourceSchedule, where: str) -> None:
    if spec.cron is not None:
        try:
            cron_trigger(spec.cron)
        except ValueError as exc:
            raise SourcesError(f"{where}: {exc}") from None


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
    doc = _document(path)
    _append(doc, [source])
    _write(path, doc)
    return source


def set_enabled(path: Path, name: str, enabled: bool) -> SourceConfig:
    """Turn one source on or off, changing only its `enabled` value (comments stay)."""
    loaded = load_sources(path)
    if loaded.get(name) is None:
        known = ", ".join(s.name for s in loaded.sources)
        raise SourcesError(f"{path}: no source named {name!r}; known: {known}")
    doc = _document(path)
    for index, table in enumerate(_tables(doc), 1):
        if _source(table.unwrap(), f"{path}: [[source]] #{index}").name == name:
            table["enabled"] = enabled
            break
    _write(path, doc)
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
        doc = _document(path)
        _append(doc, result.added)
        _write(path, doc)
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
    doc = tomlkit.document()
    _append(doc, [source])
    return tomlkit.dumps(doc)


def _table(source: SourceConfig) -> Table:
    table = tomlkit.table()
    table["name"] = source.name
    table["type"] = source.type
    if source.type == FEED:
        table["url"] = source.url or ""
    else:
        table["section"] = source.section
    if source.title:
        table["title"] = source.title
    if source.schedule is not None:
        schedule = tomlkit.inline_table()
        for key, value in source.schedule.model_dump(exclude_none=True).items():
            schedule[key] = int(value) if isinstance(value, float) and value.is_integer() else value
        table["schedule"] = schedule
    table["enabled"] = source.enabled
    return table


def _document(path: Path) -> TOMLDocument:
    """The file as tomlkit holds it, or a new file holding the built-in default (so creating it
    changes nothing)."""
    if path.exists():
        return _parse(_read(path), str(path))
    doc = tomlkit.parse(HEADER + "\n")
    _append(doc, default_sources())
    return doc


def _tables(doc: TOMLDocument) -> list[Table | InlineTable]:
    found = doc.get("source")
    return list(found) if isinstance(found, AoT | Array) else []


def _append(doc: TOMLDocument, sources: list[SourceConfig] | tuple[SourceConfig, ...]) -> None:
    found = doc.get("source")
    if isinstance(found, Array):  # written as `source = [{ name = … }, …]`: stay in that style
        for source in sources:
            inline = tomlkit.inline_table()
            inline.update(_table(source).unwrap())
            found.append(inline)
        return
    if not isinstance(found, AoT):
        found = tomlkit.aot()
        doc.append("source", found)
    for source in sources:
        table = _table(source)
        if len(found):
            table.trivia.indent = "\n"  # a blank line between blocks, as people write them
        found.append(table)


def _write(path: Path, doc: TOMLDocument) -> None:
    text = tomlkit.dumps(doc)
    parse_sources(text, origin=str(path))  # never leave an invalid file behind
    write_atomic(path, text.encode("utf-8"))
