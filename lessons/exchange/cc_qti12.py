"""Quizzes in the Common Cartridge QTI 1.2 profile (``imsqti_xmlv1p2/imscc_xmlv1p3/assessment``).

The profile has the kinds ``cc.multiple_choice.v0p1`` (our ``single``),
``cc.multiple_response.v0p1`` (``multiple``) and ``cc.fib.v0p1`` (fill in the blank: our
``text``, and our ``number`` as its value). It has no ordering or matching: those questions
are left out of the assessment and named in a note page next to it (see ``cc13``).

Prompts and options are their Markdown rendered as sanitized XHTML (``mattext`` of
``texttype="text/html"``, see :mod:`lessons.exchange.markdown_xhtml`); pictures point at
``$IMS-CC-FILEBASE$/<sha256>.<ext>`` (the cartridge's ``web_resources/``), and read back as
Markdown pictures of the lesson's files. ``text/plain`` material of other tools is read as is.

A ``number`` is written as a blank whose accepted answer is the value, so any LMS can score
the exact value; the metadata fields ``eschool_kind`` and ``eschool_tolerance`` (free
``qtimetadatafield`` labels, allowed by the profile) let our reader give it back its kind
and tolerance.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from lessons.blocks import MAX_OPTION_CHARS, MAX_PROMPT_CHARS
from lessons.exchange.ims_package import descendants, text_of
from lessons.exchange.markdown_xhtml import (
    ImageSource,
    html_to_tree,
    inline_markdown_to_xhtml,
    markdown_to_xhtml,
    read_markdown,
    serialize,
)
from lessons.exchange.qti_items import QUESTION, Unsupported
from lessons.exchange.xhtml_text import ImageHandler, children_of, local_name
from lessons.markdown import markdown_to_text

QTI12_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
ASSESSMENT_TYPE = "imsqti_xmlv1p2/imscc_xmlv1p3/assessment"
EXAM_PROFILE = "cc.exam.v0p1"
PROFILES = {
    "single": "cc.multiple_choice.v0p1",
    "multiple": "cc.multiple_response.v0p1",
    "text": "cc.fib.v0p1",
    "number": "cc.fib.v0p1",
}
KINDS = frozenset(PROFILES)
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def assessment_type(version: str = "1.3") -> str:
    """The resource type of an assessment in a cartridge of ``version`` (``"1.3"``, ``"1.1"``)."""
    return f"imsqti_xmlv1p2/imscc_xmlv{version.replace('.', 'p')}/assessment"


def assessment_xml(
    ident: str,
    title: str,
    questions: list[dict[str, Any]],
    *,
    version: str = "1.3",
    image_source: ImageSource = lambda _sha: None,
) -> bytes:
    """The QTI 1.2 document of one quiz; ``questions`` must all be of :data:`KINDS`.
    ``image_source(sha256)`` gives a picture's ``src`` (``None``: its alt text instead)."""
    v = "v" + version.replace(".", "p")
    schema = f"http://www.imsglobal.org/profile/cc/cc{v}/cc{v}_qtiasiv1p2p1_v1p0.xsd"
    root = Element(
        "questestinterop",
        {"xmlns": QTI12_NS, "xmlns:xsi": _XSI, "xsi:schemaLocation": f"{QTI12_NS} {schema}"},
    )
    assessment = SubElement(root, "assessment", ident=ident, title=title)
    _metadata(
        SubElement(assessment, "qtimetadata"),
        {"cc_profile": EXAM_PROFILE, "qmd_assessmenttype": "Examination"},
    )
    section = SubElement(assessment, "section", ident=f"{ident}_section")
    for index, question in enumerate(questions, start=1):
        _item(section, f"{ident}_q{index}", question, image_source)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode()


def _metadata(parent: Element, fields: dict[str, str]) -> None:
    for label, entry in fields.items():
        field = SubElement(parent, "qtimetadatafield")
        SubElement(field, "fieldlabel").text = label
        SubElement(field, "fieldentry").text = entry


def _mattext(parent: Element, html: Element) -> None:
    material = SubElement(parent, "material")
    SubElement(material, "mattext", texttype="text/html").text = serialize(html)


def _item(section: Element, ident: str, question: dict[str, Any], images: ImageSource) -> None:
    kind = question["kind"]
    title = markdown_to_text(question["prompt"])[:80] or "Question"
    item = SubElement(section, "item", ident=ident, title=title)
    fields = {"cc_profile": PROFILES[kind], "cc_weighting": _number(question.get("points", 1))}
    if kind == "number":
        fields["eschool_kind"] = "number"
        fields["eschool_tolerance"] = _number(question["answer"].get("tolerance", 0))
    _metadata(SubElement(SubElement(item, "itemmetadata"), "qtimetadata"), fields)
    presentation = SubElement(item, "presentation")
    _mattext(presentation, markdown_to_xhtml(question["prompt"], images))
    if kind in {"single", "multiple"}:
        response = SubElement(
            presentation,
            "response_lid",
            ident="response1",
            rcardinality="Single" if kind == "single" else "Multiple",
        )
        choices = SubElement(response, "render_choice")
        for index, option in enumerate(question["options"]):
            label = SubElement(choices, "response_label", ident=f"c{index}")
            _mattext(label, inline_markdown_to_xhtml(option, images))
        right = [question["answer"]] if kind == "single" else question["answer"]
        accepted = [f"c{index}" for index in right]
        wrong = [f"c{i}" for i in range(len(question["options"])) if i not in right]
    else:
        response = SubElement(
            presentation, "response_str", ident="response1", rcardinality="Single"
        )
        SubElement(SubElement(response, "render_fib"), "response_label", ident="answer1")
        accepted = (
            [_number(question["answer"]["value"])] if kind == "number" else question["answer"]
        )
        wrong = []
    processing = SubElement(item, "resprocessing")
    SubElement(
        SubElement(processing, "outcomes"),
        "decvar",
        varname="SCORE",
        vartype="Decimal",
        minvalue="0",
        maxvalue="100",
    )
    condition = SubElement(processing, "respcondition", {"continue": "No"})
    conditions = SubElement(condition, "conditionvar")
    if kind == "multiple":
        every = SubElement(conditions, "and")
        for value in accepted:
            SubElement(every, "varequal", respident="response1").text = value
        for value in wrong:
            SubElement(SubElement(every, "not"), "varequal", respident="response1").text = value
    else:
        for value in accepted:  # several varequal: any of them
            equal = SubElement(conditions, "varequal", respident="response1")
            if kind == "text":
                equal.set("case", "No")
            equal.text = value
    SubElement(condition, "setvar", varname="SCORE", action="Set").text = "100"


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def read_assessment(
    root: Element, on_image: ImageHandler = lambda _src, alt: alt
) -> tuple[str, list[dict[str, Any]], list[tuple[str, str]]]:
    """A CC QTI 1.2 document → (title, questions, skipped (item, reason)); ``on_image(src,
    alt)`` gives the Markdown a picture of the material leaves."""
    title = ""
    questions: list[dict[str, Any]] = []
    skipped: list[tuple[str, str]] = []
    for node in root.iter():
        name = local_name(node.tag)
        if name == "assessment" and not title:
            title = str(node.get("title", ""))
        if name != "item":
            continue
        ident = str(node.get("ident", "")) or f"item {len(questions) + len(skipped) + 1}"
        try:
            questions.append(_read_item(node, on_image))
        except Unsupported as reason:
            skipped.append((ident, str(reason)))
    return title, questions, skipped


def _fields(item: Element) -> dict[str, str]:
    fields: dict[str, str] = {}
    for field in descendants(item, "qtimetadatafield"):
        label = text_of(next(iter(descendants(field, "fieldlabel")), None))
        fields[label] = text_of(next(iter(descendants(field, "fieldentry")), None))
    return fields


def _material(node: Element | None, on_image: ImageHandler, *, inline: bool) -> str:
    """The Markdown of the first ``mattext`` in ``node``: HTML read back, plain text as is."""
    mattext = next(iter(descendants(node, "mattext")), None) if node is not None else None
    if mattext is None:
        return ""
    text = "".join(mattext.itertext())
    if "html" not in str(mattext.get("texttype", "")).lower():
        return " ".join(text.split()) if inline else text.strip()
    return read_markdown(children_of(html_to_tree(text)), on_image, inline=inline)


def _read_item(item: Element, on_image: ImageHandler) -> dict[str, Any]:
    fields = _fields(item)
    profile = fields.get("cc_profile", "")
    presentation = next(iter(descendants(item, "presentation")), None)
    if presentation is None:
        raise Unsupported("the item has no presentation")
    material = next((m for m in presentation if local_name(m.tag) == "material"), None)
    prompt = _material(material, on_image, inline=False) or str(item.get("title", ""))
    labels = [
        (
            str(label.get("ident", "")),
            (_material(label, on_image, inline=True) or text_of(label))[:MAX_OPTION_CHARS],
        )
        for label in descendants(item, "response_label")
    ]
    right, _wrong = _conditions(item)
    question: dict[str, Any]
    if profile in {"cc.multiple_choice.v0p1", "cc.true_false.v0p1"}:
        ids = [ident for ident, _ in labels]
        key = next((ids.index(v) for v in right if v in ids), None)
        if key is None:
            raise Unsupported("the item has no right answer")
        question = {"kind": "single", "options": [t for _, t in labels], "answer": key}
    elif profile == "cc.multiple_response.v0p1":
        ids = [ident for ident, _ in labels]
        answer = sorted({ids.index(v) for v in right if v in ids})
        question = {"kind": "multiple", "options": [t for _, t in labels], "answer": answer}
    elif profile == "cc.fib.v0p1":
        if fields.get("eschool_kind") == "number":
            question = {
                "kind": "number",
                "options": [],
                "answer": {
                    "value": _parse(right[0] if right else ""),
                    "tolerance": _parse(fields.get("eschool_tolerance", "0")),
                },
            }
        else:
            question = {"kind": "text", "options": [], "answer": right}
    else:
        raise Unsupported(f"the question type {profile or 'unknown'!r} is not supported")
    question["prompt"] = prompt[:MAX_PROMPT_CHARS]
    weight = _parse(fields.get("cc_weighting", "1"), default=1)
    question["points"] = weight if 0 < weight <= 100 else 1
    try:
        return QUESTION.validate_python(question).model_dump(mode="json")
    except ValueError as error:
        raise Unsupported("the item's key does not fit our questions") from error


def _conditions(item: Element) -> tuple[list[str], list[str]]:
    """The values of ``varequal`` in conditions giving a positive score, and of negated ones."""
    right: list[str] = []
    wrong: list[str] = []
    for condition in descendants(item, "respcondition"):
        scores = [_parse(text_of(s), default=0) for s in descendants(condition, "setvar")]
        if not scores or max(scores) <= 0:
            continue
        for conditionvar in descendants(condition, "conditionvar"):
            _collect(conditionvar, right, wrong, negated=False)
    return right, wrong


def _collect(node: Element, right: list[str], wrong: list[str], *, negated: bool) -> None:
    for child in node:
        name = local_name(child.tag)
        if name == "varequal":
            value = text_of(child)
            target = wrong if negated else right
            if value and value not in target:
                target.append(value)
        elif name in {"and", "or", "not"}:
            _collect(child, right, wrong, negated=negated ^ (name == "not"))


def _parse(text: str, default: float = 0) -> float | int:
    try:
        value = float(text)
    except ValueError:
        return default
    if value != value or value in {float("inf"), float("-inf")}:
        return default
    return int(value) if value.is_integer() else value
