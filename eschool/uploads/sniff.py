"""Recognise an uploaded file's media type from its first bytes, never from its name.

Only the formats a lesson or a homework attachment may carry are recognised; everything
else is ``None`` and is refused by the callers. Pass at least ``SNIFF_BYTES`` bytes of the
head when the file is that long (an SVG may open with a long XML prologue).
"""

from __future__ import annotations

import re

SNIFF_BYTES = 4096

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
SVG = "image/svg+xml"
MP3 = "audio/mpeg"
OGG = "audio/ogg"
WAV = "audio/wav"
FLAC = "audio/flac"
M4A = "audio/mp4"
MP4 = "video/mp4"
WEBM = "video/webm"
PDF = "application/pdf"

ALLOWED_KINDS: dict[str, str] = {
    PNG: "image",
    JPEG: "image",
    GIF: "image",
    WEBP: "image",
    SVG: "image",
    MP3: "audio",
    OGG: "audio",
    WAV: "audio",
    FLAC: "audio",
    M4A: "audio",
    MP4: "video",
    WEBM: "video",
    PDF: "document",
}
# SVG can carry scripts: serve it with `Content-Security-Policy: sandbox` (or as an
# attachment), never inline from our origin without one.
ACTIVE_CONTENT_MIMES = frozenset({SVG})

_AUDIO_MP4_BRANDS = frozenset({b"M4A ", b"M4B "})
_VIDEO_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"}
)
# Before an SVG's root element: an optional BOM, then any mix of whitespace, the XML
# declaration, processing instructions, comments and a doctype.
_XML_PROLOGUE = re.compile(
    rb"(?:\s+|<\?xml[^>]*\?>|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[[^\]]*\])?\s*>)*",
    re.DOTALL | re.IGNORECASE,
)
_SVG_ROOT = re.compile(rb"<svg[\s/>]")
# The DocType element (id 0x4282), its size as a 1..8-byte varint, then the type name.
_EBML_WEBM_DOCTYPE = re.compile(rb"\x42\x82.{1,8}?webm", re.DOTALL)


def sniff_mime(head: bytes) -> str | None:
    """Return the media type that the content's magic bytes announce, or ``None``."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": WEBP, b"WAVE": WAV}.get(head[8:12])
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"fLaC"):
        return FLAC
    if head[4:8] == b"ftyp":
        return _mp4_family(head[8:12])
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # EBML: WebM, or Matroska (refused), told apart by the DocType in the header.
        return WEBM if _EBML_WEBM_DOCTYPE.search(head[:64]) else None
    if head.startswith(b"ID3") or _is_mp3_frame(head):
        return MP3
    if _is_svg(head):
        return SVG
    return None


def _mp4_family(brand: bytes) -> str | None:
    if brand in _AUDIO_MP4_BRANDS:
        return M4A
    if brand in _VIDEO_MP4_BRANDS:
        return MP4
    return None


def _is_mp3_frame(head: bytes) -> bool:
    """An MPEG audio Layer III frame header: 11 sync bits, then valid version/rate fields."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate = head[2] >> 4
    sample_rate = (head[2] >> 2) & 0b11
    return version != 0b01 and layer == 0b01 and bitrate not in (0, 0xF) and sample_rate != 0b11


def _is_svg(head: bytes) -> bool:
    text = head[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf")
    prologue = _XML_PROLOGUE.match(text)
    start = prologue.end() if prologue else 0
    return _SVG_ROOT.match(text, start) is not None
