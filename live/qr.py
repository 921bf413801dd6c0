"""QR codes of join URLs, drawn on the server as SVG (nothing is fetched from elsewhere)."""

from __future__ import annotations

import re

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

_FIXED_SIZE = re.compile(r'\s(width|height)="[^"]*mm"')


def qr_svg(text: str) -> str:
    """An SVG image of ``text`` as a QR code that scales to whatever box CSS gives it."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=2,
        image_factory=SvgPathImage,
    )
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    # The library sizes the image in millimetres; the page decides the size instead. A white
    # ground keeps the code readable on a dark board.
    svg = _FIXED_SIZE.sub("", svg, count=2)
    opening = svg.index(">") + 1
    return svg[:opening] + '<rect width="100%" height="100%" fill="#fff"/>' + svg[opening:]
