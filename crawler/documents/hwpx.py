"""HWPX (the zipped-XML Hangul format): paragraphs of Contents/section*.xml in order, under the limits."""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from lxml import etree

from crawler.documents.limits import (
    DEFAULT_LIMITS,
    CorruptHwpx,
    Deadline,
    DocumentLimits,
    NoText,
    TooManyEntries,
    ZipBomb,
    check_input,
    clean_paragraphs,
    size_text,
)

_SECTION = re.compile(r"^Contents/section(\d+)\.xml$", re.IGNORECASE)


def _sections(archive: zipfile.ZipFile, limits: DocumentLimits) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > limits.max_entries:
        raise TooManyEntries(f"{len(members):,} ZIP entries, more than {limits.max_entries:,}")
    sections = [(int(m.group(1)), info) for info in members if (m := _SECTION.match(info.filename))]
    if not sections:
        raise CorruptHwpx("no Contents/section*.xml in the archive: not an HWPX document")
    declared = 0
    for _, info in sections:
        # Declared sizes are checked first (nothing decompressed yet) but never trusted alone:
        # the streaming read below enforces the same budgets on the bytes that really come out.
        if info.file_size > limits.max_section_bytes:
            raise ZipBomb(
                f"{info.filename} declares {size_text(info.file_size)} uncompressed, "
                f"more than the {size_text(limits.max_section_bytes)} limit"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise ZipBomb(f"{info.filename} expands {ratio:,.0f}x, more than {limits.max_ratio:g}x")
        declared += info.file_size
    if declared > limits.max_total_bytes:
        raise ZipBomb(
            f"sections declare {size_text(declared)} together, more than {size_text(limits.max_total_bytes)}"
        )
    return [info for _, info in sorted(sections, key=lambda pair: pair[0])]


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, chunk: int, already: int
) -> bytes:
    """The member's bytes, read chunk by chunk; ZipBomb as soon as more than `budget` came out."""
    parts: list[bytes] = []
    read = 0
    try:
        with archive.open(info) as stream:
            while piece := stream.read(chunk):
                read += len(piece)
                if read > budget:
                    raise ZipBomb(
                        f"{info.filename} expands past its {size_text(budget)} budget "
                        f"(stopped after {size_text(read)})",
                        bytes_read=already + read,
                    )
                parts.append(piece)
    # Bad CRC (a header that lied about the size), truncated data, unsupported compression,
    # an encrypted member.
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
        OSError,
    ) as exc:
        raise CorruptHwpx(f"{info.filename}: {exc}", bytes_read=already + read) from None
    return b"".join(parts)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _run_text(t: etree._Element) -> str:
    # hp:t holds text with inline controls (hp:tab, hp:lineBreak, ...) whose tails continue it.
    parts = [t.text or ""]
    for child in t:
        if _local(child.tag) in ("tab", "lineBreak", "nbSpace", "fwSpace"):
            parts.append(" ")
        parts.append(child.tail or "")
    return "".join(parts)


def _paragraph_texts(xml: bytes) -> list[str]:
    # No DTDs, no entities, no network: section XML comes from whoever made the file.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(xml, parser=parser)
    texts = []
    for p in root.iter():
        if _local(p.tag) != "p":
            continue
        # Only this paragraph's own runs: paragraphs nested in table cells come by themselves.
        runs = [r for r in p if _local(r.tag) == "run"]
        texts.append("".join(_run_text(t) for r in runs for t in r if _local(t.tag) == "t"))
    return texts


def hwpx_paragraphs(data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> list[str]:
    """The paragraphs of an HWPX document, in order, without image placeholders."""
    check_input(data, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise CorruptHwpx(f"not a readable ZIP archive: {exc}") from None
    texts: list[str] = []
    read = 0
    deadline = Deadline(limits)
    with archive:
        for info in _sections(archive, limits):
            deadline.check(read)
            budget = min(limits.max_section_bytes, limits.max_total_bytes - read)
            xml = _read_member(archive, info, budget, limits.chunk_bytes, read)
            read += len(xml)
            try:
                texts.extend(_paragraph_texts(xml))
            except etree.XMLSyntaxError as exc:
                raise CorruptHwpx(f"{info.filename} is not well-formed XML: {exc}", bytes_read=read) from None
    paragraphs = clean_paragraphs(texts)
    if not paragraphs:
        raise NoText("the HWPX document has no text", bytes_read=read)
    return paragraphs


# --- PDF -------------------------------------------------------------------------------------------

