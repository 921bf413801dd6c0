"""Format detection from the content: the tricky cases (the API tests cover the usual ones)."""

from __future__ import annotations

import io
import zipfile

import pytest

from lessons.exchange.cc13 import write_cc13
from lessons.exchange.detect import read_any
from lessons.exchange.qti3 import write_qti3
from lessons.exchange.safe_zip import ExchangeError

LESSON = {
    "title": "Дроби",
    "blocks": [
        {
            "kind": "quiz",
            "questions": [
                {"kind": "single", "prompt": "½ = ?", "options": ["0.5", "2"], "answer": 0}
            ],
        }
    ],
}
AIKEN = "Сколько будет 2 + 2?\nA. три\nB. четыре\nANSWER: B\n"
QTI21_ITEM = (
    '<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="i" title="T">'
    '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
    "<correctResponse><value>A</value></correctResponse></responseDeclaration><itemBody>"
    '<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><prompt>Q?</prompt>'
    '<simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice>'
    "</choiceInteraction></itemBody></assessmentItem>"
)


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def qti3_item() -> bytes:
    with zipfile.ZipFile(io.BytesIO(write_qti3(LESSON, {}))) as archive:
        return archive.read(next(n for n in archive.namelist() if n.startswith("items/")))


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (AIKEN.encode("cp1251"), "bank.txt", "aiken"),  # an old Windows editor's Aiken
        (("\ufeff" + AIKEN).encode(), "bank.gift", "aiken"),  # the name does not decide
        ("\ufeff::Q1:: 1 + 1 = 2 {T}\n".encode(), "bank.txt", "gift"),
        (qti3_item(), "item.xml", "qti3"),
        (QTI21_ITEM.encode(), "item.txt", "qti21"),
        (write_cc13(LESSON, {}, version="1.1"), "course.zip", "cc13"),  # Moodle's CC 1.1
    ],
)
def test_the_content_decides(data: bytes, name: str, expected: str):
    report = read_any(data, name)
    assert report.format == expected
    assert report.public()["questions"] == 1


@pytest.mark.parametrize(
    "data",
    [
        b"<quiz><question type='multichoice'/></quiz>",  # Moodle XML
        b'<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>',
        zipped(
            {
                "imsmanifest.xml": '<manifest><resources><resource type="webcontent"/>'
                "</resources></manifest>"
            }
        ),
        zipped({"readme.txt": "hello"}),
        "Привет, мир".encode("utf-16"),
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    ],
    ids=["moodle-xml", "bare-test", "scorm-like", "plain-zip", "utf-16", "binary"],
)
def test_what_we_do_not_read_is_unsupported_with_the_list(data: bytes):
    with pytest.raises(ExchangeError) as caught:
        read_any(data, "file.txt")
    assert caught.value.code == "unsupported_format" and caught.value.status == 415
    assert "gift" in caught.value.details["formats"]
