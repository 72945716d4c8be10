"""Text out of HWP 5 binary documents (한글 .hwp), under the limits of crawler.documents.

An HWP 5 file is an OLE2 compound file (read with olefile). Its `FileHeader` stream says whether
the body is compressed (bit 0 of the properties), password-protected (bit 1) or a distribution
document whose text is encrypted (bit 2). The text is in `BodyText/Section0`, `Section1`, …: a
sequence of records, raw deflate when compressed. Each record has a 32-bit header (tag: 10 bits,
level: 10 bits, size: 12 bits, 0xFFF meaning "the size follows in 4 bytes"). Every paragraph, a
table cell's too, carries its characters in one HWPTAG_PARA_TEXT record (tag 67), UTF-16LE with
control characters inline; in the stream a paragraph holding a table comes first, then the cells'
paragraphs, so reading the records in order is reading the document in order.

Pure functions over bytes; every failure is a `DocumentError` (`corrupt_hwp`, `encrypted_hwp`,
`decompression_bomb`, `too_large`, `too_slow`, `no_text`).
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterator

from crawler.documents.limits import (
    DEFAULT_LIMITS,
    Deadline,
    DecompressionBomb,
    DocumentError,
    DocumentLimits,
    NoText,
    TooLarge,
    check_input,
    clean_paragraphs,
    size_text,
)

SIGNATURE = b"HWP Document File"
FLAG_COMPRESSED = 0x1
FLAG_PASSWORD = 0x2
FLAG_DISTRIBUTION = 0x4  # 배포용 문서: the body is in ViewText/, encrypted
HWPTAG_PARA_TEXT = 67
MAX_SECTIONS = 1_000  # a real document has a handful
_SECTION = re.compile(r"^section(\d+)$", re.IGNORECASE)

# Control characters inside PARA_TEXT. "Char" controls take one UTF-16 unit; "inline" and
# "extended" controls take eight (the code, six units of parameters or a pointer, the code again).
_INLINE_OR_EXTENDED = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23})
_AS_SPACE = frozenset({9, 10, 30, 31})  # tab, line break, non-breaking and fixed-width space
_HYPHEN = 24
_PARAGRAPH_END = 13


class CorruptHwp(DocumentError):
    kind = "corrupt_hwp"


class EncryptedHwp(DocumentError):
    kind = "encrypted_hwp"


def para_text(raw: bytes) -> str:
    """The characters of one PARA_TEXT record, control characters dropped or read as spaces."""
    units = struct.unpack(f"<{len(raw) // 2}H", raw[: len(raw) // 2 * 2])
    out: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        if unit >= 32:
            # Surrogate pairs come out whole: the units are joined and decoded at the end.
            out.append(chr(unit))
            i += 1
            continue
        if unit in _AS_SPACE:
            out.append(" ")
        elif unit == _HYPHEN:
            out.append("-")
        elif unit == _PARAGRAPH_END:
            break
        i += 8 if unit in _INLINE_OR_EXTENDED else 1
    text = "".join(out)
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def records(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(tag, level, payload) of each record in a decompressed section stream."""
    position = 0
    while position < len(data):
        if position + 4 > len(data):
            raise CorruptHwp(f"a record header is cut short at byte {position:,}")
        (header,) = struct.unpack_from("<I", data, position)
        tag, level, size = header & 0x3FF, (header >> 10) & 0x3FF, header >> 20
        position += 4
        if size == 0xFFF:
            if position + 4 > len(data):
                raise CorruptHwp(f"a record size is cut short at byte {position:,}")
            (size,) = struct.unpack_from("<I", data, position)
            position += 4
        if position + size > len(data):
            raise CorruptHwp(f"a record of {size:,} bytes runs past the end of its section")
        yield tag, level, data[position : position + size]
        position += size


def _inflate(name: str, compressed: bytes, budget: int, limits: DocumentLimits, already: int) -> bytes:
    """A raw-deflate section, inflated step by step: DecompressionBomb past its budget or ratio."""
    inflater = zlib.decompressobj(-15)
    parts: list[bytes] = []
    out = 0
    pending = compressed
    try:
        while pending or not inflater.eof:
            piece = inflater.decompress(pending, limits.chunk_bytes)
            pending = inflater.unconsumed_tail
            out += len(piece)
            if out > budget:
                raise DecompressionBomb(
                    f"{name} expands past its {size_text(budget)} budget (stopped after {size_text(out)})",
                    bytes_read=already + out,
                )
            ratio = out / max(len(compressed), 1)
            if out > limits.ratio_floor and ratio > limits.max_ratio:
                raise DecompressionBomb(
                    f"{name} expands {ratio:,.0f}x, more than {limits.max_ratio:g}x",
                    bytes_read=already + out,
                )
            parts.append(piece)
            if not piece and not pending:
                break  # the stream ended without its final block: keep what came out
    except zlib.error as exc:
        raise CorruptHwp(f"{name} is not a deflate stream: {exc}", bytes_read=already + out) from None
    return b"".join(parts)


def _open(data: bytes) -> object:
    import olefile  # only crawls that meet an HWP attachment pay for the import

    if not olefile.isOleFile(data=data):
        raise CorruptHwp("not an OLE2 compound file: not an HWP 5 document")
    # olefile raises many kinds of exceptions on malformed containers; all mean the same here.
    try:
        return olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:
        raise CorruptHwp(f"unreadable OLE2 container: {type(exc).__name__}: {exc}") from None


def _stream(ole: object, path: str) -> bytes:
    try:
        return ole.openstream(path).read()  # type: ignore[attr-defined, no-any-return]
    except Exception as exc:
        raise CorruptHwp(f"unreadable stream {path}: {type(exc).__name__}: {exc}") from None


def _flags(ole: object) -> int:
    if not ole.exists("FileHeader"):  # type: ignore[attr-defined]
        raise CorruptHwp("no FileHeader stream: not an HWP document")
    header = _stream(ole, "FileHeader")
    if not header.startswith(SIGNATURE) or len(header) < 40:
        raise CorruptHwp("the FileHeader has no HWP signature")
    (flags,) = struct.unpack_from("<I", header, 36)
    if flags & FLAG_PASSWORD:
        raise EncryptedHwp("the HWP document is protected with a password")
    if flags & FLAG_DISTRIBUTION:
        raise EncryptedHwp("a distribution document (배포용): its text is encrypted")
    return flags


def _sections(ole: object) -> list[str]:
    found = []
    for path in ole.listdir():  # type: ignore[attr-defined]
        if len(path) == 2 and path[0].lower() == "bodytext" and (m := _SECTION.match(path[1])):
            found.append((int(m.group(1)), "/".join(path)))
    if not found:
        raise CorruptHwp("no BodyText/Section* stream")
    if len(found) > MAX_SECTIONS:
        raise CorruptHwp(f"{len(found):,} sections, more than {MAX_SECTIONS:,}")
    return [path for _, path in sorted(found)]


def hwp_paragraphs(data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> list[str]:
    """The paragraphs of an HWP 5 document (table cells included) in reading order, without noise."""
    check_input(data, limits)
    deadline = Deadline(limits)
    ole = _open(data)
    try:
        compressed = bool(_flags(ole) & FLAG_COMPRESSED)
        texts: list[str] = []
        read = chars = 0
        for path in _sections(ole):
            deadline.check(read)
            raw = _stream(ole, path)
            budget = min(limits.max_section_bytes, limits.max_total_bytes - read)
            if compressed:
                section = _inflate(path, raw, budget, limits, read)
            elif len(raw) > budget:
                raise TooLarge(
                    f"{path} holds {size_text(len(raw))}, more than its {size_text(budget)} budget"
                )
            else:
                section = raw
            read += len(section)
            for count, (tag, _level, payload) in enumerate(records(section)):
                if count % 4096 == 0:
                    deadline.check(read)
                if tag != HWPTAG_PARA_TEXT:
                    continue
                text = para_text(payload)
                chars += len(text)
                if chars > limits.max_chars:
                    raise TooLarge(f"more than {limits.max_chars:,} characters of text", bytes_read=read)
                texts.append(text)
    finally:
        ole.close()  # type: ignore[attr-defined]
    paragraphs = clean_paragraphs(texts)
    if not paragraphs:
        raise NoText("the HWP document has no text", bytes_read=read)
    return paragraphs
