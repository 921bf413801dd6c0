"""The JSON Schema of our lesson zip's ``lesson.json``, generated from the reader's model.

Served at ``GET /api/v1/lessons/zip.schema.json`` and committed as
docs/lesson-zip.schema.json (a test keeps the two equal). To regenerate the docs copy::

    .venv/bin/python -m lessons.zip_schema > docs/lesson-zip.schema.json

The schema is what a producer must write; the reader checks a little more than JSON Schema
can say (a title that is only spaces, an answer key pointing past the options, block ids
used twice), with the same 422 ``invalid_lesson`` naming the field.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from lessons.exchange.zip_model import LessonZip

SCHEMA_URL = "/api/v1/lessons/zip.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def lesson_zip_schema() -> dict[str, Any]:
    """The schema of ``lesson.json`` in the format version the writer writes."""
    return {"$schema": DIALECT, **LessonZip.model_json_schema(mode="validation")}


@functools.cache
def lesson_zip_schema_text() -> str:
    """The schema as the docs file and the API carry it (stable, UTF-8, a final newline)."""
    return json.dumps(lesson_zip_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    print(lesson_zip_schema_text(), end="")
