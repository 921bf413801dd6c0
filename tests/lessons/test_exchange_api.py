"""Export and import through the API: a faithful round trip; hostile archives store nothing."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from lessons.exchange.eschool_zip import FORMAT, FORMAT_VERSION

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(120))
PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 4
HTML = b"<html><body><script>alert(1)</script></body></html>"
CONTENT_KEYS = ("title", "summary", "subject", "grades", "tags", "language", "licence", "blocks")


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def stored_files(uploads: Path) -> list[Path]:
    return sorted(p for p in uploads.rglob("*") if p.is_file() and p.parent.name != "tmp")


async def authored_lesson(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    for content, name in ((PNG, "map.png"), (PDF, "sheet.pdf")):
        response = await client.post(
            "/api/v1/assets", files={"file": (name, content)}, headers=headers
        )
        assert response.status_code == 201
    body = {
        "title": "Материки и океаны",
        "summary": "Обзор карты мира",
        "subject": "Geography",
        "grades": [6, 7],
        "tags": ["карта", "World"],
        "language": "ru",
        "licence": "CC-BY-4.0",
        "blocks": [
            {"kind": "text", "text": f"Смотрите карту: ![карта](/assets/{sha(PNG)})"},
            {"kind": "image", "asset": sha(PNG), "alt": "Карта мира"},
            {"kind": "file", "asset": sha(PDF)},
            {
                "kind": "quiz",
                "questions": [
                    {
                        "kind": "match",
                        "prompt": "Соедините",
                        "options": {"left": ["Африка", "Евразия"], "right": ["Нил", "Волга"]},
                        "answer": [[0, 0], [1, 1]],
                    },
                    {"kind": "text", "prompt": "Самый большой океан?", "answer": ["Тихий"]},
                ],
            },
            {"kind": "poll", "prompt": "Где вы были?", "options": ["Европа", "Азия"]},
            {"kind": "whiteboard", "background": sha(PNG)},
        ],
    }
    created = await client.post("/api/v1/lessons", json=body, headers=headers)
    assert created.status_code == 201, created.text
    lesson = created.json()
    await client.post(f"/api/v1/lessons/{lesson['id']}/publish", headers=headers)
    return lesson


async def test_export_then_import_gives_the_same_lesson(client, as_user, settings):
    geography = await as_user("geography")
    original = await authored_lesson(client, geography)
    exported = await client.get(f"/api/v1/lessons/{original['id']}/export", headers=geography)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    assert "attachment" in exported.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["lesson.json", f"assets/{sha(PNG)}", f"assets/{sha(PDF)}"]
        )
        document = json.loads(archive.read("lesson.json"))
    assert document["lesson"]["authors"] == ["Сергей Николаевич Козлов"]

    # Another teacher imports it (the files are theirs now), and gets the same content.
    history = await as_user("history")
    before = stored_files(settings.uploads_dir)
    imported = await client.post(
        "/api/v1/lessons/import",
        files={"file": ("lesson.zip", exported.content, "application/zip")},
        headers=history,
    )
    assert imported.status_code == 201, imported.text
    copy = imported.json()
    assert copy["id"] != original["id"]
    assert copy["status"] == "draft"
    assert copy["author"]["name"] == "Игорь Павлович Соколов"
    assert copy["credits"] == ["Сергей Николаевич Козлов"]
    for key in CONTENT_KEYS:
        assert copy[key] == original[key], key
    assert stored_files(settings.uploads_dir) == before  # same content, stored once
    image = await client.get(f"/assets/{sha(PNG)}", headers=history)
    assert image.status_code == 200 and image.content == PNG

    # A second round trip changes nothing either.
    again = await client.get(f"/api/v1/lessons/{copy['id']}/export", headers=history)
    with zipfile.ZipFile(io.BytesIO(again.content)) as archive:
        lesson_again = json.loads(archive.read("lesson.json"))["lesson"]
    for key in CONTENT_KEYS:
        if key != "blocks":
            assert lesson_again[key] == document["lesson"][key], key
    assert lesson_again["blocks"] == document["lesson"]["blocks"]


def archive(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def lesson_json(blocks: list[dict[str, Any]], **lesson: Any) -> bytes:
    return json.dumps(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "lesson": {
                "title": "Чужой урок",
                "summary": "",
                "subject": "",
                "grades": [],
                "tags": [],
                "language": "ru",
                "licence": "CC-BY-4.0",
                "authors": [],
                **lesson,
                "blocks": blocks,
            },
        }
    ).encode()


IMAGE_BLOCK = [{"kind": "image", "asset": sha(PNG)}]
HOSTILE = {
    "not a zip": (b"PK\x03\x04 this is not really a zip", 400),
    "path traversal": (
        archive({"lesson.json": lesson_json(IMAGE_BLOCK), f"../assets/{sha(PNG)}": PNG}),
        400,
    ),
    "absolute path": (archive({"/etc/lesson.json": lesson_json([])}), 400),
    "zip bomb": (
        archive({"lesson.json": lesson_json([]), "assets/bomb": b"\x00" * 30_000_000}),
        400,
    ),
    "missing file": (archive({"lesson.json": lesson_json(IMAGE_BLOCK)}), 400),
    "wrong hash": (
        archive({"lesson.json": lesson_json(IMAGE_BLOCK), f"assets/{sha(PNG)}": PNG + b"x"}),
        400,
    ),
    "forbidden type": (
        archive(
            {
                "lesson.json": lesson_json([{"kind": "file", "asset": sha(HTML)}]),
                f"assets/{sha(HTML)}": HTML,
            }
        ),
        415,
    ),
    "invalid lesson": (
        archive(
            {
                "lesson.json": lesson_json(
                    [{"kind": "quiz", "questions": [{"kind": "single", "prompt": "?"}]}]
                ),
                f"assets/{sha(PNG)}": PNG,
            }
        ),
        422,
    ),
    "title too long for us": (
        archive({"lesson.json": lesson_json([], title="Я" * 300), f"assets/{sha(PNG)}": PNG}),
        422,
    ),
    "grade out of range": (archive({"lesson.json": lesson_json([], grades=[7, 12])}), 422),
    "empty language": (archive({"lesson.json": lesson_json([], language="")}), 422),
    "wrong format": (archive({"lesson.json": b'{"format": "scorm"}'}), 400),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_archives_are_refused_and_store_nothing(client, as_user, settings, case):
    content, status = HOSTILE[case]
    teacher = await as_user("teacher")
    response = await client.post(
        "/api/v1/lessons/import", files={"file": ("x.zip", content)}, headers=teacher
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert (await client.get("/api/v1/lessons?author=me", headers=teacher)).json()["total"] == 0
    assert stored_files(settings.uploads_dir) == []


async def test_a_good_foreign_archive_imports(client, as_user, settings):
    content = archive(
        {
            "lesson.json": lesson_json(IMAGE_BLOCK, grades=[7], language="en", authors=["A. B."]),
            f"assets/{sha(PNG)}": PNG,
            "assets/unused": b"dropped",
        }
    )
    teacher = await as_user("teacher")
    response = await client.post(
        "/api/v1/lessons/import", files={"file": ("x.zip", content)}, headers=teacher
    )
    assert response.status_code == 201, response.text
    lesson = response.json()
    assert lesson["grades"] == [7]
    assert lesson["language"] == "en"
    assert lesson["credits"] == ["A. B."]
    assert [p.name for p in stored_files(settings.uploads_dir)] == [sha(PNG)]


async def test_pupils_may_not_import(client, as_user):
    content = archive({"lesson.json": lesson_json([])})
    response = await client.post(
        "/api/v1/lessons/import", files={"file": ("x.zip", content)}, headers=await as_user("pupil")
    )
    assert response.status_code == 403
