"""Limits, named errors and shared helpers of attachment text extraction (HWPX, HWP, PDF).

Every failure is a `DocumentError` whose `kind` names it (`too_large`, `too_slow`, `too_many_entries`,
`zip_bomb`, `decompression_bomb`, `corrupt_hwpx`, `corrupt_hwp`, `encrypted_hwp`, `corrupt_pdf`,
`encrypted_pdf`, `too_many_pages`, `not_a_document`, `no_text`), so the crawler records it as it is.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

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

