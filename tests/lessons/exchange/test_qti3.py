"""QTI 3.0 import: items written from the 1EdTech QTI 3.0 examples, a package, hostile input.

``CHOICE`` follows the QTI 3.0 Implementation Guide's ``choice.xml`` ("Unattended Luggage"),
``ORDER`` its ``order.xml`` ("Grand Prix of Bahrain"), ``EXTENDED`` its ``extended_text.xml``
(an interaction we do not support), shortened to the declarations and interactions.
"""

from __future__ import annotations

import io
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


LESSON = {
    "title": "Round trip",
    "blocks": [
        {
            "kind": "quiz",
            "id": "quiz1",
            "questions": [
                {
                    "kind": "single",
                    "prompt": "2+2?",
                    "points": 2,
                    "options": ["3", "4"],
                    "answer": 1,
                },
                {
                    "kind": "multiple",
                    "prompt": "Even?",
                    "points": 1,
                    "options": ["1", "2", "4"],
                    "answer": [1, 2],
                },
                {
                    "kind": "text",
                    "prompt": "Capital <of> France",
                    "points": 1,
                    "options": [],
                    "answer": ["Paris", "París"],
                },
                {
                    "kind": "number",
                    "prompt": "Pi",
                    "points": 3,
                    "options": [],
                    "answer": {"value": 3.14, "tolerance": 0.01},
                },
                {
                    "kind": "order",
                    "prompt": "Sort",
                    "points": 1,
                    "options": ["a", "b", "c"],
                    "answer": [2, 0, 1],
                },
                {
                    "kind": "match",
                    "prompt": "Pair",
                    "points": 1,
                    "options": {"left": ["x", "y"], "right": ["1", "2", "3"]},
                    "answer": [[0, 2], [1, 0]],
                },
            ],
        }
    ],
}


def test_round_trip_every_kind() -> None:
    data = write_qti3(LESSON, {})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = archive.read("imsmanifest.xml").decode()
    assert manifest.count('type="imsqti_item_xmlv3p0"') == 6
    assert manifest.count('type="imsqti_test_xmlv3p0"') == 1
    report = read_qti3(data)
    assert report.skipped == []
    got = report.lesson["blocks"][0]["questions"]
    for mine, theirs in zip(LESSON["blocks"][0]["questions"], got, strict=True):
        assert {k: theirs[k] for k in mine} == mine | {"answer": theirs["answer"]}
        answer = mine["answer"]
        assert theirs["answer"] == (
            [list(p) for p in answer] if mine["kind"] == "match" else answer
        )


# (question index, our answer, QTI response)
ANSWERS = [
    (0, 1, ["C1"]),
    (0, 0, ["C0"]),
    (1, [1, 2], ["C1", "C2"]),
    (1, [1], ["C1"]),
    (1, [1, 0], ["C1", "C0"]),
    (1, [0], ["C0"]),
    (2, "paris", "paris"),
    (2, "London", "London"),
    (3, 3.145, "3.145"),
    (3, 3.2, "3.2"),
    (4, [2, 0, 1], ["C2", "C0", "C1"]),
    (4, [1, 0, 2], ["C1", "C0", "C2"]),  # reversed: 0 both ways
    (5, [[0, 2], [1, 0]], ["L0 R2", "L1 R0"]),
    (5, [[0, 2], [1, 1]], ["L0 R2", "L1 R1"]),
]


@pytest.mark.parametrize(("index", "ours", "qti"), ANSWERS)
def test_our_scoring_and_qti_processing_agree(index: int, ours: object, qti: object) -> None:
    question = LESSON["blocks"][0]["questions"][index]
    with zipfile.ZipFile(io.BytesIO(write_qti3(LESSON, {}))) as archive:
        xml = archive.read(f"items/Q-quiz1-{index}.xml")
    assert score_item(xml, qti) == pytest.approx(score_question(question, ours))


def test_order_partial_credit_is_ours_only() -> None:
    """Known difference: our order scoring gives partial credit (longest run kept), QTI's
    ``match_correct`` only all or nothing; no standard QTI operator expresses ours."""
    question = LESSON["blocks"][0]["questions"][4]
    with zipfile.ZipFile(io.BytesIO(write_qti3(LESSON, {}))) as archive:
        xml = archive.read("items/Q-quiz1-4.xml")
    assert score_question(question, [0, 1, 2]) == 0.5
    assert score_item(xml, ["C0", "C1", "C2"]) == 0


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

    data = write_qti3(LESSON, {})
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
            assert outcomes == {"SCORE", "MAXSCORE"}
            assert find_all(root, "itemBody") and find_all(root, "responseProcessing")
        assert len(set(idents)) == len(idents)
