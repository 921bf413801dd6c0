"""Parsing XML that came from outside (a QTI or Common Cartridge package, an uploaded item).

Nothing in such a document may reach out or blow up: a DTD (and so any entity, internal or
external) is refused outright, the document's size and the depth of its element tree are
capped, and whatever the parser cannot read is an :class:`ExchangeError` (400) — never a 500.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from eschool.i18n import gettext as _
from lessons.exchange.eschool_zip import ExchangeError

MAX_XML_BYTES = 2_000_000
MAX_XML_DEPTH = 64


def parse_xml(
    raw: bytes, *, max_bytes: int = MAX_XML_BYTES, max_depth: int = MAX_XML_DEPTH
) -> Element:
    """The root element of ``raw``; :class:`ExchangeError` ``bad_xml`` when the document is
    too large, declares a DTD or entities, nests deeper than ``max_depth`` or is malformed."""
    if len(raw) > max_bytes:
        raise ExchangeError(
            "bad_xml", _("An XML file is larger than {size} bytes.", size=max_bytes), status=413
        )
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ValueError) as error:
        raise ExchangeError("bad_xml", _("XML with a DTD or entities is not accepted.")) from error
    except ParseError as error:
        raise ExchangeError(
            "bad_xml", _("An XML file could not be read: {error}", error=error)
        ) from error
    if xml_depth(root) > max_depth:
        raise ExchangeError(
            "bad_xml", _("An XML file nests deeper than {depth} levels.", depth=max_depth)
        )
    return root


def xml_depth(root: Element) -> int:
    """The depth of the element tree, walked without recursion."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in element)
    return deepest
