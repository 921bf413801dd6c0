"""QTI 2.1 import: a content package (``imsmanifest.xml`` with ``imsqti_item_xmlv2p1`` /
``imsqti_test_xmlv2p1`` resources) or a single ``assessmentItem`` file → a lesson with quizzes.

Items map to questions through :mod:`lessons.exchange.qti_items` (shared with the QTI 3.0
reader); what does not map is listed in the report's ``skipped`` and the rest imported.
Prompts and options are Markdown (see :mod:`lessons.exchange.markdown_xhtml`): a picture
that is a file of the package becomes a picture of the lesson's files where it stands
(``![alt](/assets/<sha256>)``), an ``https`` picture stays a link, others leave their alt.
A manifest or item pointing outside the package refuses the whole package.
"""

from __future__ import annotations

import posixpath
from typing import Any
from xml.etree.ElementTree import Element

from lessons.blocks import MAX_BLOCKS, MAX_QUESTIONS, block_assets
from lessons.exchange.eschool_zip import ExchangeError, validate_lesson
from lessons.exchange.ims_package import Package, resolve_href
from lessons.exchange.markdown_xhtml import image_markdown
from lessons.exchange.qti_items import Unsupported, attr, convert_item, find_all, qti_name
from lessons.exchange.report import ImportReport, Skipped
from lessons.exchange.safe_xml import parse_xml

FORMAT = "qti21"
ITEM_TYPE_PREFIX = "imsqti_item_xmlv2p"  # 2.1, and 2.2 which reads the same
TEST_TYPE_PREFIX = "imsqti_test_xmlv2p"
DEFAULT_TITLE = "Imported questions"
MAX_TITLE_CHARS = 200
MAX_ITEMS = 1000


def read_qti21(data: bytes) -> ImportReport:
    """Read a QTI 2.1 package or item; raises ``ExchangeError`` for a refused file."""
    if data[:2] == b"PK":
        return _read_package(data)
    root = parse_xml(data)
    if qti_name(root.tag) != "assessmentItem":
        raise ExchangeError("not_qti", "the file is not a QTI 2.1 assessment item")
    builder = LessonBuilder(attr(root, "title") or DEFAULT_TITLE)
    builder.add_item(root, None)
    return builder.report(FORMAT)


def _read_package(data: bytes) -> ImportReport:
    package = Package(data)
    try:
        manifest = package.manifest()
        resources = package.resources(manifest)
        items = [r for r in resources if r.type.startswith(ITEM_TYPE_PREFIX) and r.href]
        tests = [r for r in resources if r.type.startswith(TEST_TYPE_PREFIX) and r.href]
        title = _manifest_title(manifest)
        order: list[str] = []
        for test in [t for t in tests if package.has(str(t.href))][:1]:
            root = package.xml(str(test.href))
            title = attr(root, "title") or title
            base = posixpath.dirname(str(test.href))
            order = [
                resolve_href(base, attr(ref, "href"))
                for ref in find_all(root, "assessmentItemRef")
                if attr(ref, "href")
            ]
        paths = [str(r.href) for r in items]
        paths = [p for p in order if p in paths] + [p for p in paths if p not in order]
        if not paths and not order:
            raise ExchangeError("no_items", "the package holds no QTI 2.1 items")
        builder = LessonBuilder(title or DEFAULT_TITLE, package)
        for path in paths[:MAX_ITEMS]:
            if not package.has(path):
                builder.skipped.append(Skipped(path, "the file is missing from the package"))
                continue
            root = package.xml(path)
            if qti_name(root.tag) != "assessmentItem":
                builder.skipped.append(Skipped(path, "not a QTI 2.1 assessment item"))
                continue
            builder.add_item(root, posixpath.dirname(path))
        for path in order:
            if path not in paths:
                builder.skipped.append(Skipped(path, "not listed as an item in the manifest"))
        return builder.report(FORMAT)
    finally:
        package.close()


def _manifest_title(manifest: Element) -> str:
    for node in manifest.iter():
        if qti_name(node.tag) == "title":
            text = " ".join("".join(node.itertext()).split())
            if text:
                return text
    return ""


class LessonBuilder:
    """Collects questions into quiz blocks, the files they use and what was skipped; shared
    by the QTI and Common Cartridge readers."""

    def __init__(self, title: str, package: Package | None = None) -> None:
        self.title = " ".join(title.split())[:MAX_TITLE_CHARS] or DEFAULT_TITLE
        self.package = package
        self.blocks: list[dict[str, Any]] = []
        self.assets: dict[str, tuple[str, bytes]] = {}
        self.skipped: list[Skipped] = []
        self._quiz: dict[str, Any] | None = None

    def add_item(self, item: Element, base_dir: str | None) -> None:
        name = attr(item, "identifier") or attr(item, "title") or f"item {self._count() + 1}"

        def on_image(src: str, alt: str) -> str:
            if src.startswith("https://") and not any(c in src for c in " ()<>"):
                return image_markdown(alt, "").replace("(/assets/)", f"({src})")
            return image_markdown(alt, self._image(src, base_dir))

        try:
            converted = convert_item(item, on_image=on_image)
        except Unsupported as reason:
            self.skipped.append(Skipped(name, str(reason)))
            return
        self.add_question(converted.question)

    def add_question(self, question: dict[str, Any]) -> None:
        if self._quiz is None or len(self._quiz["questions"]) >= MAX_QUESTIONS:
            if len(self.blocks) + 1 > MAX_BLOCKS:
                self.skipped.append(
                    Skipped(question["prompt"][:80], "the lesson has too many blocks")
                )
                return
            self._quiz = {"kind": "quiz", "questions": []}
            self.blocks.append(self._quiz)
        self._quiz["questions"].append(question)

    def add_block(self, block: dict[str, Any]) -> None:
        """Add a non-quiz block; the next question starts a new quiz block."""
        self.blocks.append(block)
        self._quiz = None

    def end_quiz(self) -> None:
        """The next question starts a new quiz block."""
        self._quiz = None

    def _image(self, src: str, base_dir: str | None) -> str | None:
        if self.package is None or base_dir is None or not src or src.startswith("data:"):
            return None
        if src.startswith(("http://", "https://")):
            return None
        found = self.package.image_asset(resolve_href(base_dir, src), self.assets)
        return found[0] if found else None

    def _count(self) -> int:
        return sum(len(b["questions"]) for b in self.blocks if b["kind"] == "quiz")

    def report(self, format: str) -> ImportReport:
        lesson = validate_lesson(
            {"title": self.title, "blocks": self.blocks, "language": "", "summary": ""}
        )
        used = block_assets(lesson["blocks"])
        assets = {key: value for key, value in self.assets.items() if key in used}
        return ImportReport(format=format, lesson=lesson, assets=assets, skipped=self.skipped)
