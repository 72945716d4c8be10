"""Attachment files for the replica, built deterministically: HWPX (ZIP + section XML), PDF, and broken ones.

Same arguments, same bytes: ZIP timestamps are fixed and the PDF has no dates or ids.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from functools import lru_cache
from html import escape

HWPX_MIME = b"application/hwp+zip"
NS_SECTION = "http://www.hancom.co.kr/hwpml/2011/section"
NS_PARAGRAPH = "http://www.hancom.co.kr/hwpml/2011/paragraph"
_FIXED_TIME = (2026, 1, 1, 0, 0, 0)
# Hangul writes these into the text of a document with pictures; a crawler must drop them.
PICTURE_NOISE = ("그림입니다.", "원본 그림의 이름: 현장사진.png",
                 "원본 그림의 크기: 가로 1024pixel, 세로 768pixel")
BOMB_GIB = 2  # the bomb's section expands to this many GiB of zeros


def split_runs(text: str, rng: random.Random, pieces: int = 3) -> list[str]:
    """`text` cut at random places (inside words and before punctuation too), joined back = text."""
    if len(text) < pieces * 2:
        return [text]
    cuts = sorted(rng.sample(range(1, len(text)), pieces - 1))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def section_xml(paragraphs: list[str], *, seed: str, pictures: bool = True) -> bytes:
    """Contents/section0.xml: each paragraph an hp:p whose text is split across several runs."""
    rng = random.Random(seed)
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
           f'<hs:sec xmlns:hs="{NS_SECTION}" xmlns:hp="{NS_PARAGRAPH}">']
    for k, text in enumerate(paragraphs):
        runs = "".join(f'<hp:run charPrIDRef="{n % 3}"><hp:t>{escape(piece, quote=False)}</hp:t></hp:run>'
                       for n, piece in enumerate(split_runs(text, rng)))
        out.append(f'<hp:p id="{k}" paraPrIDRef="0" styleIDRef="0">{runs}</hp:p>')
        if pictures and k == 0:
            # A picture after the headline: its comment and the placeholder paragraphs Hangul adds.
            comment = escape("\n".join(PICTURE_NOISE[1:]), quote=False)
            out.append('<hp:p paraPrIDRef="0"><hp:run charPrIDRef="0"><hp:pic id="1">'
                       f"<hp:shapeComment>{comment}</hp:shapeComment></hp:pic></hp:run></hp:p>")
            out.extend(f'<hp:p paraPrIDRef="0"><hp:run charPrIDRef="0"><hp:t>{escape(n, quote=False)}'
                       "</hp:t></hp:run></hp:p>" for n in PICTURE_NOISE)
    out.append("</hs:sec>")
    return "\n".join(out).encode("utf-8")


def build_hwpx(paragraphs: list[str], *, seed: str) -> bytes:
    """A real (minimal) HWPX package: mimetype first and stored, the section deflated."""
    members = [
        ("mimetype", HWPX_MIME, zipfile.ZIP_STORED),
        ("version.xml", b'<?xml version="1.0" encoding="UTF-8"?><hv:HCFVersion '
                        b'xmlns:hv="http://www.hancom.co.kr/hwpml/2011/version" major="5" minor="1"/>',
         zipfile.ZIP_DEFLATED),
        ("META-INF/container.xml", b'<?xml version="1.0" encoding="UTF-8"?><ocf:container '
                                   b'xmlns:ocf="urn:oasis:names:tc:opendocument:xmlns:container">'
                                   b'<ocf:rootfiles><ocf:rootfile full-path="Contents/content.hpf" '
                                   b'media-type="application/hwpml-package+xml"/></ocf:rootfiles>'
                                   b"</ocf:container>", zipfile.ZIP_DEFLATED),
        ("Contents/content.hpf", b'<?xml version="1.0" encoding="UTF-8"?><opf:package '
                                 b'xmlns:opf="http://www.idpf.org/2007/opf/"><opf:spine>'
                                 b'<opf:itemref idref="section0"/></opf:spine></opf:package>',
         zipfile.ZIP_DEFLATED),
        ("Contents/section0.xml", section_xml(paragraphs, seed=seed), zipfile.ZIP_DEFLATED),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = method
            archive.writestr(info, data)
    return buffer.getvalue()


# --- hand-written ZIPs, for archives zipfile would refuse to write --------------------------------


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A ZIP from (name, deflated data, crc, declared compressed size, declared uncompressed size)."""
    out = io.BytesIO()
    central = []
    for name, data, crc, csize, usize in members:
        encoded = name.encode("utf-8")
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, csize, usize,
                              len(encoded), 0) + encoded + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, csize,
                                   usize, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory),
                          start, 0))
    return out.getvalue()


@lru_cache(maxsize=4)
def _zeros_stream(mib: int) -> tuple[bytes, int]:
    """A raw deflate stream of `mib` MiB of zeros, and its CRC-32, without compressing it all.

    After a full flush the compressor starts afresh, so each MiB compresses to the same bytes.
    """
    chunk = bytes(1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return block * mib + compressor.flush(zlib.Z_FINISH), crc


def hwpx_bomb(gib: int = BOMB_GIB) -> bytes:
    """An HWPX-shaped ZIP of about 1 MB per GiB whose section expands to `gib` GiB (honest header)."""
    stream, crc = _zeros_stream(gib * 1024)
    mime = zlib.compressobj(9, zlib.DEFLATED, -15)
    mime_data = mime.compress(HWPX_MIME) + mime.flush()
    return raw_zip([
        ("mimetype", mime_data, zlib.crc32(HWPX_MIME), len(mime_data), len(HWPX_MIME)),
        ("Contents/section0.xml", stream, crc, len(stream), gib * 1024 ** 3),
    ])


def lying_hwpx_bomb(mib: int = 256, declared: int = 4096) -> bytes:
    """A section that says it holds `declared` bytes but expands to `mib` MiB."""
    stream, crc = _zeros_stream(mib)
    return raw_zip([("Contents/section0.xml", stream, crc, len(stream), declared)])


def corrupt_hwpx() -> bytes:
    """The start of a ZIP and then nothing: a download cut short."""
    return build_hwpx(["잘린 문서"], seed="corrupt")[:120]


# --- PDF ------------------------------------------------------------------------------------------


def _to_unicode_cmap() -> bytes:
    # Two-byte codes are Unicode code points (Identity-H with CID = code point).
    ranges = "\n".join(f"<{h:02X}00> <{h:02X}FF> <{h:02X}00>" for h in range(0x100))
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            f"256 beginbfrange\n{ranges}\nendbfrange\n"
            "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode("ascii")


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def build_pdf(lines: list[str], *, lines_per_page: int = 30) -> bytes:
    """A valid PDF whose text layer is `lines`, one per text line, Korean included."""
    pages = [lines[i:i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    # Objects: 1 catalog, 2 pages, 3 font, 4 CID font, 5 ToUnicode, then (page, contents) pairs.
    kids = " ".join(f"{6 + 2 * k} 0 R" for k in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /HYGoThic-Medium /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HYGoThic-Medium "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        _stream(_to_unicode_cmap()),
    ]
    for k, page_lines in enumerate(pages):
        text = ["BT /F1 10 Tf 14 TL 40 800 Td"]
        text += [f"<{''.join(f'{ord(c):04X}' for c in line)}> Tj T*" for line in page_lines]
        text.append("ET")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {7 + 2 * k} 0 R >>".encode())
        objects.append(_stream("\n".join(text).encode("ascii")))
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def corrupt_pdf() -> bytes:
    """A PDF header, then bytes that are no PDF structure at all, then an end marker."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 16 + b"\n%%EOF\n"
