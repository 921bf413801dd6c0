"""QTI 2.1 import: the specification's own example items, a package, hostile input.

The items below are the examples of the IMS QTI 2.1 specification (Final, 2012; files
``choice.xml``, ``choice_multiple.xml``, ``text_entry.xml``, ``order.xml``, ``match.xml``,
``associate.xml`` and ``extended_text.xml`` of its example set), shortened to what matters:
the response declarations and interactions are as published.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from lessons.exchange.eschool_zip import ExchangeError
from lessons.exchange.qti21 import read_qti21
from lessons.exchange.qti_items import convert_item
from lessons.exchange.safe_xml import parse_xml
from lessons.scoring import score_question

NS = (
    'xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.imsglobal.org/xsd/imsqti_v2p1 '
    'http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"'
)
RP = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"


def item(identifier: str, title: str, body: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<assessmentItem {NS} identifier="{identifier}"'
        f' title="{title}" adaptive="false" timeDependent="false">{body}</assessmentItem>'
    )


# choice.xml — "Unattended Luggage"
CHOICE = item(
    "choice",
    "Unattended Luggage",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>ChoiceA</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">
    <defaultValue><value>0</value></defaultValue>
  </outcomeDeclaration>
  <itemBody>
    <p>Look at the text in the picture.</p>
    <p><img src="images/sign.png" alt="NEVER LEAVE LUGGAGE UNATTENDED"/></p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <prompt>What does it say?</prompt>
      <simpleChoice identifier="ChoiceA">You must stay with your luggage at all
        times.</simpleChoice>
      <simpleChoice identifier="ChoiceB">Do not let someone else look after your
        luggage.</simpleChoice>
      <simpleChoice identifier="ChoiceC">Remember your luggage when you leave.</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="""
    f'"{RP}match_correct"/>',
)

# choice_multiple.xml — "Composition of Water"
CHOICE_MULTIPLE = item(
    "choiceMultiple",
    "Composition of Water",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <correctResponse><value>H</value><value>O</value></correctResponse>
    <mapping lowerBound="0" upperBound="2" defaultValue="-2">
      <mapEntry mapKey="H" mappedValue="1"/>
      <mapEntry mapKey="O" mappedValue="1"/>
      <mapEntry mapKey="Cl" mappedValue="-1"/>
    </mapping>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="0">
      <prompt>Which of the following elements are used to form water?</prompt>
      <simpleChoice identifier="H" fixed="false">Hydrogen</simpleChoice>
      <simpleChoice identifier="He" fixed="false">Helium</simpleChoice>
      <simpleChoice identifier="C" fixed="false">Carbon</simpleChoice>
      <simpleChoice identifier="O" fixed="false">Oxygen</simpleChoice>
      <simpleChoice identifier="N" fixed="false">Nitrogen</simpleChoice>
      <simpleChoice identifier="Cl" fixed="false">Chlorine</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="""
    f'"{RP}map_response"/>',
)

# text_entry.xml — "Richard III (Take 3)"
TEXT_ENTRY = item(
    "textEntry",
    "Richard III (Take 3)",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string">
    <correctResponse><value>York</value></correctResponse>
    <mapping defaultValue="0">
      <mapEntry mapKey="York" mappedValue="1"/>
      <mapEntry mapKey="york" mappedValue="0.5"/>
    </mapping>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Identify the missing word in this famous quote from Shakespeare's Richard III.</p>
    <blockquote>
      <p>Now is the winter of our discontent<br/> Made glorious summer by this sun of
        <textEntryInteraction responseIdentifier="RESPONSE" expectedLength="15"/>;<br/>
        And all the clouds that lour'd upon our house<br/>
        In the deep bosom of the ocean buried.</p>
    </blockquote>
  </itemBody>
  <responseProcessing template="""
    f'"{RP}map_response"/>',
)

# order.xml — "Grand Prix of Bahrain"
ORDER = item(
    "order",
    "Grand Prix of Bahrain",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="ordered" baseType="identifier">
    <correctResponse>
      <value>DriverC</value><value>DriverA</value><value>DriverB</value>
    </correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <orderInteraction responseIdentifier="RESPONSE" shuffle="true">
      <prompt>The following F1 drivers finished on the podium in the first ever Grand Prix of
        Bahrain. Rearrange them into finishing order.</prompt>
      <simpleChoice identifier="DriverA">Rubens Barrichello</simpleChoice>
      <simpleChoice identifier="DriverB">Jenson Button</simpleChoice>
      <simpleChoice identifier="DriverC" fixed="true">Michael Schumacher</simpleChoice>
    </orderInteraction>
  </itemBody>
  <responseProcessing template="""
    f'"{RP}match_correct"/>',
)

# match.xml — "Characters and Plays"
MATCH = item(
    "match",
    "Characters and Plays",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair">
    <correctResponse>
      <value>C R</value><value>D M</value><value>L M</value><value>P T</value>
    </correctResponse>
    <mapping defaultValue="0">
      <mapEntry mapKey="C R" mappedValue="1"/>
      <mapEntry mapKey="D M" mappedValue="0.5"/>
      <mapEntry mapKey="L M" mappedValue="0.5"/>
      <mapEntry mapKey="P T" mappedValue="1"/>
    </mapping>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <matchInteraction responseIdentifier="RESPONSE" shuffle="true" maxAssociations="4">
      <prompt>Match the following characters to the Shakespeare play they appeared in:</prompt>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="C" matchMax="1">Capulet</simpleAssociableChoice>
        <simpleAssociableChoice identifier="D" matchMax="1">Demetrius</simpleAssociableChoice>
        <simpleAssociableChoice identifier="L" matchMax="1">Lysander</simpleAssociableChoice>
        <simpleAssociableChoice identifier="P" matchMax="1">Prospero</simpleAssociableChoice>
      </simpleMatchSet>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="M" matchMax="4">A Midsummer-Night's Dream
        </simpleAssociableChoice>
        <simpleAssociableChoice identifier="R" matchMax="4">Romeo and Juliet
        </simpleAssociableChoice>
        <simpleAssociableChoice identifier="T" matchMax="4">The Tempest</simpleAssociableChoice>
      </simpleMatchSet>
    </matchInteraction>
  </itemBody>
  <responseProcessing template="""
    f'"{RP}map_response"/>',
)

# associate.xml — "Shakespearian Rivals"
ASSOCIATE = item(
    "associate",
    "Shakespearian Rivals",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="pair">
    <correctResponse><value>A P</value><value>C M</value><value>D L</value></correctResponse>
    <mapping defaultValue="0">
      <mapEntry mapKey="A P" mappedValue="2"/>
      <mapEntry mapKey="C M" mappedValue="1"/>
      <mapEntry mapKey="D L" mappedValue="1"/>
    </mapping>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <associateInteraction responseIdentifier="RESPONSE" shuffle="true" maxAssociations="3">
      <prompt>Hidden within this list of characters are three pairs of rivals. Can you match
        each character to his adversary?</prompt>
      <simpleAssociableChoice identifier="A" matchMax="1">Antonio</simpleAssociableChoice>
      <simpleAssociableChoice identifier="C" matchMax="1">Capulet</simpleAssociableChoice>
      <simpleAssociableChoice identifier="D" matchMax="1">Demetrius</simpleAssociableChoice>
      <simpleAssociableChoice identifier="L" matchMax="1">Lysander</simpleAssociableChoice>
      <simpleAssociableChoice identifier="M" matchMax="1">Montague</simpleAssociableChoice>
      <simpleAssociableChoice identifier="P" matchMax="1">Prospero</simpleAssociableChoice>
    </associateInteraction>
  </itemBody>
  <responseProcessing template="""
    f'"{RP}map_response"/>',
)

# extended_text.xml — "Writing a Postcard" (an essay: no key we could score)
EXTENDED_TEXT = item(
    "extendedText",
    "Writing a Postcard",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Read this postcard from your English pen-friend, Sam.</p>
    <extendedTextInteraction responseIdentifier="RESPONSE" expectedLength="200">
      <prompt>Write Sam a postcard. Answer the questions. Write 25-35 words.</prompt>
    </extendedTextInteraction>
  </itemBody>""",
)

# A numeric text entry with an absolute tolerance in custom response processing.
NUMERIC = item(
    "numeric",
    "Pi",
    """
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="float">
    <correctResponse><value>3.14</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float">
    <defaultValue><value>3</value></defaultValue>
  </outcomeDeclaration>
  <itemBody><p>Pi to two decimals: <textEntryInteraction responseIdentifier="RESPONSE"/></p>
  </itemBody>
  <responseProcessing><responseCondition><responseIf>
    <equal toleranceMode="absolute" tolerance="0.01 0.01">
      <variable identifier="RESPONSE"/><correct identifier="RESPONSE"/></equal>
    <setOutcomeValue identifier="SCORE"><baseValue baseType="float">3</baseValue></setOutcomeValue>
  </responseIf></responseCondition></responseProcessing>""",
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
ITEMS = {
    "choice.xml": CHOICE,
    "choice_multiple.xml": CHOICE_MULTIPLE,
    "text_entry.xml": TEXT_ENTRY,
    "order.xml": ORDER,
    "match.xml": MATCH,
    "associate.xml": ASSOCIATE,
    "extended_text.xml": EXTENDED_TEXT,
    "numeric.xml": NUMERIC,
}


def manifest(resources: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M1">'
        f"<organizations/><resources>{resources}</resources></manifest>"
    )


def package(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def item_resource(name: str) -> str:
    return (
        f'<resource identifier="R-{name}" type="imsqti_item_xmlv2p1" href="items/{name}">'
        f'<file href="items/{name}"/></resource>'
    )


@pytest.fixture(scope="module")
def report():
    files: dict[str, bytes | str] = {f"items/{name}": content for name, content in ITEMS.items()}
    files["items/images/sign.png"] = PNG
    test_refs = "".join(f'<assessmentItemRef identifier="{n}" href="../items/{n}"/>' for n in ITEMS)
    files["tests/test.xml"] = (
        f'<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="T" '
        f'title="Spec examples"><testPart identifier="P" navigationMode="linear" '
        f'submissionMode="individual"><assessmentSection identifier="S" title="S" '
        f'visible="true">{test_refs}</assessmentSection></testPart></assessmentTest>'
    )
    files["imsmanifest.xml"] = manifest(
        '<resource identifier="T" type="imsqti_test_xmlv2p1" href="tests/test.xml"/>'
        + "".join(item_resource(name) for name in ITEMS)
    )
    return read_qti21(package(files))


def questions(report) -> list[dict]:
    return [q for b in report.lesson["blocks"] if b["kind"] == "quiz" for q in b["questions"]]


def test_spec_examples_import_into_the_right_kinds_and_keys(report):
    assert report.format == "qti21"
    assert report.lesson["title"] == "Spec examples"
    by_kind = {q["kind"] + str(i): q for i, q in enumerate(questions(report))}
    choice, multiple, text, order, match, associate, number = by_kind.values()
    assert choice["kind"] == "single" and choice["answer"] == 0
    assert choice["options"][0] == "You must stay with your luggage at all times."
    picture = f"![NEVER LEAVE LUGGAGE UNATTENDED](/assets/{hashlib.sha256(PNG).hexdigest()})"
    assert choice["prompt"] == f"Look at the text in the picture.\n\n{picture}\n\nWhat does it say?"
    assert multiple["kind"] == "multiple" and multiple["answer"] == [0, 3]
    assert multiple["points"] == 2  # the mapping's upper bound
    assert text["kind"] == "text" and text["answer"] == ["York", "york"]
    assert "sun of ____;" in text["prompt"]
    assert order["kind"] == "order" and order["answer"] == [2, 0, 1]
    assert order["options"] == ["Rubens Barrichello", "Jenson Button", "Michael Schumacher"]
    assert match["kind"] == "match"
    assert match["options"]["left"] == ["Capulet", "Demetrius", "Lysander", "Prospero"]
    assert match["answer"] == [[0, 1], [1, 0], [2, 0], [3, 2]]
    assert associate["kind"] == "match"
    assert associate["options"] == {
        "left": ["Antonio", "Capulet", "Demetrius"],
        "right": ["Lysander", "Montague", "Prospero"],
    }
    assert associate["answer"] == [[0, 2], [1, 1], [2, 0]]
    assert number["kind"] == "number"
    assert number["answer"] == {"value": 3.14, "tolerance": 0.01}
    assert number["points"] == 3  # MAXSCORE
    # The keys score as the items' response processing would: right answers get full marks.
    assert score_question(text, "YORK") == 1
    assert score_question(number, 3.149) == 3 and score_question(number, 3.2) == 0
    assert score_question(match, [[0, 1], [1, 0], [2, 0], [3, 2]]) == 1


def test_the_picture_stays_in_the_prompt_with_its_file(report):
    digest = hashlib.sha256(PNG).hexdigest()
    assert f"](/assets/{digest})" in questions(report)[0]["prompt"]
    assert report.assets == {digest: ("image/png", PNG)}
    assert [block["kind"] for block in report.lesson["blocks"]] == ["quiz"]


def test_an_unsupported_interaction_is_skipped_and_reported(report):
    assert [s.public() for s in report.skipped] == [
        {"item": "extendedText", "reason": "extendedTextInteraction is not supported"}
    ]
    assert report.public()["questions"] == 7


def test_a_single_item_file_is_read_and_its_picture_leaves_its_alt():
    single = read_qti21(CHOICE.encode())
    (block,) = single.lesson["blocks"]
    assert single.lesson["title"] == "Unattended Luggage"
    assert "NEVER LEAVE LUGGAGE UNATTENDED" in block["questions"][0]["prompt"]
    assert single.assets == {}


def test_lists_and_emphasis_become_markdown():
    body = CHOICE.replace(
        "<p>Look at the text in the picture.</p>",
        "<p>Look at <em>the text</em> in <strong>the picture</strong>:</p>"
        "<ul><li>one</li><li>two <b>2</b></li></ul><ol><li>first</li></ol>",
    )
    prompt = read_qti21(body.encode()).lesson["blocks"][0]["questions"][0]["prompt"]
    assert prompt.startswith(
        "Look at *the text* in **the picture**:\n\n- one\n- two **2**\n\n1. first\n\n"
    )


def test_several_interactions_in_one_item_are_skipped():
    two = TEXT_ENTRY.replace(
        'expectedLength="15"/>',
        'expectedLength="15"/><textEntryInteraction responseIdentifier="X"/>',
    )
    result = read_qti21(two.encode())
    assert result.lesson["blocks"] == []
    assert "several interactions" in result.skipped[0].reason


@pytest.mark.parametrize(
    "href", ["../outside.xml", "/etc/passwd", "http://evil.example/item.xml", "a/../../x.xml"]
)
def test_a_manifest_pointing_outside_the_package_is_refused(href):
    data = package(
        {
            "imsmanifest.xml": manifest(
                f'<resource identifier="R" type="imsqti_item_xmlv2p1" href="{href}"/>'
            ),
            "items/choice.xml": CHOICE,
        }
    )
    with pytest.raises(ExchangeError) as refused:
        read_qti21(data)
    assert refused.value.code == "unsafe_href"


def test_scripts_styles_and_handlers_in_a_body_never_survive():
    hostile = CHOICE.replace(
        "<p>Look at the text in the picture.</p>",
        '<p onclick="steal()">Look <script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:alert(2)">here</a>.</p>',
    ).replace(">You must stay", "><script>alert(3)</script>You must stay")
    result = read_qti21(hostile.encode())
    question = result.lesson["blocks"][0]["questions"][0]
    text = question["prompt"] + " ".join(question["options"])
    assert question["prompt"].startswith("Look here.")
    for needle in ("alert", "script", "onclick", "steal", "javascript", "p{}"):
        assert needle not in text


def test_an_entity_declaration_is_refused():
    bomb = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]>' + CHOICE.split("?>", 1)[1]
    with pytest.raises(ExchangeError):
        read_qti21(bomb.encode())


def test_the_item_mapping_reads_qti3_names_too():
    """``qti_items`` is shared with the QTI 3.0 reader: kebab-case names map the same way."""
    qti3 = b"""<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
        identifier="q" title="Water">
      <qti-response-declaration identifier="RESPONSE" cardinality="multiple" base-type="identifier">
        <qti-correct-response><qti-value>H</qti-value><qti-value>O</qti-value></qti-correct-response>
        <qti-mapping upper-bound="2"><qti-map-entry map-key="H" mapped-value="1"/></qti-mapping>
      </qti-response-declaration>
      <qti-item-body><p>Pick <em>all</em>.</p>
        <qti-choice-interaction response-identifier="RESPONSE" max-choices="0">
          <qti-simple-choice identifier="H">Hydrogen</qti-simple-choice>
          <qti-simple-choice identifier="He">Helium</qti-simple-choice>
          <qti-simple-choice identifier="O">Oxygen</qti-simple-choice>
        </qti-choice-interaction></qti-item-body></qti-assessment-item>"""
    question = convert_item(parse_xml(qti3)).question
    assert question == {
        "kind": "multiple",
        "prompt": "Pick *all*.",
        "points": 2,
        "options": ["Hydrogen", "Helium", "Oxygen"],
        "answer": [0, 2],
    }


def test_a_zip_member_outside_the_package_is_refused():
    data = package({"imsmanifest.xml": manifest(item_resource("choice.xml")), "../x.xml": CHOICE})
    with pytest.raises(ExchangeError) as refused:
        read_qti21(data)
    assert refused.value.code == "unsafe_name"
