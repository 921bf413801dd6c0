"""Untrusted XML: entities, DTDs, huge and deep documents and garbage are refused as a 4xx
ExchangeError, never parsed into something dangerous."""

from __future__ import annotations

import pytest

from lessons.exchange.eschool_zip import ExchangeError
from lessons.exchange.safe_xml import parse_xml

LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><a>&lol2;</a>'
)
XXE = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
DTD_ONLY = b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://example.org/a.dtd"><a/>'


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (LAUGHS, 400),
        (XXE, 400),
        (DTD_ONLY, 400),
        (b"<a>" * 65 + b"</a>" * 65, 400),
        (b"<a>" + b"x" * 2_000_001 + b"</a>", 413),
        (b"<a><b></a>", 400),
        (b"\xff\xfe not xml", 400),
    ],
    ids=["billion-laughs", "external-entity", "dtd", "deep", "huge", "malformed", "garbage"],
)
def test_hostile_xml_is_refused(raw: bytes, status: int) -> None:
    with pytest.raises(ExchangeError) as refused:
        parse_xml(raw)
    assert refused.value.code == "bad_xml" and refused.value.status == status


def test_a_plain_document_is_read() -> None:
    root = parse_xml(b'<a xmlns="urn:x"><b>text</b></a>')
    assert root.tag == "{urn:x}a" and root[0].text == "text"
