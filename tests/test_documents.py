"""HWPX and PDF text extraction: real documents, bombs, corrupt files, and the limits that stop them."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
import zlib

import pytest

from crawler.documents import (
    DEFAULT_LIMITS,
    CorruptHwpx,
    CorruptPdf,
    DocumentLimits,
    EncryptedPdf,
    NotADocument,
    NoText,
    TooLarge,
    TooManyEntries,
    TooManyPages,
    ZipBomb,
    document_paragraphs,
    hwpx_paragraphs,
    pdf_paragraphs,
)
from crawler.documents.hwpx import _read_member
from tests.replica.documents import (
    PICTURE_NOISE,
    build_hwpx,
    build_pdf,
    corrupt_hwpx,
    corrupt_pdf,
    hwpx_bomb,
    lying_hwpx_bomb,
    raw_zip,
    section_xml,
)

TEXT = [
    "기후부, 반도체 산업 지원 확대",
    "정부는 11월 18일 「AI 반도체 지원방안」을 발표했다. 지원 규모는 1,200억 원이다.",
    "문의 : 산업통상자원부 반도체과(044-203-4271)",
]
MiB = 1024 * 1024


def zip_of(members: dict[str, bytes]) -> bytes:
    """A ZIP of `members`, the same bytes on every call (a fixed date: test ids are built from them,
    and pytest-xdist's workers must collect the same ids)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            member = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(member, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --- HWPX ------------------------------------------------------------------------------------------


def test_hwpx_runs_are_joined_and_picture_noise_dropped() -> None:
    data = build_hwpx(TEXT, seed="runs")
    section = zipfile.ZipFile(io.BytesIO(data)).read("Contents/section0.xml").decode()
    assert section.count("<hp:run") > len(TEXT) and PICTURE_NOISE[0] in section  # the test bites
    assert hwpx_paragraphs(data) == TEXT
    assert document_paragraphs("hwpx", data) == TEXT


def test_hwpx_sections_in_numeric_order_and_tabs_as_spaces() -> None:
    xml = (
        '<hs:sec xmlns:hs="http://www.hancom.co.kr/hwpml/2011/section" '
        'xmlns:hp="http://www.hancom.co.kr/hwpml/2011/paragraph">'
        "<hp:p><hp:run><hp:t>구분<hp:tab/>내용</hp:t></hp:run></hp:p>"
        "<hp:p><hp:run><hp:tbl><hp:tc><hp:subList><hp:p><hp:run><hp:t>표 안의 글</hp:t></hp:run></hp:p>"
        "</hp:subList></hp:tc></hp:tbl></hp:run></hp:p></hs:sec>"
    ).encode()
    data = zip_of(
        {
            "Contents/section10.xml": section_xml(["열 번째 구역"], seed="a", pictures=False),
            "Contents/section2.xml": xml,
            "Contents/section0.xml": section_xml(["첫 구역"], seed="b", pictures=False),
        }
    )
    assert hwpx_paragraphs(data) == ["첫 구역", "구분 내용", "표 안의 글", "열 번째 구역"]


def test_hwpx_entities_and_dtds_are_not_expanded() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "LOL"><!ENTITY y "&x;&x;&x;&x;">]>'
        b'<hs:sec xmlns:hs="urn:s" xmlns:hp="urn:p"><hp:p><hp:run><hp:t>a&y;b</hp:t></hp:run></hp:p></hs:sec>'
    )
    assert "LOL" not in "".join(hwpx_paragraphs(zip_of({"Contents/section0.xml": hostile})))


def test_the_bomb_is_refused_before_anything_is_decompressed() -> None:
    bomb = hwpx_bomb()
    info = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("Contents/section0.xml")
    assert len(bomb) < 3 * MiB and info.file_size >= 2 * 1024**3  # tiny file, gigabytes inside
    tracemalloc.start()
    try:
        with pytest.raises(ZipBomb, match="declares 2048.0 MiB") as caught:
            hwpx_paragraphs(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.kind == "zip_bomb" and caught.value.bytes_read == 0
    assert peak < 4 * MiB, f"peak {peak:,} bytes while refusing a {len(bomb):,}-byte bomb"


def test_the_bomb_is_refused_by_ratio_under_the_size_limit() -> None:
    limits = DocumentLimits(max_section_bytes=4 * 1024**3, max_total_bytes=4 * 1024**3)
    with pytest.raises(ZipBomb, match=r"expands [\d,]+x"):
        hwpx_paragraphs(hwpx_bomb(), limits)


def test_a_section_that_lies_about_its_size_stops_at_the_declared_size() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(CorruptHwpx, match="Bad CRC") as caught:
            hwpx_paragraphs(lying_hwpx_bomb(mib=256, declared=4096))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.bytes_read <= 4096
    assert peak < 4 * MiB, f"peak {peak:,} bytes for a section declared as 4 KiB"


def test_streaming_read_stops_at_its_budget_and_counts_what_it_read() -> None:
    archive = zipfile.ZipFile(io.BytesIO(hwpx_bomb(gib=1)))
    info = archive.getinfo("Contents/section0.xml")
    budget, chunk = 3 * MiB, 64 * 1024
    with pytest.raises(ZipBomb, match="budget") as caught:
        _read_member(archive, info, budget, chunk, already=0)
    assert budget < caught.value.bytes_read <= budget + chunk


@pytest.mark.parametrize(
    ("data", "limits", "error", "message"),
    [
        (b"x" * 2048, DocumentLimits(max_input_bytes=1024), TooLarge, "more than the 1,024 bytes limit"),
        (b"PK\x03\x04 not really a zip", DEFAULT_LIMITS, CorruptHwpx, "not a readable ZIP"),
        (corrupt_hwpx(), DEFAULT_LIMITS, CorruptHwpx, "not a readable ZIP"),
        (zip_of({"mimetype": b"application/hwp+zip"}), DEFAULT_LIMITS, CorruptHwpx, "no Contents/section"),
        (zip_of({"Contents/section0.xml": b"<unclosed"}), DEFAULT_LIMITS, CorruptHwpx, "not well-formed"),
        (zip_of({f"f{i}": b"" for i in range(30)}), DocumentLimits(max_entries=20), TooManyEntries, "30 ZIP"),
        (
            zip_of({"Contents/section0.xml": section_xml(["그림입니다."], seed="n", pictures=False)}),
            DEFAULT_LIMITS,
            NoText,
            "no text",
        ),
    ],
)
def test_broken_hwpx_fails_with_a_named_kind(
    data: bytes, limits: DocumentLimits, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        hwpx_paragraphs(data, limits)


def test_total_budget_over_several_sections() -> None:
    big = b"<s>" + b"a" * (700 * 1024) + b"</s>"
    data = zip_of({f"Contents/section{i}.xml": big for i in range(3)})
    with pytest.raises(ZipBomb, match="together"):
        hwpx_paragraphs(data, DocumentLimits(max_total_bytes=2 * MiB))


def test_raw_zip_members_round_trip() -> None:
    payload = b"<a/>"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(payload) + compressor.flush()
    data = raw_zip([("x.xml", deflated, zlib.crc32(payload), len(deflated), len(payload))])
    assert zipfile.ZipFile(io.BytesIO(data)).read("x.xml") == payload


# --- PDF -------------------------------------------------------------------------------------------


def test_pdf_text_in_page_order() -> None:
    lines = [f"{n}번째 줄: 기후부, 반도체 지원" for n in range(1, 46)]
    data = build_pdf(lines, lines_per_page=20)
    assert data.startswith(b"%PDF-") and data.count(b"/Type /Page ") == 3
    assert pdf_paragraphs(data) == lines
    assert document_paragraphs("pdf", build_pdf(TEXT)) == TEXT


def test_pdf_page_numbers_are_dropped() -> None:
    assert pdf_paragraphs(build_pdf(["본문입니다.", "- 1 -"])) == ["본문입니다."]


def test_encrypted_pdf() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(build_pdf(TEXT))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(EncryptedPdf):
        pdf_paragraphs(buffer.getvalue())


@pytest.mark.parametrize(
    ("data", "limits", "error", "message"),
    [
        (corrupt_pdf(), DEFAULT_LIMITS, CorruptPdf, "unreadable PDF"),
        (build_pdf(TEXT)[:400], DEFAULT_LIMITS, CorruptPdf, "unreadable PDF"),
        (b"not found", DEFAULT_LIMITS, CorruptPdf, "no %PDF- header"),
        # A 바로보기 link answers with the viewer's HTML, not the file (spec §13.2).
        (b"<html>not found</html>", DEFAULT_LIMITS, NotADocument, "HTML page"),
        (build_pdf(TEXT * 20, lines_per_page=10), DocumentLimits(max_pages=3), TooManyPages, "6 pages"),
        (build_pdf(TEXT * 50), DocumentLimits(max_chars=500), TooLarge, "characters"),
        (build_pdf([]), DEFAULT_LIMITS, NoText, "no extractable text"),
        (build_pdf(TEXT), DocumentLimits(max_input_bytes=100), TooLarge, "limit"),
    ],
)
def test_broken_pdf_fails_with_a_named_kind(
    data: bytes, limits: DocumentLimits, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        pdf_paragraphs(data, limits)
    assert caught.value.kind == error.kind  # type: ignore[attr-defined]


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="known"):
        document_paragraphs("docx", b"")


def test_builders_are_deterministic() -> None:
    assert build_hwpx(TEXT, seed="s") == build_hwpx(TEXT, seed="s")
    assert build_pdf(TEXT) == build_pdf(TEXT)
    assert hwpx_bomb(gib=1) == hwpx_bomb(gib=1)
