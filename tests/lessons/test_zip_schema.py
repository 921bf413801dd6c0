"""The lesson zip's published JSON Schema, and the reader that refuses what it does not allow."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from sqlalchemy import func
from sqlmodel import select

from eschool.uploads.models import Upload
from lessons.models import Lesson
from lessons.zip_schema import lesson_zip_schema, lesson_zip_schema_text

DOCS_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "lesson-zip.schema.json"
LESSON = {
    "title": "Степени",
    "summary": "Что такое степень",
    "subject": "Mathematics",
    "grades": [7],
    "tags": ["алгебра"],
    "language": "en",
    "licence": "CC-BY-4.0",
    "blocks": [
        {"kind": "text", "text": "**2³** = 8"},
        {
            "kind": "quiz",
            "questions": [
                {"kind": "single", "prompt": "2² = ?", "options": ["2", "4"], "answer": 1},
                {"kind": "number", "prompt": "2⁵ = ?", "answer": {"value": 32, "tolerance": 0}},
            ],
        },
    ],
}


async def exported_zip(client: httpx.AsyncClient, headers: dict[str, str]) -> bytes:
    created = await client.post("/api/v1/lessons", json=LESSON, headers=headers)
    assert created.status_code == 201, created.text
    exported = await client.get(f"/api/v1/lessons/{created.json()['id']}/export", headers=headers)
    assert exported.status_code == 200
    return exported.content


def lesson_json_of(archive: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return json.loads(zf.read("lesson.json"))


def with_lesson_json(archive: bytes, document: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, json.dumps(document) if name == "lesson.json" else content)
    return buffer.getvalue()


async def import_zip(
    client: httpx.AsyncClient, headers: dict[str, str], archive: bytes, query: str = ""
) -> httpx.Response:
    return await client.post(
        f"/api/v1/lessons/import{query}", files={"file": ("lesson.zip", archive)}, headers=headers
    )


async def counts(sessionmaker) -> tuple[int, int]:
    async with sessionmaker() as session:
        lessons = (await session.exec(select(func.count()).select_from(Lesson))).one()
        uploads = (await session.exec(select(func.count()).select_from(Upload))).one()
    return lessons, uploads


async def test_the_schema_is_public_and_an_export_fits_it_and_imports_again(client, as_user):
    served = await client.get("/api/v1/lessons/zip.schema.json")  # no sign-in
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/schema+json")
    assert served.json() == lesson_zip_schema()
    validator = jsonschema_rs.validator_for(served.json())

    teacher = await as_user("teacher")
    archive = await exported_zip(client, teacher)
    document = lesson_json_of(archive)
    validator.validate(document)
    assert document["lesson"]["language"] == "en"

    imported = await import_zip(client, teacher, archive)
    assert imported.status_code == 201, imported.text
    lesson = imported.json()
    for key in ("title", "summary", "subject", "grades", "tags", "language", "licence"):
        assert lesson[key] == LESSON[key]
    assert lesson["credits"] == document["lesson"]["authors"] != []


@pytest.mark.parametrize("field", ["language", "licence"])
async def test_a_zip_missing_a_required_field_is_refused_naming_it(
    client, as_user, sessionmaker, field
):
    teacher = await as_user("teacher")
    exported = await exported_zip(client, teacher)
    document = lesson_json_of(exported)
    del document["lesson"][field]
    assert not jsonschema_rs.validator_for(lesson_zip_schema()).is_valid(document)
    archive = with_lesson_json(exported, document)
    before = await counts(sessionmaker)

    for query in ("?dry_run=1", ""):
        response = await import_zip(client, teacher, archive, query)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_lesson"
        assert f"lesson.json: lesson.{field}: Field required" in error["message"]
        assert {"loc": ["lesson", field], "message": "Field required"} in error["details"]
    assert await counts(sessionmaker) == before


def test_the_committed_docs_schema_is_the_generated_one():
    assert DOCS_SCHEMA.read_text(encoding="utf-8") == lesson_zip_schema_text(), (
        "docs/lesson-zip.schema.json is stale; regenerate it with "
        "`.venv/bin/python -m lessons.zip_schema > docs/lesson-zip.schema.json`"
    )
