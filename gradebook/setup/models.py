"""Wire models of the set-up API pieces (`gradebook.setup.api`)."""

from __future__ import annotations

from eschool.models import WireModel
from gradebook.wire_fields import ShortName, SubjectName


class SubjectUpdate(WireModel):
    """Only what is sent changes; a blank short name becomes the name's first letters."""

    name: SubjectName | None = None
    short_name: ShortName | None = None
