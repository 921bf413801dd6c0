"""The table of uploaded files."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from eschool.timeutil import utcnow


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
    mime: str = Field(max_length=100)
    size: int
    filename: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
