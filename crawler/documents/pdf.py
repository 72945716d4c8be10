"""PDF: page text through pypdf, under the limits."""

from __future__ import annotations

import io

from crawler.documents.limits import (
    DEFAULT_LIMITS,
    CorruptPdf,
    Deadline,
    DocumentError,
    DocumentLimits,
    EncryptedPdf,
    NoText,
    TooLarge,
    TooManyPages,
    check_input,
    clean_paragraphs,
)


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

