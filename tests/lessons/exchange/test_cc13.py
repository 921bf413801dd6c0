"""Common Cartridge 1.3: a lesson out, checked element by element, and read back."""

from __future__ import annotations

import hashlib
import io
import zipfile

import defusedxml.ElementTree as SafeTree
import pytest

from lessons.exchange.cc13 import read_cc13, write_cc13
from lessons.exchange.eschool_zip import ExchangeError

CC = "{http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1}"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PNG_ID = hashlib.sha256(PNG).hexdigest()
QUESTIONS = [
    {
        "kind": "single",
        "prompt": f"**Сколько** будет *2 + 2*? `2*2`, $x^2$\n\n![доска](/assets/{PNG_ID})",
        "options": ["3", f"**4** ![четыре](/assets/{PNG_ID})"],
        "answer": 1,
        "points": 1,
    },
    {
        "kind": "multiple",
        "prompt": "Primes?",
        "options": ["2", "4", "5"],
        "answer": [0, 2],
        "points": 2,
    },
    {
        "kind": "text",
        "prompt": "Capital of Russia?",
        "options": [],
        "answer": ["Moscow", "Москва"],
        "points": 1,
    },
    {
        "kind": "number",
        "prompt": "Pi?",
        "options": [],
        "answer": {"value": 3.14, "tolerance": 0.01},
        "points": 3,
    },
    {"kind": "order", "prompt": "Sort", "options": ["b", "a"], "answer": [1, 0], "points": 1},
    {
        "kind": "match",
        "prompt": "Match",
        "options": {"left": ["x", "y"], "right": ["1", "2"]},
        "answer": [[0, 1], [1, 0]],
        "points": 1,
    },
]
LESSON = {
    "title": "Water",
    "language": "ru",
    "blocks": [
        {
            "id": "t1",
            "kind": "text",
            "text": "# Water\n\nIt is *wet* and **clear**, 2*3*4, ~~dry~~, `H2O`, $H_2O$.\n\n"
            "- ice\n- steam\n   - hot\n\n> [more](https://example.org)\n\n"
            f"![plan](/assets/{PNG_ID})",
        },
        {"id": "i1", "kind": "image", "asset": PNG_ID, "alt": "A glass of water"},
        {"id": "q1", "kind": "quiz", "questions": QUESTIONS},
    ],
}


@pytest.fixture(scope="module")
def cartridge() -> dict[str, bytes]:
    data = write_cc13(LESSON, {PNG_ID: ("image/png", PNG)})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["__zip__"] = data
    return files


def test_the_manifest_has_every_required_element(cartridge):
    manifest = SafeTree.fromstring(cartridge["imsmanifest.xml"])
    assert manifest.tag == f"{CC}manifest" and manifest.get("identifier")
    assert manifest.findtext(f"{CC}metadata/{CC}schema") == "IMS Common Cartridge"
    assert manifest.findtext(f"{CC}metadata/{CC}schemaversion") == "1.3.0"
    lom = "{http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest}"
    title = manifest.find(f"{CC}metadata/{lom}lom/{lom}general/{lom}title/{lom}string")
    assert title is not None and title.text == "Water" and title.get("language") == "ru"

    resources = {r.get("identifier"): r for r in manifest.iter(f"{CC}resource")}
    organization = manifest.find(f"{CC}organizations/{CC}organization")
    assert organization.get("structure") == "rooted-hierarchy"
    (root,) = organization.findall(f"{CC}item")
    items = root.findall(f"{CC}item")
    refs = [item.get("identifierref") for item in items]
    assert all(ref in resources for ref in refs)
    depended = {d.get("identifierref") for d in manifest.iter(f"{CC}dependency")}
    assert set(resources) - set(refs) == depended  # the quiz's pictures
    (files_of_quiz,) = depended
    assert [f.get("href") for f in resources[files_of_quiz]] == [f"web_resources/{PNG_ID}.png"]
    assert all(item.findtext(f"{CC}title") for item in items)
    types = [resources[ref].get("type") for ref in refs]
    # text, image, the assessment, the note on the questions CC cannot carry
    assert types == [
        "webcontent",
        "webcontent",
        "imsqti_xmlv1p2/imscc_xmlv1p3/assessment",
        "webcontent",
    ]
    listed: set[str] = set()
    for resource in resources.values():
        files = [f.get("href") for f in resource.findall(f"{CC}file")]
        assert files and all(f in cartridge for f in files)
        if resource.get("href"):
            assert resource.get("href") in files
        listed.update(files)
    assert listed == set(cartridge) - {"imsmanifest.xml", "__zip__"}
    assessment = next(name for name in cartridge if name.endswith("assessment.xml"))
    assert f"$IMS-CC-FILEBASE$/{PNG_ID}.png".encode() in cartridge[assessment]
    assert b"&lt;strong&gt;" in cartridge[assessment]  # XHTML, as the mattext's text
    image_page = resources[refs[1]]
    assert f"web_resources/{PNG_ID}.png" in [f.get("href") for f in image_page]
    assert cartridge[f"web_resources/{PNG_ID}.png"] == PNG


def test_pages_are_well_formed_xhtml(cartridge):
    for name, content in cartridge.items():
        if name.endswith(".html"):
            page = SafeTree.fromstring(content)
            assert page.tag == "{http://www.w3.org/1999/xhtml}html"
    text = SafeTree.fromstring(cartridge["pages/001.html"])
    assert "<em>wet</em>" in cartridge["pages/001.html"].decode()
    assert text.find(".//{http://www.w3.org/1999/xhtml}body") is not None


def test_the_assessment_is_in_the_cc_qti_profile(cartridge):
    (path,) = [name for name in cartridge if name.endswith("assessment.xml")]
    root = SafeTree.fromstring(cartridge[path])
    assert root.tag == f"{QTI}questestinterop"
    assessment = root.find(f"{QTI}assessment")

    def fields(node):
        return {
            f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
            for f in node.iter(f"{QTI}qtimetadatafield")
        }

    assert fields(assessment.find(f"{QTI}qtimetadata"))["cc_profile"] == "cc.exam.v0p1"
    items = assessment.findall(f"{QTI}section/{QTI}item")
    assert [fields(item)["cc_profile"] for item in items] == [
        "cc.multiple_choice.v0p1",
        "cc.multiple_response.v0p1",
        "cc.fib.v0p1",
        "cc.fib.v0p1",
    ]
    for item in items:
        assert item.find(f"{QTI}presentation/{QTI}material/{QTI}mattext") is not None
        assert item.find(f"{QTI}resprocessing/{QTI}respcondition/{QTI}conditionvar") is not None
    single = items[0].find(f"{QTI}presentation/{QTI}response_lid")
    assert single.get("rcardinality") == "Single"
    assert len(single.findall(f"{QTI}render_choice/{QTI}response_label")) == 2


def test_the_cartridge_reads_back_to_the_same_blocks(cartridge):
    report = read_cc13(cartridge["__zip__"])
    assert report.format == "cc13" and report.skipped == []
    assert report.lesson["title"] == "Water"
    text, image, quiz, note = report.lesson["blocks"]
    assert text["kind"] == "text" and text["text"] == LESSON["blocks"][0]["text"]
    assert image["kind"] == "image" and image["asset"] == PNG_ID
    assert image["alt"] == "A glass of water"
    assert report.assets == {PNG_ID: ("image/png", PNG)}
    assert quiz["questions"] == QUESTIONS[:4]  # the profile's kinds, keys and points
    assert note["kind"] == "text" and "QTI 3.0" in note["text"] and "match, order" in note["text"]


def test_other_resources_are_skipped_with_the_reason(cartridge):
    manifest = cartridge["imsmanifest.xml"].replace(
        b'type="webcontent" href="pages/001.html"',
        b'type="imsbasiclti_xmlv1p0" href="pages/001.html"',
    )
    data = _zip({**_files(cartridge), "imsmanifest.xml": manifest})
    report = read_cc13(data)
    assert [s.reason for s in report.skipped] == ["imsbasiclti_xmlv1p0 resources are not supported"]
    assert [b["kind"] for b in report.lesson["blocks"]] == ["image", "quiz", "text"]


def test_a_page_pointing_outside_the_package_is_refused(cartridge):
    page = cartridge["pages/002.html"].replace(b"../web_resources/", b"../../web_resources/")
    with pytest.raises(ExchangeError) as refused:
        read_cc13(_zip({**_files(cartridge), "pages/002.html": page}))
    assert refused.value.code == "unsafe_href"


def _files(cartridge: dict[str, bytes]) -> dict[str, bytes]:
    return {name: content for name, content in cartridge.items() if name != "__zip__"}


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_cc_1_1_cartridge_for_moodle_reads_back_the_same():
    data = write_cc13(LESSON, {PNG_ID: ("image/png", PNG)}, version="1.1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = SafeTree.fromstring(archive.read("imsmanifest.xml"))
    cc11 = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
    assert manifest.findtext(f"{cc11}metadata/{cc11}schemaversion") == "1.1.0"
    types = {r.get("type") for r in manifest.iter(f"{cc11}resource")}
    assert types == {"webcontent", "imsqti_xmlv1p2/imscc_xmlv1p1/assessment"}
    blocks = read_cc13(data).lesson["blocks"]
    assert blocks[2]["questions"] == QUESTIONS[:4]
