"""QTI 3.0 import: items written from the 1EdTech QTI 3.0 examples, a package, hostile input.

``CHOICE`` follows the QTI 3.0 Implementation Guide's ``choice.xml`` ("Unattended Luggage"),
``ORDER`` its ``order.xml`` ("Grand Prix of Bahrain"), ``EXTENDED`` its ``extended_text.xml``
(an interaction we do not support), shortened to the declarations and interactions.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import zipfile

import pytest

from lessons.exchange.eschool_zip import ExchangeError
from lessons.exchange.qti3 import read_qti3, write_qti3
from lessons.exchange.qti_scoring import score_item
from lessons.scoring import score_question

NS = 'xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"'


def item(identifier: str, title: str, body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<qti-assessment-item {NS} '
        f'identifier="{identifier}" title="{title}" adaptive="false" time-dependent="false">'
        f"{body}</qti-assessment-item>"
    )


CHOICE = item(
    "choice",
    "Unattended Luggage",
    """
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>ChoiceA</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float">
    <qti-default-value><qti-value>0</qti-value></qti-default-value>
  </qti-outcome-declaration>
  <qti-item-body>
    <p>Look at the text in the picture.</p>
    <qti-choice-interaction response-identifier="RESPONSE" shuffle="false" max-choices="1">
      <qti-prompt>What does it say?</qti-prompt>
      <qti-simple-choice identifier="ChoiceA">You must stay with your luggage at all
        times.</qti-simple-choice>
      <qti-simple-choice identifier="ChoiceB">Do not let someone else look after your
        luggage.</qti-simple-choice>
      <qti-simple-choice identifier="ChoiceC">Remember your luggage when you
        leave.</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing
    template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
""",
)

ORDER = item(
    "order",
    "Grand Prix of Bahrain",
    """
  <qti-response-declaration identifier="RESPONSE" cardinality="ordered" base-type="identifier">
    <qti-correct-response>
      <qti-value>DriverC</qti-value><qti-value>DriverA</qti-value><qti-value>DriverB</qti-value>
    </qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <qti-order-interaction response-identifier="RESPONSE" shuffle="true">
      <qti-prompt>The following F1 drivers finished on the podium in the first ever Grand Prix
        of Bahrain. Can you rearrange them into the correct finishing order?</qti-prompt>
      <qti-simple-choice identifier="DriverA">Rubens Barrichello</qti-simple-choice>
      <qti-simple-choice identifier="DriverB">Jenson Button</qti-simple-choice>
      <qti-simple-choice identifier="DriverC" fixed="true">Michael Schumacher</qti-simple-choice>
    </qti-order-interaction>
  </qti-item-body>
  <qti-response-processing
    template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
""",
)

EXTENDED = item(
    "extendedText",
    "Writing a Postcard",
    """
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <qti-extended-text-interaction response-identifier="RESPONSE">
      <qti-prompt>Write Sam a postcard.</qti-prompt>
    </qti-extended-text-interaction>
  </qti-item-body>
""",
)

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" identifier="M1">
  <organizations/>
  <resources>
    {resources}
  </resources>
</manifest>"""


def package(files: dict[str, str], hrefs: list[str]) -> bytes:
    resources = "".join(
        f'<resource identifier="R{n}" type="imsqti_item_xmlv3p0" href="{href}">'
        f'<file href="{href}"/></resource>'
        for n, href in enumerate(hrefs)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", MANIFEST.format(resources=resources))
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_spec_choice_item_alone() -> None:
    report = read_qti3(CHOICE.encode())
    assert report.format == "qti3"
    (question,) = report.lesson["blocks"][0]["questions"]
    assert question["kind"] == "single"
    assert question["answer"] == 0
    assert len(question["options"]) == 3
    assert "What does it say?" in question["prompt"]


def test_package_imports_supported_and_skips_the_rest() -> None:
    files = {"items/choice.xml": CHOICE, "items/order.xml": ORDER, "items/ext.xml": EXTENDED}
    report = read_qti3(package(files, list(files)))
    questions = report.lesson["blocks"][0]["questions"]
    assert [q["kind"] for q in questions] == ["single", "order"]
    order = questions[1]
    correct = [order["options"][i] for i in order["answer"]]
    assert correct == ["Michael Schumacher", "Rubens Barrichello", "Jenson Button"]
    assert [s.item for s in report.skipped] == ["extendedText"]


@pytest.mark.parametrize(
    "raw",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<qti-assessment-item>&e;</qti-assessment-item>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<qti-assessment-item>&b;</qti-assessment-item>",
        b"<a>" * 200 + b"</a>" * 200,
        b"<a>" + b"x" * 5_000_000 + b"</a>",
        b"<qti-assessment-item",
    ],
    ids=["xxe", "laughs", "deep", "huge", "malformed"],
)
def test_hostile_xml_refused(raw: bytes) -> None:
    with pytest.raises(ExchangeError):
        read_qti3(raw)


def test_manifest_href_outside_package_refused() -> None:
    with pytest.raises(ExchangeError):
        read_qti3(package({"items/choice.xml": CHOICE}, ["../../etc/passwd"]))


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PNG_ID = hashlib.sha256(PNG).hexdigest()
ASSETS = {PNG_ID: ("image/png", PNG)}
PROMPT = (
    "Прочтите **внимательно**: *ёж* или `code`, [ссылка](https://example.org/a), $x^2$.\n\n"
    f"- один\n- два\n\n![схема](/assets/{PNG_ID})"
)
LESSON = {
    "title": "Round trip",
    "blocks": [
        {
            "kind": "quiz",
            "id": "quiz1",
            "questions": [
                {
                    "kind": "single",
                    "prompt": PROMPT,
                    "points": 2,
                    "options": ["3", f"**4** ![четыре](/assets/{PNG_ID})"],
                    "answer": 1,
                },
                {
                    "kind": "multiple",
                    "prompt": "Even? 2*3*4 & a_b",
                    "points": 1,
                    "options": ["1", "- 2", "*4*"],
                    "answer": [1, 2],
                },
                {
                    "kind": "text",
                    "prompt": "Capital <of> France",
                    "points": 1,
                    "options": [],
                    "answer": ["Paris", "París", "Ёлки-палки  город"],
                },
                {
                    "kind": "number",
                    "prompt": "Pi $\\pi$\n\n$$\n\\pi \\approx 3.14\n$$",
                    "points": 3,
                    "options": [],
                    "answer": {"value": 3.14, "tolerance": 0.01},
                },
                {
                    "kind": "order",
                    "prompt": "Sort\n\n1. first\n2. second",
                    "points": 1,
                    "options": ["a", "b", "c", "d"],
                    "answer": [2, 0, 3, 1],
                },
                {
                    "kind": "match",
                    "prompt": "Pair ~~these~~ > them",
                    "points": 1,
                    "options": {"left": ["x", "y"], "right": ["1", "2", "`3`"]},
                    "answer": [[0, 2], [1, 0]],
                },
            ],
        }
    ],
}
QUESTIONS = LESSON["blocks"][0]["questions"]


@pytest.fixture(scope="module")
def written() -> dict[str, bytes]:
    data = write_qti3(LESSON, ASSETS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return {**files, "__zip__": data}


def test_round_trip_every_kind(written) -> None:
    manifest = written["imsmanifest.xml"].decode()
    assert manifest.count('type="imsqti_item_xmlv3p0"') == 6
    assert manifest.count('type="imsqti_test_xmlv3p0"') == 1
    report = read_qti3(written["__zip__"])
    assert report.skipped == []
    assert report.lesson["blocks"][0]["questions"] == QUESTIONS  # Markdown, keys, points
    assert report.assets == ASSETS  # the picture of the prompt and the option, hash checked


def test_the_prompt_is_sanitized_xhtml_with_the_picture_as_a_package_file(written) -> None:
    from lessons.exchange.markdown_xhtml import QTI_TAGS
    from lessons.exchange.qti_items import qti_name
    from lessons.exchange.safe_xml import parse_xml
    from lessons.exchange.xhtml_text import local_name

    raw = written["items/Q-quiz1-0.xml"]
    assert b"&nbsp;" not in raw and b"/assets/" not in raw
    body = next(n for n in parse_xml(raw).iter() if qti_name(n.tag) == "itemBody")
    names = {local_name(n.tag) for n in body.iter()} - {"qti-item-body"}
    assert {"strong", "em", "code", "a", "span", "ul", "li", "img"} <= names
    assert names - {n for n in names if n.startswith("qti-")} <= QTI_TAGS
    sources = [n.get("src") for n in body.iter() if local_name(n.tag) == "img"]
    assert sources == [f"images/{PNG_ID}.png"] * 2  # relative to the item
    assert written[f"items/images/{PNG_ID}.png"] == PNG
    manifest = parse_xml(written["imsmanifest.xml"])
    (resource,) = [
        r
        for r in manifest.iter()
        if local_name(r.tag) == "resource" and r.get("href") == "items/Q-quiz1-0.xml"
    ]
    assert [f.get("href") for f in resource] == [
        "items/Q-quiz1-0.xml",
        f"items/images/{PNG_ID}.png",
    ]
    assert sum(name.startswith("items/images/") for name in written) == 1


def test_a_changed_picture_is_read_by_its_own_hash(written) -> None:
    other = PNG + b"changed"
    files = {k: v for k, v in written.items() if k != "__zip__"}
    files[f"items/images/{PNG_ID}.png"] = other
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    report = read_qti3(buffer.getvalue())
    digest = hashlib.sha256(other).hexdigest()
    assert report.assets == {digest: ("image/png", other)}
    assert f"/assets/{digest})" in report.lesson["blocks"][0]["questions"][0]["prompt"]


def test_a_picture_not_given_leaves_its_alt(written) -> None:
    report = read_qti3(write_qti3(LESSON, {}))
    prompt = report.lesson["blocks"][0]["questions"][0]["prompt"]
    assert prompt.endswith("схема") and "/assets/" not in prompt and report.assets == {}


def _item_xml(written: dict[str, bytes], index: int) -> bytes:
    return written[f"items/Q-quiz1-{index}.xml"]


# (question index, our answer, QTI response)
ANSWERS = [
    (0, 1, ["C1"]),
    (0, 0, ["C0"]),
    (1, [1, 2], ["C1", "C2"]),
    (1, [1], ["C1"]),
    (1, [1, 0], ["C1", "C0"]),
    (1, [0], ["C0"]),
    (2, "paris", "paris"),
    (2, "  PARÍS ", "  PARÍS "),
    (2, "London", "London"),
    (2, "ёлки-палки город", "ёлки-палки город"),
    (2, "ЕЛКИ-ПАЛКИ   Город", "ЕЛКИ-ПАЛКИ   Город"),
    (2, "Ёлки-Палки Горд", "Ёлки-Палки Горд"),
    (2, "", ""),
    (3, 3.145, "3.145"),
    (3, 3.2, "3.2"),
    (5, [[0, 2], [1, 0]], ["L0 R2", "L1 R0"]),
    (5, [[0, 2], [1, 1]], ["L0 R2", "L1 R1"]),
]


@pytest.mark.parametrize(("index", "ours", "qti"), ANSWERS)
def test_our_scoring_and_qti_processing_agree(written, index: int, ours, qti) -> None:
    expected = score_question(QUESTIONS[index], ours)
    assert score_item(_item_xml(written, index), qti) == pytest.approx(expected)


def test_text_answers_differing_in_case_and_yo_score_the_same() -> None:
    question = {"kind": "text", "prompt": "?", "options": [], "answer": ["Ёжик", "ЕЛЬ"]}
    xml = _single_item(question)
    for answer in ["ёжик", "ЕЖИК", "Ежик", "ель", "Ёль", " ёЛь ", "ежики", "ёж", "е ль"]:
        assert score_item(xml, answer) == score_question(question, answer), answer
    assert score_item(xml, "ежик") == 1 and score_item(xml, "ёжи") == 0


def _single_item(question: dict) -> bytes:
    data = write_qti3(
        {"title": "t", "blocks": [{"kind": "quiz", "id": "q", "questions": [question]}]}, {}
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("items/Q-q-0.xml")


def test_order_partial_credit_agrees_on_every_permutation(written) -> None:
    """Our credit is the longest run kept in order; the item's processing computes it too."""
    question = QUESTIONS[4]
    xml = _item_xml(written, 4)
    scores = set()
    for answer in itertools.permutations(range(4)):
        expected = score_question(question, list(answer))
        assert score_item(xml, [f"C{i}" for i in answer]) == pytest.approx(expected), answer
        scores.add(round(expected, 3))
    assert scores == {0, 0.333, 0.667, 1}  # partial credit really happens
    assert score_item(xml, ["C2", "C0", "C3"]) == score_question(question, [2, 0, 3]) == 0
    assert score_item(xml, ["C2", "C2", "C3", "C1"]) == 0
    assert score_item(xml, None) == score_question(question, None) == 0


def test_script_in_item_body_is_dropped() -> None:
    hostile = CHOICE.replace(
        "<p>Look at the text in the picture.</p>", "<p>Look<script>alert(1)</script></p>"
    )
    (question,) = read_qti3(hostile.encode()).lesson["blocks"][0]["questions"]
    assert "alert" not in question["prompt"] and "script" not in question["prompt"]


def _zip(members: dict[str, bytes]) -> bytes:
    """A valid one-item package plus ``members``."""
    good = package({"items/choice.xml": CHOICE}, ["items/choice.xml"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(good)) as source:
            for info in source.infolist():
                archive.writestr(info.filename, source.read(info))
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "members",
    [
        {"/etc/passwd": b"x"},
        {"big": b"\0" * 50_000_000},
    ],
    ids=["absolute-member", "zip-bomb"],
)
def test_hostile_zip_refused(members: dict[str, bytes]) -> None:
    assert read_qti3(_zip({})).lesson["blocks"]  # the package without them is fine
    with pytest.raises(ExchangeError):
        read_qti3(_zip(members))


def test_output_structure() -> None:
    """Every item: a RESPONSE declaration used by exactly one interaction, SCORE and MAXSCORE
    outcomes, a body and response processing; identifiers unique; every href in the zip."""
    from lessons.exchange.qti_items import attr, find_all, qti_name
    from lessons.exchange.safe_xml import parse_xml

    data = write_qti3(LESSON, ASSETS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = parse_xml(archive.read("imsmanifest.xml"))
        resources = find_all(manifest, "resource")
        assert len({attr(r, "identifier") for r in resources}) == len(resources)
        idents = []
        for resource in resources:
            assert attr(resource, "href") in names
            root = parse_xml(archive.read(attr(resource, "href")))
            idents.append(attr(root, "identifier"))
            if attr(resource, "type") == "imsqti_test_xmlv3p0":
                assert qti_name(root.tag) == "assessmentTest"
                continue
            assert attr(resource, "type") == "imsqti_item_xmlv3p0"
            assert qti_name(root.tag) == "assessmentItem"
            declared = [attr(d, "identifier") for d in find_all(root, "responseDeclaration")]
            used = [
                attr(n, "responseIdentifier")
                for n in root.iter()
                if qti_name(n.tag).endswith("Interaction")
            ]
            assert declared == used == ["RESPONSE"]
            outcomes = {attr(o, "identifier") for o in find_all(root, "outcomeDeclaration")}
            assert {"SCORE", "MAXSCORE"} <= outcomes
            assert outcomes - {"SCORE", "MAXSCORE"} <= {
                "BEST",
                *(f"POS{i}" for i in range(4)),
                *(f"RUN{i}" for i in range(4)),
            }
            assert find_all(root, "itemBody") and find_all(root, "responseProcessing")
        assert len(set(idents)) == len(idents)
