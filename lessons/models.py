"""Tables of the lesson library and the wire models of its API.

A lesson has two faces. The ``lessons`` row is the working copy that only its author
(and the school's admin) sees and edits; every publication freezes it into an immutable
``lesson_versions`` row, which is what the rest of the school sees. Both tables share the
columns of ``LessonFace``, so one search serves either.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints, field_validator
from pydantic import Field as WireField
from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.models import MAX_ID, WireModel
from eschool.timeutil import utcnow
from lessons.blocks import Blocks

DEFAULT_LICENCE = "CC-BY-SA-4.0"
LICENCES = ("CC-BY-SA-4.0", "CC-BY-4.0", "CC-BY-NC-SA-4.0", "CC0-1.0", "all-rights-reserved")
DEFAULT_LANGUAGE = "ru"
MIN_GRADE, MAX_GRADE = 1, 11
MAX_TITLE = 200
MAX_SUMMARY = 2000
MAX_SUBJECT = 100
MAX_TAG = 50
MAX_TAGS = 20
MAX_CREDITS = 20
MAX_CREDIT = 200  # one earlier author's name (as long as a person's name may be)
MAX_LICENCE = 64
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


class LessonStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class LessonFace(SQLModel):
    """What a reader sees of a lesson: the columns shared by lessons and their versions."""

    title: str = Field(max_length=MAX_TITLE)
    summary: str = Field(default="", sa_type=Text)
    subject: str = Field(default="", max_length=MAX_SUBJECT)
    grades: list[int] = Field(default_factory=list, sa_type=JSON)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    language: str = Field(default=DEFAULT_LANGUAGE, max_length=16)
    licence: str = Field(default=DEFAULT_LICENCE, max_length=64)
    # Names of earlier authors (from an imported archive) that attribution must keep.
    credits: list[str] = Field(default_factory=list, sa_type=JSON)
    blocks: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Filter keys, one per line ("subject:…", "grade:7", "tag:…"), case-folded in Python
    # so that Cyrillic compares the same way on SQLite and PostgreSQL.
    facets: str = Field(default="", sa_type=Text)
    # The words full-text search looks at besides title and summary: subject, tags, blocks.
    search_text: str = Field(default="", sa_type=Text)


class Lesson(LessonFace, table=True):
    """A lesson's working copy and its place in the library."""

    __tablename__ = "lessons"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    status: str = Field(default=LessonStatus.draft, max_length=16, index=True)
    # Bumped by every saved edit; a PUT must name the revision it started from.
    revision: int = Field(default=1)
    # The latest published version's number, and the revision it was made from.
    version: int | None = Field(default=None)
    published_revision: int | None = Field(default=None)
    published_at: datetime | None = Field(default=None)
    copied_from_id: int | None = Field(default=None, foreign_key="lessons.id", index=True)
    copied_from_version: int | None = Field(default=None)
    copied_from_title: str = Field(default="", max_length=MAX_TITLE)
    copied_from_author: str = Field(default="", max_length=200)
    copies: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class LessonVersion(LessonFace, table=True):
    """An immutable published snapshot: live lessons and journal slots point at one."""

    __tablename__ = "lesson_versions"
    __table_args__ = (UniqueConstraint("lesson_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lessons.id", index=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    number: int
    author_id: int = Field(foreign_key="users.id")
    published_by: int = Field(foreign_key="users.id")
    published_at: datetime = Field(default_factory=utcnow)
    # The current version of a published lesson: what the library lists and searches. Kept by
    # the database's triggers on every write (migration lessons_0003), never set by the code.
    listed: bool = False


class LessonAssetRef(SQLModel, table=True):
    """A file a lesson uses: in its working copy (``version`` null) or in a version.

    The file itself is in the shell's upload store (``eschool.uploads``), keyed by sha256.
    """

    __tablename__ = "lesson_asset_refs"

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    lesson_id: int = Field(foreign_key="lessons.id", index=True)
    version: int | None = Field(default=None)
    sha256: str = Field(max_length=64, index=True)


# --- wire models -----------------------------------------------------------------------


def _one_line(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def _distinct_tags(tags: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for tag in tags:
        if tag.casefold() not in seen:
            seen.add(tag.casefold())
            kept.append(tag)
    return kept


Title = Annotated[
    str,
    BeforeValidator(_one_line),
    StringConstraints(min_length=1, max_length=MAX_TITLE),
]
Subject = Annotated[str, BeforeValidator(_one_line), StringConstraints(max_length=MAX_SUBJECT)]
Tag = Annotated[
    str, BeforeValidator(_one_line), StringConstraints(min_length=1, max_length=MAX_TAG)
]
Grade = Annotated[int, WireField(ge=MIN_GRADE, le=MAX_GRADE)]
Summary = Annotated[str, StringConstraints(max_length=MAX_SUMMARY)]
Grades = Annotated[list[Grade], WireField(max_length=MAX_GRADE)]
Tags = Annotated[list[Tag], WireField(max_length=MAX_TAGS), AfterValidator(_distinct_tags)]
Language = Annotated[str, WireField(pattern=LANGUAGE_PATTERN, max_length=16)]
Licence = Annotated[str, BeforeValidator(_one_line), StringConstraints(max_length=MAX_LICENCE)]
Credit = Annotated[str, BeforeValidator(_one_line), StringConstraints(max_length=MAX_CREDIT)]
Credits = Annotated[list[Credit], WireField(max_length=MAX_CREDITS)]


class LessonFields(WireModel):
    """The authored part of a lesson, as ``POST`` and ``PUT`` take it."""

    title: Title
    summary: Summary = ""
    subject: Subject = ""
    grades: Grades = WireField(default_factory=list)
    tags: Tags = WireField(default_factory=list)
    language: Language | None = None
    licence: Licence = DEFAULT_LICENCE
    blocks: Blocks = WireField(default_factory=list)

    @field_validator("grades")
    @classmethod
    def _sorted_grades(cls, grades: list[int]) -> list[int]:
        return sorted(set(grades))

    @field_validator("licence")
    @classmethod
    def _licence_or_default(cls, licence: str) -> str:
        return licence or DEFAULT_LICENCE


class LessonCreate(LessonFields):
    """``POST /api/v1/lessons``."""


class LessonUpdate(LessonFields):
    """``PUT /api/v1/lessons/{id}``: the whole lesson and the revision the edit started from."""

    revision: int = WireField(ge=1, le=MAX_ID)


class MarkdownPreview(WireModel):
    """``POST /api/v1/lessons/preview``: Markdown to render as a text block would show."""

    text: Annotated[str, StringConstraints(max_length=50_000)]


SORTS = ("relevance", "newest", "title", "copied")


class LessonFilters(WireModel):
    """The query of ``GET /api/v1/lessons`` and the library page."""

    q: Annotated[str, StringConstraints(max_length=200)] = ""
    subject: Subject = ""
    grade: Grade | None = None
    tag: Annotated[str, BeforeValidator(_one_line), StringConstraints(max_length=MAX_TAG)] = ""
    author: Annotated[str, WireField(pattern=r"^(me|all|[0-9]{1,10})?$")] = ""
    status: LessonStatus | None = None
    sort: Annotated[str, WireField(pattern=rf"^({'|'.join(SORTS)})?$")] = ""

    @field_validator("grade", "status", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value


def facet(kind: str, value: str | int) -> str:
    """One filter key as ``LessonFace.facets`` stores it (case-folded)."""
    return f"{kind}:{str(value).casefold()}"
