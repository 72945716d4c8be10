"""Text out of press-release attachments (HWPX, HWP, PDF), under hard limits against bombs and huge files.

Pure functions over bytes: no I/O, no settings. `limits` holds the limits and the named errors every
format shares; one module per format (`hwpx`, `hwp`, `pdf`); `document_paragraphs` picks the reader.
"""

from __future__ import annotations

from crawler.documents.hwp import hwp_paragraphs
from crawler.documents.hwpx import hwpx_paragraphs
from crawler.documents.limits import (
    DEFAULT_LIMITS,
    NOISE,
    CorruptHwpx,
    CorruptPdf,
    Deadline,
    DecompressionBomb,
    DocumentError,
    DocumentLimits,
    EncryptedPdf,
    MiB,
    NotADocument,
    NoText,
    TooLarge,
    TooManyEntries,
    TooManyPages,
    TooSlow,
    ZipBomb,
    check_input,
    clean_paragraphs,
    size_text,
)
from crawler.documents.pdf import pdf_paragraphs

EXTRACTORS = {"hwpx": hwpx_paragraphs, "hwp": hwp_paragraphs, "pdf": pdf_paragraphs}


def document_paragraphs(kind: str, data: bytes, limits: DocumentLimits = DEFAULT_LIMITS) -> list[str]:
    """Paragraphs of an attachment of `kind` ("hwpx", "hwp" or "pdf")."""
    try:
        extract = EXTRACTORS[kind]
    except KeyError:
        raise ValueError(f"no extractor for {kind!r}; known: {sorted(EXTRACTORS)}") from None
    return extract(data, limits)


__all__ = [
    "DEFAULT_LIMITS",
    "EXTRACTORS",
    "NOISE",
    "CorruptHwpx",
    "CorruptPdf",
    "Deadline",
    "DecompressionBomb",
    "DocumentError",
    "DocumentLimits",
    "EncryptedPdf",
    "MiB",
    "NoText",
    "NotADocument",
    "TooLarge",
    "TooManyEntries",
    "TooManyPages",
    "TooSlow",
    "ZipBomb",
    "check_input",
    "clean_paragraphs",
    "document_paragraphs",
    "hwp_paragraphs",
    "hwpx_paragraphs",
    "pdf_paragraphs",
    "size_text",
]
