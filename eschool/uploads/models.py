"""The table of uploaded files, and what the API answers about one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field as WireField
from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.api_schema import Public
from eschool.timeutil import utcnow

SHA256_PATTERN = r"^[0-9a-f]{64}$"
MIME_MAX = 100
FILENAME_MAX = 255
# A stored file's id: the sha256 of its content, in lowercase hex.
Sha256 = Annotated[
    str, WireField(pattern=SHA256_PATTERN, description="The sha256 of the content, hex.")
]


class Upload(SQLModel, table=True):
    """An uploaded file; the content lives in the upload store under its sha256.

    One row per (content, uploader): the same file uploaded by two people is stored once on
    disk and has two rows, each in its uploader's school. The table keeps the name ``assets``
    it had when the store belonged to the lesson library (created by migration
    ``lessons_0001``), so that existing databases keep their files.
    """

    __tablename__ = "assets"
    __table_args__ = (UniqueConstraint("sha256", "uploaded_by"),)

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    school_id: int = Field(foreign_key="schools.id", index=True)
    uploaded_by: int = Field(foreign_key="users.id", index=True)
    mime: str = Field(max_length=MIME_MAX)
    size: int
    filename: str = Field(default="", max_length=FILENAME_MAX)
    created_at: datetime = Field(default_factory=utcnow)


class UploadPublic(Public):
    """A stored file: its id (the sha256 of the content), where to fetch it, its type as
    sniffed from the content, its size in bytes and the name it was uploaded under."""

    id: Sha256
    url: str = WireField(
        description="`/assets/<id>`: only its uploader and the people "
        "something that uses it lets see it may fetch it."
    )
    mime: str = WireField(max_length=MIME_MAX)
    size: int = WireField(ge=0)
    filename: str = WireField(max_length=FILENAME_MAX)
