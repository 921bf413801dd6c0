"""What the lesson library's API answers — the ``*Public`` models (``eschool.api_schema``) —
and the query parameters its endpoints read.

The fields reuse the limits of the wire models in ``lessons.models``, so a limit is declared
once. Moments are ISO 8601 text in UTC with a ``Z`` and no fractions (``eschool.timeutil.iso``).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from eschool.api_schema import Moment, Public
from eschool.models import MAX_ID, WireModel
from lessons.blocks import BLOCK_KINDS, BlockId
from lessons.models import (
    Credits,
    Grades,
    Language,
    LessonFilters,
    LessonStatus,
    Licence,
    Subject,
    Summary,
    Tags,
    Title,
)

Count = Annotated[int, Field(ge=0)]
VersionNumber = Annotated[int, Field(ge=1)]
BlockKind = Literal["text", "image", "video", "file", "quiz", "poll", "whiteboard"]
assert set(get_args(BlockKind)) == set(BLOCK_KINDS)


class PersonBrief(Public):
    """A person as lessons show authors and publishers."""

    id: int
    name: str


class CopiedFrom(Public):
    """The attribution of a copy: the lesson it was copied from, as it was then."""

    id: int
    title: str
    author: str
    version: int | None = Field(description="The version copied; null: the working copy.")


class ShownBlock(BaseModel):
    """A block as answers carry it: the stored block (the fields of its ``kind``, as the
    request's ``blocks`` take them), text blocks with the rendered ``html``, quiz questions
    and polls with ``prompt_html``; answer keys for teachers and admins only."""

    model_config = ConfigDict(extra="allow")

    id: BlockId
    kind: BlockKind


class LessonSummaryPublic(Public):
    """A lesson as lists show it: no blocks, but which kinds of block it has."""

    id: int
    title: Title
    summary: Summary
    subject: Subject
    grades: Grades
    tags: Tags
    language: Language
    licence: Licence
    credits: Credits = Field(description="Earlier authors (from an imported file) to credit.")
    status: LessonStatus
    author: PersonBrief | None
    version: VersionNumber | None = Field(description="The latest published version.")
    draft_changes: bool = Field(description="The working copy differs from the latest version.")
    copied_from: CopiedFrom | None
    copies: Count
    block_kinds: list[BlockKind]
    updated_at: Moment | None = Field(description="When the face shown last changed.")
    published_at: Moment | None


class LessonPublic(LessonSummaryPublic):
    """A lesson with its blocks: the working copy for its author and the admin, else the
    latest published version (or the version asked for)."""

    revision: int | None = Field(description="The working copy's revision (null for a version).")
    shown_version: VersionNumber | None = Field(description="The version shown; null: working.")
    can_edit: bool
    created_at: Moment
    blocks: list[ShownBlock]


class SkippedPublic(Public):
    """One item of an imported file that was not imported, and why."""

    item: str
    reason: str


class ImportReportPublic(Public):
    """What a file imports as (the preview of a dry run)."""

    format: Literal["eschool", "qti3", "qti21", "cc13", "gift", "aiken"]
    title: str
    blocks: Count
    questions: Count
    assets: Count
    skipped: list[SkippedPublic]


class LessonImportedPublic(LessonPublic):
    """The draft an import made, with the import's report under ``import``."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    imported: ImportReportPublic = Field(alias="import")


class LessonVersionPublic(Public):
    """One published version in a lesson's list of versions."""

    version: VersionNumber
    title: Title
    published_at: Moment
    published_by: PersonBrief | None
    blocks: Count = Field(description="How many blocks it has.")


class PublishedPublic(Public):
    """The version a publication made (or the current one, when nothing changed)."""

    version: VersionNumber


class MarkdownHtml(Public):
    """Markdown rendered and sanitized, as a text block shows it."""

    html: str


# --- query parameters of the API ---------------------------------------------------------


class LessonSearchQuery(LessonFilters):
    """``GET /api/v1/lessons``: the library's filters and the page."""

    # Inline (a query parameter is flat): the statuses, or nothing for the default.
    status: Annotated[
        LessonStatus | None,
        WithJsonSchema({"anyOf": [{"enum": list(LessonStatus)}, {"type": "null"}]}),
    ] = None
    page: int = Field(default=1, ge=1, le=MAX_ID)
    per_page: int = Field(default=20, ge=1, le=200)


class LessonExportQuery(WireModel):
    """``GET /api/v1/lessons/{id}/export``."""

    format: Literal["eschool", "qti3", "cc13"] = Field(
        default="eschool",
        description="Our lesson zip, a QTI 3.0 package or a Common Cartridge 1.3.",
    )


class LessonImportQuery(WireModel):
    """``POST /api/v1/lessons/import``."""

    dry_run: bool = Field(
        default=False, description="Answer the import's report only; nothing is stored."
    )

    @field_validator("dry_run", mode="before")
    @classmethod
    def _blank_is_false(cls, value: object) -> object:
        return False if value == "" else value
