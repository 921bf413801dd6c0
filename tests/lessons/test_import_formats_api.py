"""Export and import in every exchange format through the HTTP API: round trips, question-bank
texts, the dry run's report, items skipped with their reason, and hostile uploads (refused
with nothing stored, or sanitized)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

QUESTIONS: list[dict[str, Any]] = [
    {"kind": "single", "prompt": "2 + 2 = ?", "options": ["3", "4", "5"], "answer": 1},
    {"kind": "multiple", "prompt": "Простые числа?", "options": ["2", "4", "7"], "answer": [0, 2]},
    {"kind": "text", "prompt": "Столица России?", "answer": ["Москва", "Moscow"], "points": 2},
    {"kind": "number", "prompt": "1/4 = ?", "answer": {"value": 0.25, "tolerance": 0.01}},
]
EXPORTS = {  # format → (file name ending, media type)
    "eschool": (".zip", "application/zip"),
    "qti3": ("-qti3.zip", "application/zip"),
    "cc13": (".imscc", "application/vnd.ims.imsccv1p3"),
}
QTI21 = 'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"'
CHOICE = (
    '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
    "<correctResponse><value>A</value></correctResponse></responseDeclaration>"
    '<itemBody>{body}<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">'
    '<simpleChoice identifier="A">yes</simpleChoice><simpleChoice identifier="B">no</simpleChoice>'
    "</choiceInteraction></itemBody>"
)
ESSAY = (
    '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>'
    '<itemBody><extendedTextInteraction responseIdentifier="RESPONSE"/></itemBody>'
)


def item(body: str, *, doctype: str = "", ident: str = "i1") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<assessmentItem {QTI21} '
        f'identifier="{ident}" title="Item {ident}">{body}</assessmentItem>'
    ).encode()


def package(items: dict[str, bytes], *, hrefs: list[str] | None = None) -> bytes:
    """A QTI 2.1 content package of ``items`` (path → XML), the manifest listing ``hrefs``."""
    resources = "".join(
        f'<resource identifier="R{n}" type="imsqti_item_xmlv2p1" href="{href}"/>'
        for n, href in enumerate(hrefs or list(items))
    )
    manifest = (
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">'
        f"<organizations/><resources>{resources}</resources></manifest>"
    )
    return zipped({"imsmanifest.xml": manifest.encode(), **items})


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def stored_files(uploads: Path) -> list[Path]:
    return sorted(p for p in uploads.rglob("*") if p.is_file() and p.parent.name != "tmp")


async def my_lessons(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    return (await client.get("/api/v1/lessons?author=me", headers=headers)).json()["total"]


async def send(client, headers, name: str, content: bytes, query: str = "") -> httpx.Response:
    return await client.post(
        f"/api/v1/lessons/import{query}", files={"file": (name, content)}, headers=headers
    )


def questions_of(lesson: dict[str, Any]) -> list[dict[str, Any]]:
    keys = ("kind", "prompt", "options", "answer", "points")
    return [
        {key: question.get(key) for key in keys}
        for block in lesson["blocks"]
        if block["kind"] == "quiz"
        for question in block["questions"]
    ]


@pytest.mark.parametrize("fmt", list(EXPORTS))
async def test_export_then_import_in_each_format(client, as_user, settings, fmt):
    teacher = await as_user("teacher")
    body = {
        "title": "Проверка знаний",
        "blocks": [
            {"kind": "text", "text": "Вспомните правила."},
            {"kind": "quiz", "questions": QUESTIONS},
        ],
    }
    original = (await client.post("/api/v1/lessons", json=body, headers=teacher)).json()
    exported = await client.get(
        f"/api/v1/lessons/{original['id']}/export?format={fmt}", headers=teacher
    )
    assert exported.status_code == 200, exported.text
    ending, media_type = EXPORTS[fmt]
    assert exported.headers["content-type"] == media_type
    assert exported.headers["content-disposition"].endswith(f'{ending}"')

    files_before = stored_files(settings.uploads_dir)
    dry = await send(client, teacher, "anything.bin", exported.content, "?dry_run=1")
    assert dry.status_code == 200, dry.text
    assert dry.json() == {
        "format": fmt,
        "title": "Проверка знаний",
        "blocks": dry.json()["blocks"],
        "questions": len(QUESTIONS),
        "assets": 0,
        "skipped": [],
    }
    assert await my_lessons(client, teacher) == 1
    assert stored_files(settings.uploads_dir) == files_before

    imported = await send(client, teacher, "anything.bin", exported.content)
    assert imported.status_code == 201, imported.text
    draft = imported.json()
    assert draft["status"] == "draft" and draft["id"] != original["id"]
    assert imported.headers["location"] == f"/api/v1/lessons/{draft['id']}"
    assert draft["import"]["format"] == fmt
    assert draft["title"] == "Проверка знаний"
    assert questions_of(draft) == questions_of(original)
    assert await my_lessons(client, teacher) == 2


GIFT = """// a comment
::Столица::Столица Франции? {=Париж ~Лион ~Марсель}

2 + 2 = 4 {T}
"""
AIKEN = "Сколько будет 2 + 2?\nA. 3\nB. 4\nANSWER: B\n\nЭто не вопрос\n"


@pytest.mark.parametrize(
    ("name", "text", "fmt", "count", "skipped"),
    [("bank.gift", GIFT, "gift", 2, 0), ("Мой банк.txt", AIKEN, "aiken", 1, 1)],
    ids=["gift", "aiken"],
)
async def test_question_bank_texts_import(client, as_user, name, text, fmt, count, skipped):
    teacher = await as_user("teacher")
    dry = (await send(client, teacher, name, text.encode(), "?dry_run=true")).json()
    assert (dry["format"], dry["questions"], len(dry["skipped"])) == (fmt, count, skipped)
    response = await send(client, teacher, name, ("\ufeff" + text).encode())
    assert response.status_code == 201, response.text
    assert response.json()["title"] == name.rsplit(".", 1)[0]
    assert len(questions_of(response.json())) == count


async def test_unknown_formats_are_refused_with_the_list(client, as_user):
    teacher = await as_user("teacher")
    response = await send(client, teacher, "lesson.gift", b"Just some words, no questions.")
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unsupported_format"
    assert set(error["details"]["formats"]) == {"eschool", "qti3", "qti21", "cc13", "gift", "aiken"}
    created = await client.post(
        "/api/v1/lessons", json={"title": "x", "blocks": []}, headers=teacher
    )
    export = await client.get(
        f"/api/v1/lessons/{created.json()['id']}/export?format=scorm", headers=teacher
    )
    assert export.status_code == 422
    assert export.json()["error"]["details"] == {"allowed": ["eschool", "qti3", "cc13"]}


async def test_an_unsupported_interaction_is_skipped_and_the_rest_imported(client, as_user):
    teacher = await as_user("teacher")
    content = package(
        {
            "a.xml": item(CHOICE.format(body="<p>Ready?</p>"), ident="a"),
            "b.xml": item(ESSAY, ident="b"),
        }
    )
    response = await send(client, teacher, "quiz.zip", content)
    assert response.status_code == 201, response.text
    report = response.json()["import"]
    assert (report["format"], report["questions"]) == ("qti21", 1)
    assert [s["item"] for s in report["skipped"]] == ["b"]
    assert "extendedTextInteraction" in report["skipped"][0]["reason"]


XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">'
    + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>"
)
HOSTILE: dict[str, tuple[str, bytes, int, str]] = {
    "xxe": ("item.xml", item(CHOICE.format(body="<p>&xxe;</p>"), doctype=XXE), 400, "bad_xml"),
    "billion laughs": (
        "q.zip",
        package({"a.xml": item(CHOICE.format(body="<p>&i;</p>"), doctype=LAUGHS)}),
        400,
        "bad_xml",
    ),
    "huge xml": (
        "item.xml",
        item(CHOICE.format(body="<p>" + "ab " * 800_000 + "</p>")),
        413,
        "bad_xml",
    ),
    "deep nesting": (
        "item.xml",
        item(CHOICE.format(body="<div>" * 200 + "x" + "</div>" * 200)),
        400,
        "bad_xml",
    ),
    "href outside": ("q.zip", package({}, hrefs=["../../etc/passwd"]), 400, "unsafe_href"),
    "zip slip": ("q.zip", package({"../../tmp/evil.xml": item(ESSAY)}), 400, "unsafe_name"),
    "zip bomb": ("q.zip", package({"pad.bin": b"\0" * 5_000_000}), 400, "compression_ratio"),
    "too many entries": (
        "q.zip",
        package({f"f{n}.txt": b"" for n in range(2001)}),
        413,
        "too_many_files",
    ),
    "binary garbage": ("bank.txt", bytes(range(256)) * 8, 415, "unsupported_format"),
    "someone else's file": (
        "bank.gift",
        f"[markdown]![map](/assets/{'ab' * 32})\n\nQ? {{=a ~b}}\n".encode(),
        422,
        "unknown_asset",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_uploads_are_refused_and_store_nothing(client, as_user, settings, case):
    name, content, status, code = HOSTILE[case]
    teacher = await as_user("teacher")
    before = stored_files(settings.uploads_dir)
    for query in ("?dry_run=1", ""):
        response = await send(client, teacher, name, content, query)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert await my_lessons(client, teacher) == 0
    assert stored_files(settings.uploads_dir) == before


async def test_scripts_in_item_bodies_are_sanitized(client, as_user):
    body = (
        '<p>Safe?<script>alert("s")</script><a href="javascript:alert(1)">link</a>'
        '<img src="x.png" onerror="alert(2)" alt="pic"/></p>'
    )
    teacher = await as_user("teacher")
    response = await send(
        client, teacher, "q.zip", package({"a.xml": item(CHOICE.format(body=body))})
    )
    assert response.status_code == 201, response.text
    stored = (await client.get(f"/api/v1/lessons/{response.json()['id']}", headers=teacher)).text
    assert "Safe?" in stored
    for needle in ("script", "javascript:", "onerror", "alert"):
        assert needle not in stored.lower(), needle
