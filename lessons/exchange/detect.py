"""Which exchange format an uploaded file is in, told from its content (never from its name).

- a zip with ``lesson.json`` → our own lesson zip (``eschool``);
- a zip with ``imsmanifest.xml`` → by the manifest: a Common Cartridge (its namespace, its
  ``schema``, or CC resource types) → ``cc13``; QTI 3.0 resources or namespace → ``qti3``;
  QTI 2.x resources → ``qti21``;
- one XML file → a QTI item by its root and namespace (``qti-assessment-item`` or the 3.0
  namespace → ``qti3``, ``assessmentItem`` → ``qti21``);
- text (UTF-8, with or without a BOM; else Windows-1251 when it reads as Russian text) →
  GIFT when it has GIFT's answer braces or ``::title::``, Aiken when it has ``ANSWER:`` lines.

Anything else is ``unsupported_format`` (415) with the formats we take in ``details``.
The file name only titles a lesson made from a question-bank text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath
from xml.etree.ElementTree import Element

from eschool.i18n import N_
from eschool.i18n import gettext as _
from lessons.exchange.aiken import read_aiken
from lessons.exchange.cc13 import read_cc13
from lessons.exchange.eschool_zip import LESSON_JSON, unpack_lesson
from lessons.exchange.gift import read_gift
from lessons.exchange.ims_package import MANIFEST, MAX_PACKAGE_BYTES, Package, Resource
from lessons.exchange.qti3 import read_qti3
from lessons.exchange.qti21 import read_qti21
from lessons.exchange.report import ImportReport
from lessons.exchange.safe_xml import parse_xml
from lessons.exchange.safe_zip import ExchangeError
from lessons.exchange.xhtml_text import local_name
from lessons.models import MAX_TITLE

# What we take (the API's ``details.formats``), named for people.
FORMATS = {
    "eschool": N_("eschool lesson zip"),
    "qti3": N_("QTI 3.0 package or item"),
    "qti21": N_("QTI 2.1 package or item"),
    "cc13": N_("IMS Common Cartridge 1.x"),
    "gift": N_("Moodle GIFT text"),
    "aiken": N_("Moodle Aiken text"),
}
QTI3_NAMESPACE = "imsqtiasi_v3p0"

_GIFT_MARKS = re.compile(
    r"(?<!\\)\{\s*(?:[=~#]|T(?:RUE)?\s*[#}]|F(?:ALSE)?\s*[#}]|\})|^\s*::[^\n]*?::",
    re.MULTILINE,
)
_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*:\s*[A-Za-z]\s*$", re.MULTILINE | re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CP1251_EXTRA = set("«»—–№“”„‘’…•·°§©®™\u00a0")


def read_any(data: bytes, filename: str, *, max_total: int = MAX_PACKAGE_BYTES) -> ImportReport:
    """The import report of an uploaded file, in whichever format we read it is.

    ``max_total`` caps what a zip may unpack to (its declared sizes, and what our own zip
    decompresses). Raises :class:`ExchangeError` for a refused file.
    """
    if data[:2] == b"PK":
        return _read_zip(data, max_total)
    text = decode_text(data)
    if text.lstrip().startswith("<"):
        return _read_xml(data)
    title = _title_from(filename)
    if _GIFT_MARKS.search(text):
        return read_gift(text, title or "GIFT")
    if _AIKEN_ANSWER.search(text):
        return read_aiken(text, title or "Aiken")
    raise unsupported(_("The text is neither GIFT nor Aiken questions."))


def unsupported(reason: str) -> ExchangeError:
    """``unsupported_format`` (415): ``reason``, then the formats we take."""
    formats = ", ".join(_(name) for name in FORMATS.values())
    return ExchangeError(
        "unsupported_format",
        _("{reason} We import: {formats}.", reason=reason, formats=formats),
        415,
        {"formats": list(FORMATS)},
    )


# --- zips ------------------------------------------------------------------------------------


def _read_zip(data: bytes, max_total: int) -> ImportReport:
    package = Package(data, max_total=max_total)
    try:
        if package.has(LESSON_JSON):
            reader: Callable[[bytes], ImportReport] | None = None
        elif package.has(MANIFEST):
            manifest = package.manifest()
            reader = _package_reader(manifest, package.resources(manifest))
        else:
            raise unsupported(_("The zip has neither lesson.json nor imsmanifest.xml."))
    finally:
        package.close()
    if reader is None:
        unpacked = unpack_lesson(data, max_total=max_total)
        return ImportReport(format="eschool", lesson=unpacked.lesson, assets=dict(unpacked.assets))
    return reader(data)


def _package_reader(
    manifest: Element, resources: list[Resource]
) -> Callable[[bytes], ImportReport]:
    types = [resource.type for resource in resources]
    namespace = _namespace(manifest)
    if (
        "/imscc" in namespace
        or "common cartridge" in _schema(manifest).lower()
        or any(t.startswith("imsqti_xmlv1p2/imscc_") or t.startswith("imsdt_") for t in types)
    ):
        return read_cc13
    if any(
        t.startswith("imsqti_item_xmlv3p0") or t.startswith("imsqti_test_xmlv3p0") for t in types
    ):
        return read_qti3
    if any(t.startswith(("imsqti_item_xmlv2p", "imsqti_test_xmlv2p")) for t in types):
        return read_qti21
    if "qtiv3p0" in namespace:
        return read_qti3
    raise unsupported(_("The package holds no QTI items and is not a Common Cartridge."))


def _namespace(element: Element) -> str:
    tag = str(element.tag)
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _schema(manifest: Element) -> str:
    for node in manifest.iter():
        if local_name(node.tag) == "schema":
            return "".join(node.itertext()).strip()
    return ""


# --- single files ----------------------------------------------------------------------------


def _read_xml(data: bytes) -> ImportReport:
    root = parse_xml(data)
    name = local_name(root.tag)
    if name == "qti-assessment-item" or (
        name == "assessmentItem" and QTI3_NAMESPACE in _namespace(root)
    ):
        return read_qti3(data)
    if name == "assessmentItem":
        return read_qti21(data)
    if name in {"assessmentTest", "qti-assessment-test", "manifest"}:
        raise unsupported(
            _("This XML file names the other files of a package: upload the whole package (.zip).")
        )
    raise unsupported(_("The XML file is not a QTI item (its root is <{name}>).", name=name))


def decode_text(data: bytes) -> str:
    """``data`` as text: UTF-8 (a BOM is dropped), else Windows-1251 when it reads as Russian
    text (old Windows editors save Aiken files so); ``unsupported_format`` for anything else."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _cp1251_text(data)
    if _CONTROL.search(text):
        raise unsupported(_("The file is binary, not a text of questions."))
    return text


def _cp1251_text(data: bytes) -> str:
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError as error:
        raise unsupported(_("The file is not UTF-8 text.")) from error
    foreign = [ch for ch in text if ord(ch) > 127 and ch not in _CP1251_EXTRA]
    cyrillic = sum(1 for ch in foreign if "\u0400" <= ch <= "\u04ff")
    if cyrillic == 0 or (len(foreign) - cyrillic) * 20 > cyrillic:
        raise unsupported(_("The file is not UTF-8 text."))
    return text


def _title_from(filename: str) -> str:
    stem = PurePath(filename.replace("\\", "/")).stem if filename else ""
    return " ".join(stem.replace("_", " ").split())[:MAX_TITLE]
