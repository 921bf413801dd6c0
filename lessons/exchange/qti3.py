"""QTI 3.0 import: a content package (``imsmanifest.xml`` with ``imsqti_item_xmlv3p0`` /
``imsqti_test_xmlv3p0`` resources) or a single ``qti-assessment-item`` file → a lesson.

Items map to questions through :mod:`lessons.exchange.qti_items`, shared with the QTI 2.1
reader (3.0's ``qti-choice-interaction`` reads as 2.1's ``choiceInteraction``); what does not
map is listed in the report's ``skipped``. ``write_qti3`` writes every quiz question as one
item (points in the ``MAXSCORE`` outcome) and one test per quiz block. The item body holds the
prompt's Markdown as sanitized XHTML (:mod:`lessons.exchange.markdown_xhtml`) then the
interaction, whose choices carry the options' Markdown; pictures of our asset store are
package files (``items/images/<sha256>.<ext>``) listed with their item. Response processing
scores as ours does (:mod:`lessons.exchange.qti3_processing`).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lessons.exchange.cc13 import EXTENSIONS
from lessons.exchange.eschool_zip import ExchangeError
from lessons.exchange.ims_package import Package, resolve_href
from lessons.exchange.markdown_xhtml import (
    inline_markdown_to_xhtml,
    markdown_to_xhtml,
    serialize,
    xml_text,
)
from lessons.exchange.qti3_processing import (
    number_processing,
    order_outcomes,
    order_processing,
    text_processing,
)
from lessons.exchange.qti21 import DEFAULT_TITLE, MAX_ITEMS, LessonBuilder, _manifest_title
from lessons.exchange.qti_items import attr, find_all, qti_name
from lessons.exchange.report import ImportReport, Skipped
from lessons.exchange.safe_xml import parse_xml
from lessons.markdown import markdown_to_text

FORMAT = "qti3"
ITEM_TYPE = "imsqti_item_xmlv3p0"
TEST_TYPE = "imsqti_test_xmlv3p0"


def read_qti3(data: bytes) -> ImportReport:
    """Read a QTI 3.0 package or item; raises ``ExchangeError`` for a refused file."""
    if data[:2] == b"PK":
        return _read_package(data)
    root = parse_xml(data)
    if qti_name(root.tag) != "assessmentItem":
        raise ExchangeError("not_qti", "the file is not a QTI 3.0 assessment item")
    builder = LessonBuilder(attr(root, "title") or DEFAULT_TITLE)
    builder.add_item(root, None)
    return builder.report(FORMAT)


def _read_package(data: bytes) -> ImportReport:
    package = Package(data)
    try:
        manifest = package.manifest()
        resources = package.resources(manifest)
        items = [r for r in resources if r.type == ITEM_TYPE and r.href]
        tests = [r for r in resources if r.type == TEST_TYPE and r.href]
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
        if not paths:
            raise ExchangeError("no_items", "the package holds no QTI 3.0 items")
        builder = LessonBuilder(title or DEFAULT_TITLE, package)
        for path in paths[:MAX_ITEMS]:
            if not package.has(path):
                builder.skipped.append(Skipped(path, "the file is missing from the package"))
                continue
            root = package.xml(path)
            if qti_name(root.tag) != "assessmentItem":
                builder.skipped.append(Skipped(path, "not a QTI 3.0 assessment item"))
                continue
            builder.add_item(root, posixpath.dirname(path))
        return builder.report(FORMAT)
    finally:
        package.close()


NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
RP = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
IMAGES_DIR = "items/images/"
ASSOCIABLE = "qti-simple-associable-choice"
_ENTRY = '<p><qti-text-entry-interaction response-identifier="RESPONSE"/></p>'
_BOUNDED = '<qti-mapping lower-bound="0" upper-bound="1" default-value="0">'
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_qti3(lesson: dict[str, Any], assets: dict[str, tuple[str, bytes]]) -> bytes:
    """A QTI 3.0 content package of the lesson's quiz blocks; the pictures their prompts and
    options show (``/assets/<sha256>`` in ``assets``: sha256 → (mime, content)) go into
    ``items/images/`` and are listed as files of the items that use them."""
    files: dict[str, bytes] = {}
    resources: list[str] = []
    for b, block in enumerate(b for b in lesson.get("blocks", []) if b.get("kind") == "quiz"):
        block_id = str(block.get("id") or f"quiz{b}")
        refs = []
        for q, question in enumerate(block["questions"]):
            ident = f"Q-{block_id}-{q}"
            path = f"items/{ident}.xml"
            pictures = _Pictures(assets)
            files[path] = _item(ident, question, pictures).encode()
            listed = "".join(f'<file href="{f}"/>' for f in [path, *pictures.used])
            for image in pictures.used:
                files[image] = assets[_sha_of(image)][1]
            resources.append(
                f'<resource identifier="R-{ident}" type="{ITEM_TYPE}" href="{path}">'
                f"{listed}</resource>"
            )
            refs.append(f'<qti-assessment-item-ref identifier="{ident}" href="../{path}"/>')
        test = f"tests/T-{block_id}.xml"
        files[test] = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<qti-assessment-test xmlns="{NS}" '
            f'identifier="T-{block_id}" title={quoteattr(xml_text(str(lesson.get("title", ""))))}>'
            f'<qti-test-part identifier="P-{block_id}" navigation-mode="nonlinear" '
            f'submission-mode="simultaneous"><qti-assessment-section identifier="S-{block_id}" '
            f'title="Quiz" visible="true">{"".join(refs)}</qti-assessment-section>'
            "</qti-test-part></qti-assessment-test>"
        ).encode()
        resources.append(
            f'<resource identifier="R-T-{block_id}" type="{TEST_TYPE}" href="{test}">'
            f'<file href="{test}"/></resource>'
        )
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest xmlns="{CP_NS}" identifier="MANIFEST">'
        "<metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>"
        f"<organizations/><resources>{''.join(resources)}</resources></manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in [("imsmanifest.xml", manifest.encode()), *files.items()]:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), content)
    return buffer.getvalue()


class _Pictures:
    """Package paths (relative to ``items/``) of the pictures an item shows."""

    def __init__(self, assets: dict[str, tuple[str, bytes]]) -> None:
        self.assets = assets
        self.used: list[str] = []

    def __call__(self, sha: str) -> str | None:
        if sha not in self.assets:
            return None
        mime = self.assets[sha][0]
        path = f"{IMAGES_DIR}{sha}{EXTENSIONS.get(mime, '')}"
        if path not in self.used:
            self.used.append(path)
        return posixpath.relpath(path, "items")


def _sha_of(path: str) -> str:
    return posixpath.basename(path).split(".", 1)[0]


def _values(values: list[str]) -> str:
    return "".join(f"<qti-value>{escape(xml_text(v))}</qti-value>" for v in values)


def _choices(tag: str, prefix: str, texts: list[str], pictures: _Pictures) -> str:
    extra = ' match-max="0"' if tag == ASSOCIABLE else ""
    return "".join(
        f'<{tag} identifier="{prefix}{i}"{extra}>'
        f"{serialize(inline_markdown_to_xhtml(t, pictures))}</{tag}>"
        for i, t in enumerate(texts)
    )


def _item(ident: str, q: dict[str, Any], pictures: _Pictures) -> str:
    kind, points = q["kind"], q.get("points", 1)
    prompt = serialize(markdown_to_xhtml(q["prompt"], pictures))
    processing = ""
    outcomes = ""
    mapping = ""
    if kind in {"single", "multiple", "order"}:
        options = _choices("qti-simple-choice", "C", q["options"], pictures)
    if kind == "single":
        decl = ("single", "identifier", _values([f"C{q['answer']}"]))
        body = (
            '<qti-choice-interaction response-identifier="RESPONSE" shuffle="false" '
            f'max-choices="1">{options}</qti-choice-interaction>'
        )
        processing = _template("match_correct")
    elif kind == "multiple":
        right = sorted(q["answer"])
        share = 1 / len(right)
        wrong = share  # our scoring: (right picks - wrong picks) / right options
        entries = "".join(
            f'<qti-map-entry map-key="C{i}" mapped-value="{share if i in right else -wrong}"/>'
            for i in range(len(q["options"]))
        )
        mapping = f"{_BOUNDED}{entries}</qti-mapping>"
        decl = ("multiple", "identifier", _values([f"C{i}" for i in right]))
        body = (
            '<qti-choice-interaction response-identifier="RESPONSE" shuffle="false" '
            f'max-choices="0">{options}</qti-choice-interaction>'
        )
        processing = _template("map_response")
    elif kind == "text":
        # Every spelling for readers; the patterns score as ours does (case, ё/е, spaces).
        entries = "".join(
            f"<qti-map-entry map-key={quoteattr(xml_text(a))} "
            'mapped-value="1" case-sensitive="false"/>'
            for a in q["answer"]
        )
        mapping = f'<qti-mapping default-value="0">{entries}</qti-mapping>'
        decl = ("single", "string", _values(q["answer"][:1]))
        body = _ENTRY
        processing = text_processing(q["answer"])
    elif kind == "number":
        decl = ("single", "float", _values([str(q["answer"]["value"])]))
        body = _ENTRY
        processing = number_processing(q["answer"].get("tolerance", 0))
    elif kind == "order":
        key = [f"C{i}" for i in q["answer"]]
        decl = ("ordered", "identifier", _values(key))
        body = (
            '<qti-order-interaction response-identifier="RESPONSE" shuffle="true">'
            f"{options}</qti-order-interaction>"
        )
        outcomes = order_outcomes(len(key))
        processing = order_processing(key)
    elif kind == "match":
        pairs = [f"L{a} R{b}" for a, b in q["answer"]]
        share = 1 / len(pairs)
        entries = "".join(f'<qti-map-entry map-key="{p}" mapped-value="{share}"/>' for p in pairs)
        mapping = f"{_BOUNDED}{entries}</qti-mapping>"
        decl = ("multiple", "directedPair", _values(pairs))
        left, right = q["options"]["left"], q["options"]["right"]
        sets = "".join(
            f"<qti-simple-match-set>{_choices(ASSOCIABLE, side, texts, pictures)}"
            "</qti-simple-match-set>"
            for side, texts in (("L", left), ("R", right))
        )
        body = (
            '<qti-match-interaction response-identifier="RESPONSE" shuffle="false" '
            f'max-associations="{len(left)}">{sets}</qti-match-interaction>'
        )
        processing = _template("map_response")
    else:
        raise ValueError(f"unknown question kind {kind}")
    cardinality, base_type, correct = decl
    title = xml_text(markdown_to_text(q["prompt"]))[:80] or "Question"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<qti-assessment-item xmlns="{NS}" '
        f'identifier="{ident}" title={quoteattr(title)} adaptive="false" '
        'time-dependent="false">'
        f'<qti-response-declaration identifier="RESPONSE" cardinality="{cardinality}" '
        f'base-type="{base_type}"><qti-correct-response>{correct}</qti-correct-response>'
        f"{mapping}</qti-response-declaration>"
        '<qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float">'
        "<qti-default-value><qti-value>0</qti-value></qti-default-value>"
        "</qti-outcome-declaration>"
        '<qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float">'
        f"<qti-default-value><qti-value>{points}</qti-value></qti-default-value>"
        f"</qti-outcome-declaration>{outcomes}"
        f"<qti-item-body>{prompt}{body}</qti-item-body>{processing}</qti-assessment-item>"
    )


def _template(name: str) -> str:
    return f'<qti-response-processing template="{RP}{name}.xml"/>'
