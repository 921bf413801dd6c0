"""Wire models of the set-up API pieces (`gradebook.setup.api`)."""

from __future__ import annotations

from pydantic import Field as WireField

from eschool.models import WireModel


class SubjectUpdate(WireModel):
    """Only what is sent changes; a blank short name becomes the name's first letters."""

    name: str | None = WireField(default=None, min_length=1, max_length=100)
    short_name: str | None = WireField(default=None, max_length=32)
