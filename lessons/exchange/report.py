"""What a reader of any exchange format returns, and how an import is shown before it is made."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Skipped:
    """One item of the source that was not imported: which (an identifier, a title or a line
    such as ``"line 12"``) and why, in the reader's language."""

    item: str
    reason: str

    def public(self) -> dict[str, str]:
        return {"item": self.item, "reason": self.reason}


@dataclass
class ImportReport:
    """A lesson built from a source file, ready for ``lesson_create``.

    ``lesson`` has the keys of our exchange zip's lesson (``title``, ``summary``, ``subject``,
    ``grades``, ``tags``, ``language``, ``licence``, ``authors``, ``blocks``) and has been
    validated like an authored lesson; ``assets`` maps sha256 → (mime, content), every hash and
    type checked; ``skipped`` lists what could not be imported (the rest was).
    """

    format: str  # "eschool" | "qti3" | "qti21" | "cc13" | "gift" | "aiken"
    lesson: dict[str, Any]
    assets: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        """The preview an import dialog shows (a dry run answers with it)."""
        blocks = self.lesson.get("blocks", [])
        questions = sum(len(b.get("questions", [])) for b in blocks if b.get("kind") == "quiz")
        return {
            "format": self.format,
            "title": self.lesson.get("title", ""),
            "blocks": len(blocks),
            "questions": questions,
            "assets": len(self.assets),
            "skipped": [item.public() for item in self.skipped],
        }
