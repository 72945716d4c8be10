"""HWP 5 binary documents for the replica and the tests, built from scratch (olefile only reads).

`compound_file` writes a minimal but valid OLE2 compound file (CFB version 3: 512-byte sectors,
64-byte mini sectors for streams under 4096 bytes); `build_hwp` puts an HWP 5 document in it:
FileHeader, DocInfo and BodyText/Section* streams of records, raw-deflated when `compressed`.
Same arguments, same bytes.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF

# Record tags (HWPTAG_BEGIN = 16).
PARA_HEADER, PARA_TEXT, PARA_CHAR_SHAPE, CTRL_HEADER, LIST_HEADER, TABLE = 66, 67, 68, 71, 72, 77
DOCUMENT_PROPERTIES = 16


# --- OLE2 compound file ---------------------------------------------------------------------------


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    index: int = 0
    start: int = ENDOFCHAIN
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM


def _sort_key(entry: _Entry) -> tuple[int, str]:
    return len(entry.name), entry.name.upper()  # the order CFB directories are searched in


def _tree(streams: dict[str, bytes]) -> list[_Entry]:
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *storages, name = path.split("/")
        for part in storages:
            found = next((c for c in node.children if c.name == part and c.kind == 1), None)
            if found is None:
                found = _Entry(part, 1)
                node.children.append(found)
            node = found
        node.children.append(_Entry(name, 2, data))
    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        entry.index = len(entries)
        entries.append(entry)
        for c in entry.children:
            number(c)

    number(root)
    for entry in entries:
        # Siblings as a chain of right links in sorted order: a valid (if unbalanced) search tree.
        ordered = sorted(entry.children, key=_sort_key)
        if ordered:
            entry.child = ordered[0].index
        for a, b in zip(ordered, ordered[1:], strict=False):
            a.right = b.index
    return entries


def _chain(fat: list[int], start: int, count: int) -> None:
    for k in range(count):
        fat[start + k] = start + k + 1 if k < count - 1 else ENDOFCHAIN


def _sectors(n: int, size: int) -> int:
    return -(-n // size)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE2 file holding `streams` ({"Storage/Stream": bytes}); at most 109 FAT sectors."""
    entries = _tree(streams)
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for entry in entries:
        if entry.kind != 2:
            continue
        if len(entry.data) < MINI_CUTOFF:
            entry.start = len(mini) // MINI_SECTOR if entry.data else ENDOFCHAIN
            count = _sectors(len(entry.data), MINI_SECTOR)
            minifat.extend(entry.start + k + 1 if k < count - 1 else ENDOFCHAIN for k in range(count))
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")
        else:
            big.append(entry)
    dir_count = _sectors(len(entries) * 128, SECTOR)
    minifat_count = _sectors(len(minifat) * 4, SECTOR)
    mini_count = _sectors(len(mini), SECTOR)
    big_counts = [_sectors(len(e.data), SECTOR) for e in big]
    data_sectors = dir_count + minifat_count + mini_count + sum(big_counts)
    fat_count = 1
    while fat_count * (SECTOR // 4) < data_sectors + fat_count:
        fat_count += 1
    if fat_count > 109:
        raise ValueError("too large for a header-only DIFAT")
    fat = [FREESECT] * (fat_count * (SECTOR // 4))
    at = 0
    dir_start = at
    _chain(fat, at, dir_count)
    at += dir_count
    minifat_start = at if minifat_count else ENDOFCHAIN
    _chain(fat, at, minifat_count)
    at += minifat_count
    mini_start = at if mini_count else ENDOFCHAIN
    _chain(fat, at, mini_count)
    at += mini_count
    for entry, count in zip(big, big_counts, strict=True):
        entry.start = at
        _chain(fat, at, count)
        at += count
    fat_start = at
    for k in range(fat_count):
        fat[fat_start + k] = FATSECT

    root = entries[0]
    root.start = mini_start
    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-16-le") + b"\0\0"
        size = len(mini) if entry.kind == 5 else len(entry.data)
        start = entry.start if entry.kind != 1 else 0
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ", name.ljust(64, b"\0"), len(name), entry.kind, 1, entry.left,
            entry.right, entry.child, bytes(16), 0, 0, 0, start, size,
        )  # fmt: skip
    unused = struct.pack("<64sHBBIII16sIQQIQ", bytes(64), 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM,
                         bytes(16), 0, 0, 0, 0, 0)
    directory += unused * (dir_count * SECTOR // 128 - len(entries))
    difat = [fat_start + k for k in range(fat_count)] + [FREESECT] * (109 - fat_count)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16), 0x3E, 3, 0xFFFE, 9, 6,
        bytes(6), 0, fat_count, dir_start, 0, MINI_CUTOFF, minifat_start, minifat_count, ENDOFCHAIN, 0,
    ) + struct.pack("<109I", *difat)  # fmt: skip
    body = bytearray(header)
    body += directory
    body += b"".join(struct.pack("<I", v) for v in minifat).ljust(minifat_count * SECTOR, b"\xff")
    body += bytes(mini).ljust(mini_count * SECTOR, b"\0")
    for entry, count in zip(big, big_counts, strict=True):
        body += entry.data.ljust(count * SECTOR, b"\0")
    body += b"".join(struct.pack("<I", v) for v in fat)
    return bytes(body)


# --- HWP 5 ----------------------------------------------------------------------------------------


def record(tag: int, level: int, payload: bytes) -> bytes:
    """One record: the 32-bit header (size 0xFFF + 4 more bytes when the payload is that long)."""
    if len(payload) < 0xFFF:
        return struct.pack("<I", tag | level << 10 | len(payload) << 20) + payload
    return struct.pack("<II", tag | level << 10 | 0xFFF << 20, len(payload)) + payload


TAB = "\t"  # written as an inline control of eight units, read back as a space
LINE_BREAK = "\n"  # written as a one-unit char control


def _units(text: str) -> bytes:
    out = bytearray()
    for ch in text:
        if ch == TAB:
            out += struct.pack("<8H", 9, 0, 0, 0, 0, 0, 0, 9)
        elif ch == LINE_BREAK:
            out += struct.pack("<H", 10)
        else:
            out += ch.encode("utf-16-le")
    return bytes(out)


def _control(code: int, ctrl_id: bytes) -> bytes:
    # An extended control: its code, the control id (4 bytes), a pointer (8 bytes), the code.
    return struct.pack("<H", code) + ctrl_id[::-1] + bytes(8) + struct.pack("<H", code)


def paragraph(text: str, level: int = 0, *, controls: bytes = b"") -> bytes:
    units = controls + _units(text) + struct.pack("<H", 13)
    header = struct.pack("<IIHBB", len(units) // 2, 0, 0, 0, 0) + bytes(10)
    return (record(PARA_HEADER, level, header) + record(PARA_TEXT, level + 1, units)
            + record(PARA_CHAR_SHAPE, level + 1, struct.pack("<II", 0, 0)))  # fmt: skip


def table(rows: Sequence[Sequence[str]], level: int = 0) -> bytes:
    """A paragraph anchoring a table (an extended control 11), then its cells row by row."""
    out = bytearray(paragraph("", level, controls=_control(11, b"tbl ")))
    out += record(CTRL_HEADER, level + 1, b"tbl "[::-1] + bytes(40))
    out += record(TABLE, level + 2, struct.pack("<IHH", 0, len(rows), max(map(len, rows), default=0)))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            out += record(LIST_HEADER, level + 2, struct.pack("<hIHHHH", 1, 0, c, r, 1, 1) + bytes(16))
            out += paragraph(text, level + 2)
    return bytes(out)


def file_header(*, compressed: bool, flags: int = 0) -> bytes:
    signature = b"HWP Document File".ljust(32, b"\0")
    version = struct.pack("<I", 0x05010001)  # 5.1.0.1
    return (signature + version + struct.pack("<I", flags | (1 if compressed else 0))).ljust(256, b"\0")


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def build_hwp(
    blocks: Sequence[str | Sequence[Sequence[str]]],
    *,
    compressed: bool = True,
    sections: int = 1,
    flags: int = 0,
) -> bytes:
    """An HWP 5 file: each block a paragraph (str) or a table (rows of cell texts), split evenly
    over `sections` BodyText streams."""
    bodies = [bytearray() for _ in range(sections)]
    size = max(1, -(-len(blocks) // sections))
    for k, block in enumerate(blocks):
        bodies[min(k // size, sections - 1)] += paragraph(block) if isinstance(block, str) else table(block)
    doc_info = record(DOCUMENT_PROPERTIES, 0, struct.pack("<H", sections) + bytes(24))
    streams = {
        "FileHeader": file_header(compressed=compressed, flags=flags),
        "DocInfo": deflate(doc_info) if compressed else doc_info,
    }
    for n, body in enumerate(bodies):
        streams[f"BodyText/Section{n}"] = deflate(bytes(body)) if compressed else bytes(body)
    return compound_file(streams)


def hwp_bomb(mib: int = 512) -> bytes:
    """A compressed HWP whose one section inflates to `mib` MiB of zeros (about 1 KB per MiB)."""
    chunk = bytes(1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = block * mib + compressor.flush(zlib.Z_FINISH)
    return compound_file({
        "FileHeader": file_header(compressed=True),
        "DocInfo": deflate(record(DOCUMENT_PROPERTIES, 0, bytes(26))),
        "BodyText/Section0": stream,
    })  # fmt: skip


def corrupt_hwp() -> bytes:
    """An HWP file cut short after its first sectors: a download that ended early."""
    return build_hwp(["잘린 문서입니다."] * 200)[:1536]
