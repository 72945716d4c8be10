"""Text out of press-release attachments (HWPX, HWP, PDF), under hard limits against bombs and huge files.

Pure functions over bytes: no I/O, no settings. Every failure is a `DocumentError` whose `kind`
names it (`too_large`, `too_slow`, `too_many_entries`, `zip_bomb`, `decompression_bomb`,
`corrupt_hwpx`, `corrupt_hwp`, `encrypted_hwp`, `corrupt_pdf`, `encrypted_pdf`, `too_many_pages`,
`not_a_document`, `no_text`), so the crawler can record it as it is. HWP 5 binaries are read by
crawler.hwp, under the same limits.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    max_input_bytes: int = 20 * MiB  # the downloaded file itself
    max_entries: int = 2_000  # ZIP members (a real HWPX has a few dozen)
    max_section_bytes: int = 16 * MiB  # one Contents/section*.xml, uncompressed
    max_total_bytes: int = 32 * MiB  # every section together, uncompressed
    # Declared uncompressed / compressed size; XML compresses ~10-30x, bombs ~1000x. Only checked
    # for members above ratio_floor: tiny members legitimately reach high ratios.
    max_ratio: float = 200.0
    ratio_floor: int = 1 * MiB
    max_pages: int = 300  # PDF pages
    max_chars: int = 2_000_000  # extracted text
    # Wall-clock budget for one document's extraction, checked between pages, members and
    # records: a pathological file fails with `too_slow` instead of holding a crawl thread.
    max_seconds: float = 60.0
    chunk_bytes: int = 64 * 1024  # decompression step; at most this much past a budget is read


DEFAULT_LIMITS = DocumentLimits()


class DocumentError(Exception):
    """An attachment that yields no text; `bytes_read` is what was decompressed before giving up."""

    kind = "document_error"

    def __init__(self, message: str, *, bytes_read: int = 0) -> None:
        super().__init__(message)
        self.bytes_read = bytes_read


class TooLarge(DocumentError):
    kind = "too_large"


class TooSlow(DocumentError):
    kind = "too_slow"


class DecompressionBomb(DocumentError):
    """A compressed stream (an HWP section) that expands far beyond its size or budget."""

    kind = "decompression_bomb"


class NotADocument(DocumentError):
    """An HTML page where a file was expected (e.g. a docViewer.do page saved under the file's name)."""

    kind = "not_a_document"


class TooManyEntries(DocumentError):
    kind = "too_many_entries"


class ZipBomb(DocumentError):
    kind = "zip_bomb"


class CorruptHwpx(DocumentError):
    kind = "corrupt_hwpx"


class CorruptPdf(DocumentError):
    kind = "corrupt_pdf"


class EncryptedPdf(DocumentError):
    kind = "encrypted_pdf"


class TooManyPages(DocumentError):
    kind = "too_many_pages"


class NoText(DocumentError):
    kind = "no_text"


# Image placeholders Hangul writes into the text flow, and PDF page numbers ("- 3 -").
NOISE = (
    re.compile(r"^그림입니다\.?$"),
    re.compile(r"^원본\s*그림의\s*(?:이름|크기)\s*[:：]"),
    re.compile(r"^-\s*\d+\s*-$"),
)
_SPACE = re.compile(r"[\s\u00a0\u200b\u3000\ufeff]+")
_SECTION = re.compile(r"^Contents/section(\d+)\.xml$", re.IGNORECASE)


def clean_paragraphs(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        text = _SPACE.sub(" ", line).strip()
        if text and not any(p.search(text) for p in NOISE):
            out.append(text)
    return out


def size_text(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n:,} bytes"


_HTML_START = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<meta|<!--)", re.IGNORECASE)


def check_input(data: bytes, limits: DocumentLimits) -> None:
    if len(data) > limits.max_input_bytes:
        raise TooLarge(
            f"file is {size_text(len(data))}, more than the {size_text(limits.max_input_bytes)} limit"
        )
    # korea.kr's 바로보기 link is an HTML viewer page, never the file it names (spec §13.2).
    if _HTML_START.match(data[:512].lstrip(b"\xef\xbb\xbf")):
        raise NotADocument("the response is an HTML page, not a document file")


class Deadline:
    """The extraction's wall-clock budget (`DocumentLimits.max_seconds`)."""

    def __init__(self, limits: DocumentLimits) -> None:
        self.seconds = limits.max_seconds
        self.ends = time.monotonic() + limits.max_seconds

    def check(self, bytes_read: int = 0) -> None:
        if time.monotonic() > self.ends:
            raise TooSlow(f"extraction took more than {self.seconds:g} s", bytes_read=bytes_read)


# --- HWPX: a ZIP whose Contents/section*.xml hold hp:p > hp:run > hp:t --------------------------


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


def pdf_paragraphs(data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> list[str]:
    """The text lines of a PDF, in page order, without page numbers.

    pypdf caps every decompressed stream itself (75 MB per stream in pypdf 7), so a PDF bomb
    stops there; this function adds the file-size, page and text limits.
    """
    from pypdf import PdfReader  # heavy; only crawls that reach a PDF pay for it

    check_input(data, limits)
    if not data.lstrip()[:5] == b"%PDF-":
        raise CorruptPdf("no %PDF- header: not a PDF file")
    # pypdf raises many exception types on malformed input (its own, but also ValueError,
    # KeyError, TypeError, RecursionError ...); whatever it raises, the file is unreadable.
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedPdf("the PDF is encrypted with a password")
        count = len(reader.pages)
    except DocumentError:
        raise
    except Exception as exc:
        raise CorruptPdf(f"unreadable PDF: {type(exc).__name__}: {exc}") from None
    if count == 0:
        raise CorruptPdf("the PDF has no pages")
    if count > limits.max_pages:
        raise TooManyPages(f"{count:,} pages, more than {limits.max_pages:,}")
    lines: list[str] = []
    chars = 0
    deadline = Deadline(limits)
    for number in range(count):
        deadline.check()
        try:
            text = reader.pages[number].extract_text() or ""
        except Exception as exc:
            raise CorruptPdf(f"page {number + 1}: {type(exc).__name__}: {exc}") from None
        chars += len(text)
        if chars > limits.max_chars:
            raise TooLarge(f"more than {limits.max_chars:,} characters of text")
        lines.extend(text.splitlines())
    paragraphs = clean_paragraphs(lines)
    if not paragraphs:
        raise NoText("the PDF has no extractable text (scanned images?)")
    return paragraphs


def _hwp_paragraphs(data: bytes, limits: DocumentLimits) -> list[str]:
    # crawler.hwp builds on this module's limits and errors, so it is imported when first needed.
    from crawler.hwp import hwp_paragraphs

    return hwp_paragraphs(data, limits)


EXTRACTORS = {"hwpx": hwpx_paragraphs, "hwp": _hwp_paragraphs, "pdf": pdf_paragraphs}


def document_paragraphs(kind: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> list[str]:
    """Paragraphs of an attachment of `kind` ("hwpx", "hwp" or "pdf")."""
    try:
        extract = EXTRACTORS[kind]
    except KeyError:
        raise ValueError(f"no extractor for {kind!r}; known: {sorted(EXTRACTORS)}") from None
    return extract(data, limits)
