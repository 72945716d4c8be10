"""HWP 5 binary attachments: text and table cells in reading order, and the limits (spec §13)."""

from __future__ import annotations

import io
import struct

import olefile
import pytest

from crawler.documents import (
    DecompressionBomb,
    DocumentLimits,
    NotADocument,
    NoText,
    TooLarge,
    TooSlow,
    document_paragraphs,
)
from crawler.documents.hwp import CorruptHwp, EncryptedHwp, hwp_paragraphs, para_text, records
from tests.replica.hwp_files import (
    build_hwp,
    compound_file,
    corrupt_hwp,
    deflate,
    file_header,
    hwp_bomb,
    paragraph,
    record,
)

MiB = 1024 * 1024


def test_the_test_writer_makes_a_compound_file_olefile_accepts_without_defects() -> None:
    data = build_hwp(["문단"], sections=2)
    # DEFECT_INCORRECT: olefile raises on anything short of a well-formed container.
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    assert sorted("/".join(p) for p in ole.listdir()) == [
        "BodyText/Section0", "BodyText/Section1", "DocInfo", "FileHeader",
    ]  # fmt: skip
    assert ole.openstream("FileHeader").read().startswith(b"HWP Document File")


def test_paragraphs_and_table_cells_in_reading_order() -> None:
    cells = [["구분", "2025년", "2026년"], ["예산", "10조", "12조"]]
    data = build_hwp(["정부, 반도체 지원 확대", cells, "문의 : 산업부(044-200-1234)"])
    assert hwp_paragraphs(data) == [
        "정부, 반도체 지원 확대", *cells[0], *cells[1], "문의 : 산업부(044-200-1234)",
    ]  # fmt: skip


def test_sections_are_read_in_number_order() -> None:
    blocks = [f"{n}번째 문단" for n in range(1, 13)]
    assert hwp_paragraphs(build_hwp(blocks, sections=11)) == blocks


def test_uncompressed_document() -> None:
    assert hwp_paragraphs(build_hwp(["압축하지 않은 문서"], compressed=False)) == ["압축하지 않은 문서"]


def test_inline_controls_are_skipped_and_tabs_and_line_breaks_read_as_spaces() -> None:
    assert hwp_paragraphs(build_hwp(["항목\t설명\n다음 줄"])) == ["항목 설명 다음 줄"]


def test_para_text_skips_extended_controls_and_stops_at_the_paragraph_end() -> None:
    table_control = struct.pack("<8H", 11, 0x6C74, 0x2062, 0, 0, 0, 0, 11)
    raw = table_control + "앞".encode("utf-16-le") + struct.pack("<H", 30) + "뒤".encode("utf-16-le")
    raw += struct.pack("<H", 13) + "버림".encode("utf-16-le")
    assert para_text(raw) == "앞 뒤"


def test_characters_outside_the_bmp_survive() -> None:
    assert hwp_paragraphs(build_hwp(["이모지 😀 포함"])) == ["이모지 😀 포함"]


def test_long_records_use_the_extended_size_header() -> None:
    long = "가" * 3000  # 6,002 bytes with the paragraph end: past the 12-bit size field
    assert [len(p) for p in hwp_paragraphs(build_hwp(["짧은 문단", long]))] == [5, 3000]


def test_picture_placeholders_are_dropped() -> None:
    data = build_hwp(["본문", "그림입니다.", "원본 그림의 이름: 사진.png", "끝"])
    assert hwp_paragraphs(data) == ["본문", "끝"]


def test_document_paragraphs_dispatches_hwp() -> None:
    assert document_paragraphs("hwp", build_hwp(["한 문단"])) == ["한 문단"]


# --- failures -------------------------------------------------------------------------------------


def test_a_file_cut_short_is_corrupt() -> None:
    with pytest.raises(CorruptHwp):
        hwp_paragraphs(corrupt_hwp())


@pytest.mark.parametrize("data", [b"", b"HWP Document File V3.00", b"PK\x03\x04 not an ole file"])
def test_not_an_ole_file_is_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptHwp, match="not an OLE2"):
        hwp_paragraphs(data)


def test_an_ole_file_without_hwp_header_is_corrupt() -> None:
    with pytest.raises(CorruptHwp, match="FileHeader"):
        hwp_paragraphs(compound_file({"WordDocument": b"x" * 100}))
    with pytest.raises(CorruptHwp, match="signature"):
        hwp_paragraphs(compound_file({"FileHeader": b"Not HWP".ljust(256, b"\0")}))


def test_no_body_text_is_corrupt() -> None:
    with pytest.raises(CorruptHwp, match="BodyText"):
        hwp_paragraphs(compound_file({"FileHeader": file_header(compressed=True)}))


def test_a_section_that_is_not_deflate_is_corrupt() -> None:
    data = compound_file({"FileHeader": file_header(compressed=True), "BodyText/Section0": b"\xff" * 300})
    with pytest.raises(CorruptHwp, match="deflate"):
        hwp_paragraphs(data)


def test_a_record_running_past_its_section_is_corrupt() -> None:
    section = paragraph("정상") + struct.pack("<I", 67 | 1 << 10 | 200 << 20) + b"\0" * 10
    data = compound_file({"FileHeader": file_header(compressed=True), "BodyText/Section0": deflate(section)})
    with pytest.raises(CorruptHwp, match="past the end"):
        hwp_paragraphs(data)


def test_records_reads_the_extended_size() -> None:
    payload = b"\1" * 5000
    assert [(t, lv, len(p)) for t, lv, p in records(record(67, 2, payload) + record(66, 0, b""))] == [
        (67, 2, 5000), (66, 0, 0),
    ]  # fmt: skip


@pytest.mark.parametrize(("flags", "match"), [(2, "password"), (4, "distribution")])
def test_protected_documents_are_named(flags: int, match: str) -> None:
    with pytest.raises(EncryptedHwp, match=match):
        hwp_paragraphs(build_hwp(["비밀"], flags=flags))


def test_a_document_without_text_is_no_text() -> None:
    with pytest.raises(NoText):
        hwp_paragraphs(build_hwp([[["", ""]], "그림입니다."]))


def test_dense_bomb_stops_on_the_ratio_after_little_output() -> None:
    data = hwp_bomb(8)  # about 8 KB inflating to 8 MiB
    with pytest.raises(DecompressionBomb, match="expands") as caught:
        hwp_paragraphs(data)
    assert caught.value.bytes_read <= 3 * MiB


def test_large_bomb_stops_at_the_section_budget() -> None:
    limits = DocumentLimits(max_section_bytes=4 * MiB)
    with pytest.raises(DecompressionBomb, match="budget") as caught:
        hwp_paragraphs(hwp_bomb(512), limits)  # 512 MiB of zeros in about 0.5 MB
    assert caught.value.bytes_read <= 4 * MiB + limits.chunk_bytes


def test_total_budget_covers_every_section() -> None:
    blocks = ["가" * 2000 for _ in range(40)]  # about 160 KB of text over 4 sections
    limits = DocumentLimits(max_total_bytes=100_000)
    with pytest.raises(DecompressionBomb, match="budget"):
        hwp_paragraphs(build_hwp(blocks, sections=4), limits)


def test_file_size_limit() -> None:
    with pytest.raises(TooLarge):
        hwp_paragraphs(build_hwp(["문단"] * 50), DocumentLimits(max_input_bytes=1024))


def test_time_limit() -> None:
    with pytest.raises(TooSlow):
        hwp_paragraphs(build_hwp(["문단"]), DocumentLimits(max_seconds=-1))


def test_text_limit() -> None:
    with pytest.raises(TooLarge, match="characters"):
        hwp_paragraphs(build_hwp(["가" * 100] * 20), DocumentLimits(max_chars=1000))


def test_an_html_viewer_page_is_not_a_document() -> None:
    page = b"<!DOCTYPE html><html><head><title>docViewer</title></head><body>...</body></html>"
    for kind in ("hwp", "hwpx", "pdf"):
        with pytest.raises(NotADocument):
            document_paragraphs(kind, page)
