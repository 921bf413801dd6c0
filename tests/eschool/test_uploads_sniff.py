import struct
import zlib

import pytest

from eschool.uploads.sniff import ACTIVE_CONTENT_MIMES, ALLOWED_KINDS, sniff_mime


def png_bytes() -> bytes:
    """A complete 1x1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def riff(form: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + 8) + form + b"fmt \x00\x00\x00\x00"


def ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"mp41"


def ebml(doctype: bytes) -> bytes:
    body = b"\x42\x86\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body


KNOWN = [
    (png_bytes(), "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "image/gif"),
    (b"GIF87a\x01\x00\x01\x00", "image/gif"),
    (riff(b"WEBP")[:12] + b"VP8 ", "image/webp"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" width="1"/>', "image/svg+xml"),
    (
        b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn by hand -->\n'
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg>',
        "image/svg+xml",
    ),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
    (b"\xff\xfb\x90\x64\x00\x00", "audio/mpeg"),  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz
    (b"\xff\xf3\x84\xc4\x00\x00", "audio/mpeg"),  # MPEG-2 Layer III
    (b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00", "audio/ogg"),
    (riff(b"WAVE"), "audio/wav"),
    (b"fLaC\x00\x00\x00\x22", "audio/flac"),
    (ftyp(b"M4A "), "audio/mp4"),
    (ftyp(b"isom"), "video/mp4"),
    (ftyp(b"mp42"), "video/mp4"),
    (ebml(b"webm"), "video/webm"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
]


@pytest.mark.parametrize(("head", "mime"), KNOWN, ids=[mime for _, mime in KNOWN])
def test_known_formats_are_recognised(head: bytes, mime: str) -> None:
    assert sniff_mime(head) == mime
    assert mime in ALLOWED_KINDS


REFUSED = [
    b"<!DOCTYPE html><html><body><svg></svg></body></html>",
    b"<html><script>alert(1)</script></html>",
    b"<?xml version='1.0'?><html><svg/></html>",
    b"<svgx></svgx>",
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",  # a Windows executable
    b"\x7fELF\x02\x01\x01\x00",
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00",  # a zip (also .docx, .odt)
    b"Hello, this is plain text.\n",
    b"#!/bin/sh\nrm -rf /\n",
    b"",
    b"\xff\xd8",  # too short for JPEG
    b"\xff\xf1\x50\x80\x00\x1f\xfc",  # AAC ADTS, not Layer III
    b"\xff\xfb\xf0\x64",  # frame sync with a forbidden bitrate index
    b"RIFF\x24\x00\x00\x00AVI LIST",
    ftyp(b"qt  "),  # QuickTime
    ftyp(b"heic"),
    ebml(b"matroska"),
    b"{\\rtf1\\ansi}",
]


@pytest.mark.parametrize("head", REFUSED, ids=repr)
def test_other_content_is_refused(head: bytes) -> None:
    assert sniff_mime(head) is None


def test_the_name_does_not_matter_only_the_bytes() -> None:
    # An HTML page renamed to picture.png is still not a picture.
    assert sniff_mime(b"<html><img src=x onerror=alert(1)></html>") is None


def test_allowed_kinds_cover_the_four_kinds() -> None:
    assert set(ALLOWED_KINDS.values()) == {"image", "audio", "video", "document"}
    assert ALLOWED_KINDS["application/pdf"] == "document"
    assert ALLOWED_KINDS["video/webm"] == "video"
    assert ALLOWED_KINDS.keys() >= ACTIVE_CONTENT_MIMES


def test_long_svg_prologue_is_sniffed_within_bounds() -> None:
    head = b"<?xml version='1.0'?>" + b"<!-- " + b"x" * 200_000 + b" -->" + b"<svg>"
    assert sniff_mime(head) is None  # the root lies beyond what is read
    assert sniff_mime(b"<!--" + b" " * 1000 + b"--><svg>") == "image/svg+xml"
