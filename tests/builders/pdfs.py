"""What a PDF says, read back with pypdf page by page."""

from __future__ import annotations

import io
import re

import pypdf


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def squeeze(text: str) -> str:
    """Table cells come out of a PDF on separate lines; compare words, not layout."""
    return re.sub(r"\s+", " ", text)
