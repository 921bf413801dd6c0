"""The wire model of ``lesson.json``, the heart of our lesson zip (docs/lesson-zip.md).

It is what the reader accepts, and its JSON Schema (:mod:`lessons.zip_schema`) is what we
publish. Every field the writer (``pack_lesson`` fed by ``services.lesson_export``) emits
is required: a field left out is an error naming it, never a default filled in silently.
The limits are the authored lesson's own (``lessons.models``), so whatever we export
imports again. Unknown keys, from a newer writer, are ignored.

Format versions are read explicitly: ``LESSON_ZIP_VERSIONS`` maps each version this server
reads to its model. Version 1 is the only one, and its writer has always emitted every
field required here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lessons.blocks import Blocks
from lessons.models import Credits, Grades, Language, Licence, Subject, Summary, Tags, Title

FORMAT = "eschool-lesson"
FORMAT_VERSION = 1
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class ZipLesson(BaseModel):
    """The lesson: what ``POST /api/v1/lessons`` takes, plus its earlier authors."""

    model_config = ConfigDict(extra="ignore", title="Lesson")

    title: Title = Field(description="One line; inner whitespace is collapsed.")
    summary: Summary = Field(description="Plain text; empty when there is none.")
    subject: Subject = Field(description="Free text, e.g. `Mathematics`; may be empty.")
    grades: Grades = Field(description="School years the lesson is for; may be empty.")
    tags: Tags = Field(description="Keywords; a repeated tag (case-insensitive) is kept once.")
    language: Language = Field(description="The lesson's language, a BCP 47 tag like `ru`.")
    licence: Annotated[Licence, StringConstraints(min_length=1)] = Field(
        description="An SPDX identifier such as `CC-BY-SA-4.0`, or `all-rights-reserved`."
    )
    authors: Credits = Field(
        description="Everyone who wrote the lesson, earliest first; the importer keeps them "
        "as credits."
    )
    blocks: Blocks = Field(description="The content, in order (CONTRACT.md, Lessons: Blocks).")


class ZipAsset(BaseModel):
    """One file under ``assets/``, as the writer saw it."""

    model_config = ConfigDict(extra="ignore", title="Asset")

    mime: str = Field(description="Its media type, e.g. `image/png`.")
    size: int = Field(ge=0, description="Its size in bytes.")


class LessonZipV1(BaseModel):
    """``lesson.json`` of an eschool lesson zip, format version 1."""

    model_config = ConfigDict(extra="ignore", title="eschool lesson zip: lesson.json")

    format: Literal["eschool-lesson"] = Field(description="Always `eschool-lesson`.")
    format_version: Literal[1] = Field(description="The version of this layout.")
    lesson: ZipLesson
    assets: dict[Annotated[str, StringConstraints(pattern=SHA256_PATTERN)], ZipAsset] = Field(
        default_factory=dict,
        description="A manifest of the files under `assets/`, by sha256. Our writer always "
        "writes it; the reader does not rely on it (it checks each file a block uses: its "
        "sha256 and its type, sniffed from the content), so it may be left out.",
    )


LESSON_ZIP_VERSIONS: dict[int, type[LessonZipV1]] = {1: LessonZipV1}
LessonZip = LESSON_ZIP_VERSIONS[FORMAT_VERSION]  # the version the writer writes
