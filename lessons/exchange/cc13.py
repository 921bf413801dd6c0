"""IMS Common Cartridge 1.3: a whole lesson out (``write_cc13``) and back in (``read_cc13``).

Layout of a written cartridge (what Moodle's and Canvas's importers expect)::

    imsmanifest.xml            schema "IMS Common Cartridge", schemaversion 1.3.0, the title
                               in LOM; one organization ("rooted-hierarchy") whose root item
                               holds one item per block, in lesson order
    pages/NNN.html             a ``webcontent`` resource per text, image, video, file or poll
                               block: an XHTML page (text blocks rendered from their Markdown
                               and sanitized as pages show them)
    web_resources/<sha256>.ext the files, each listed in every page resource that uses it
    R_NNN/assessment.xml       an ``imsqti_xmlv1p2/imscc_xmlv1p3/assessment`` resource per
                               quiz, in the CC QTI 1.2 profile (see ``cc_qti12``)

The profile has no ordering or matching questions: a quiz's ``order`` and ``match`` questions
are left out of its assessment and a note page saying so (and pointing at the QTI 3.0 export,
which keeps them) follows it. Whiteboards are left out. Reading takes the organization's items
in order: web pages become text blocks (a page that is just a picture, a video or a link to
a file becomes that block), assessments become quiz blocks, other resources are skipped with
the reason. ``write_cc13(..., version="1.1")`` writes the same cartridge as CC 1.1 (Moodle
imports CC 1.0 and 1.1 only; Canvas imports both).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from lessons.blocks import MAX_QUESTIONS, MAX_TEXT_CHARS
from lessons.exchange import cc_qti12
from lessons.exchange.eschool_zip import ExchangeError, _write
from lessons.exchange.ims_package import Package, Resource, resolve_href
from lessons.exchange.markdown_xhtml import html_to_tree, image_markdown, read_markdown
from lessons.exchange.qti21 import LessonBuilder
from lessons.exchange.report import ImportReport, Skipped
from lessons.exchange.xhtml_text import children_of, local_name
from lessons.markdown import markdown_to_text, render_markdown

FORMAT = "cc13"
XHTML_NS = "http://www.w3.org/1999/xhtml"
VERSIONS = ("1.3", "1.1")  # 1.1 for Moodle, whose importer reads CC 1.0 and 1.1 only


def _namespaces(version: str) -> dict[str, str]:
    """The manifest's namespaces and schema locations of a CC version (``"1.3"``, ``"1.1"``)."""
    v = "v" + version.replace(".", "p")  # v1p3
    profile = f"http://www.imsglobal.org/profile/cc/cc{v}"
    cc = f"http://www.imsglobal.org/xsd/imscc{v}/imscp_v1p1"
    lom_manifest = f"http://ltsc.ieee.org/xsd/imscc{v}/LOM/manifest"
    lom_resource = f"http://ltsc.ieee.org/xsd/imscc{v}/LOM/resource"
    return {
        "xmlns": cc,
        "xmlns:lomimscc": lom_manifest,
        "xmlns:lom": lom_resource,
        "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": (
            f"{cc} {profile}/cc{v}_imscp_v1p2_v1p0.xsd "
            f"{lom_manifest} {profile}/LOM/cc{v}_lommanifest_v1p0.xsd "
            f"{lom_resource} {profile}/LOM/cc{v}_lomresource_v1p0.xsd"
        ),
    }


CC_NS = _namespaces("1.3")["xmlns"]
WEBCONTENT = "webcontent"
FILES_DIR = "web_resources/"
LEFT_OUT_NOTE = (
    "{count} question(s) of this quiz ({kinds}) are not in this cartridge: Common Cartridge's "
    "QTI profile has no ordering or matching questions. Export the lesson as QTI 3.0 to keep them."
)
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/wav": ".wav",
    "audio/flac": ".flac",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "application/pdf": ".pdf",
}
_ASSET_SRC = re.compile(r"/(?:api/v1/)?assets/([0-9a-f]{64})")
_CC_FILEBASE = "$IMS-CC-FILEBASE$"


# --- writing -------------------------------------------------------------------------------


def write_cc13(
    lesson: dict, assets: dict[str, tuple[str, bytes]], *, version: str = "1.3"
) -> bytes:
    """The cartridge of a stored lesson (``blocks`` as ``blocks_to_json`` gives them) and the
    files it uses (sha256 → (mime, content)). ``version="1.1"`` writes the same cartridge
    with CC 1.1's namespaces and types, for LMSs (Moodle) that import no later version."""
    if version not in VERSIONS:
        raise ValueError(f"Common Cartridge {version} is not written (only {VERSIONS})")
    writer = _CartridgeWriter(assets, version)
    for block in lesson.get("blocks", []):
        writer.block(block)
    manifest = _manifest(
        str(lesson.get("title", "")), str(lesson.get("language") or "en"), writer, version
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(archive, "imsmanifest.xml", manifest)
        for path, content in writer.files.items():
            _write(archive, path, content)
    return buffer.getvalue()


class _CartridgeWriter:
    def __init__(self, assets: dict[str, tuple[str, bytes]], version: str) -> None:
        self.assets = assets
        self.version = version
        self.files: dict[str, bytes] = {}
        # (item title or None when not in the organization, resource identifier, resource
        # type, main href or None, files, identifiers of the resources it depends on)
        self.resources: list[tuple[str | None, str, str, str | None, list[str], list[str]]] = []
        self.quizzes = 0

    def block(self, block: dict[str, Any]) -> None:
        kind = block.get("kind")
        if kind == "text":
            text = str(block.get("text", ""))
            first = next((line for line in text.splitlines() if line.strip()), "")
            title = markdown_to_text(first)[:60].strip() or "Text"
            self._page(title, render_markdown(text))
        elif kind == "image":
            alt = str(block.get("alt", ""))
            self._page(
                alt[:60] or "Image", f'<p><img src="/assets/{block["asset"]}" alt=""/></p>', alt=alt
            )
        elif kind == "video":
            self._page(
                "Video", f'<p><video controls="controls" src="/assets/{block["asset"]}"/></p>'
            )
        elif kind == "file":
            self._page("File", f'<p><a href="/assets/{block["asset"]}">File</a></p>')
        elif kind == "poll":
            options = "".join(f"<li>{_escape(o)}</li>" for o in block.get("options", []))
            prompt = str(block.get("prompt", ""))
            self._page(prompt[:60] or "Poll", f"<p>{_escape(prompt)}</p><ul>{options}</ul>")
        elif kind == "quiz":
            self._quiz(block.get("questions", []))

    def _page(self, title: str, html: str, *, alt: str | None = None) -> None:
        index = len(self.resources) + 1
        path = f"pages/{index:03d}.html"
        body = html_to_tree(html)
        used: list[str] = []
        for node in body.iter():
            for name in ("src", "href"):
                match = _ASSET_SRC.fullmatch(str(node.get(name, "")))
                if match is None:
                    continue
                if match.group(1) not in self.assets:  # not given: no dangling link
                    del node.attrib[name]
                    continue
                mime, content = self.assets[match.group(1)]
                file = f"{FILES_DIR}{match.group(1)}{EXTENSIONS.get(mime, '')}"
                self.files[file] = content
                node.set(name, posixpath.relpath(file, "pages"))
                if file not in used:
                    used.append(file)
                if alt is not None and node.tag == "img":
                    node.set("alt", alt)
        self.files[path] = _xhtml_page(title, body)
        self.resources.append((title, f"R_{index:03d}", WEBCONTENT, path, [path, *used], []))

    def _quiz(self, questions: list[dict[str, Any]]) -> None:
        self.quizzes += 1
        kept = [q for q in questions if q.get("kind") in cc_qti12.KINDS]
        left_out = [q for q in questions if q.get("kind") not in cc_qti12.KINDS]
        title = f"Quiz {self.quizzes}"
        if kept:
            index = len(self.resources) + 1
            ident = f"R_{index:03d}"
            path = f"{ident}/assessment.xml"
            used: list[str] = []
            self.files[path] = cc_qti12.assessment_xml(
                ident, title, kept, version=self.version, image_source=self._picture(used)
            )
            kind = cc_qti12.assessment_type(self.version)
            depends = [f"{ident}_files"] if used else []
            self.resources.append((title, ident, kind, None, [path], depends))
            if used:  # the pictures, as a web content resource the assessment depends on
                self.resources.append((None, f"{ident}_files", WEBCONTENT, None, used, []))
        if left_out:
            kinds = ", ".join(sorted({str(q.get("kind")) for q in left_out}))
            note = LEFT_OUT_NOTE.format(count=len(left_out), kinds=kinds)
            self._page(f"{title}: not exported", f"<p>{_escape(note)}</p>")

    def _picture(self, used: list[str]) -> Callable[[str], str | None]:
        """The ``src`` of a picture in an assessment: ``$IMS-CC-FILEBASE$/<file>``."""

        def source(sha: str) -> str | None:
            if sha not in self.assets:
                return None
            mime, content = self.assets[sha]
            file = f"{FILES_DIR}{sha}{EXTENSIONS.get(mime, '')}"
            self.files[file] = content
            if file not in used:
                used.append(file)
            return f"{_CC_FILEBASE}/{file[len(FILES_DIR) :]}"

        return source


def _manifest(title: str, language: str, writer: _CartridgeWriter, version: str) -> bytes:
    root = Element("manifest", {"identifier": "eschool_cartridge", **_namespaces(version)})
    metadata = SubElement(root, "metadata")
    SubElement(metadata, "schema").text = "IMS Common Cartridge"
    SubElement(metadata, "schemaversion").text = f"{version}.0"
    general = SubElement(SubElement(metadata, "lomimscc:lom"), "lomimscc:general")
    lom_title = SubElement(general, "lomimscc:title")
    SubElement(lom_title, "lomimscc:string", language=language).text = title
    organization = SubElement(
        SubElement(root, "organizations"),
        "organization",
        identifier="O_1",
        structure="rooted-hierarchy",
    )
    top = SubElement(organization, "item", identifier="I_root")
    resources = SubElement(root, "resources")
    for item_title, ident, kind, href, files, depends in writer.resources:
        if item_title is not None:
            item = SubElement(top, "item", identifier=f"I_{ident}", identifierref=ident)
            SubElement(item, "title").text = item_title
        attributes = {"identifier": ident, "type": kind}
        if href:
            attributes["href"] = href
        resource = SubElement(resources, "resource", attributes)
        for file in files:
            SubElement(resource, "file", href=file)
        for dependency in depends:
            SubElement(resource, "dependency", identifierref=dependency)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode()


def _xhtml_page(title: str, body: Element) -> bytes:
    html = Element("html", {"xmlns": XHTML_NS})
    head = SubElement(html, "head")
    SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html; charset=utf-8"})
    SubElement(head, "title").text = title
    html.append(body)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(html, encoding="unicode").encode()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- reading -------------------------------------------------------------------------------


def read_cc13(data: bytes) -> ImportReport:
    """Read a Common Cartridge (ours, or any LMS's web pages and CC QTI quizzes)."""
    package = Package(data)
    try:
        manifest = package.manifest()
        resources = {r.identifier: r for r in package.resources(manifest)}
        builder = LessonBuilder(_title(manifest) or "Imported cartridge", package)
        for title, ref in _organization_items(manifest):
            resource = resources.get(ref)
            if resource is None:
                builder.skipped.append(Skipped(title or ref, "the item names no resource"))
            elif resource.type == WEBCONTENT:
                _read_webcontent(package, resource, builder, title)
            elif resource.type.startswith("imsqti_xmlv1p2/imscc_xmlv1p") and resource.type.endswith(
                "/assessment"
            ):
                _read_assessment(package, resource, builder)
            else:
                builder.skipped.append(
                    Skipped(title or ref, f"{resource.type} resources are not supported")
                )
        return builder.report(FORMAT)
    finally:
        package.close()


def _title(manifest: Element) -> str:
    for node in manifest.iter():
        if local_name(node.tag) == "title":
            text = " ".join("".join(node.itertext()).split())
            if text:
                return text
    return ""


def _organization_items(manifest: Element) -> list[tuple[str, str]]:
    """(title, identifierref) of every item of the first organization, in document order."""
    found: list[tuple[str, str]] = []
    organization = next((n for n in manifest.iter() if local_name(n.tag) == "organization"), None)
    if organization is None:
        return found
    for node in organization.iter():
        if local_name(node.tag) == "item" and node.get("identifierref"):
            title = next((n for n in node if local_name(n.tag) == "title"), None)
            text = " ".join("".join(title.itertext()).split()) if title is not None else ""
            found.append((text, str(node.get("identifierref"))))
    return found


def _read_assessment(package: Package, resource: Resource, builder: LessonBuilder) -> None:
    path = next((f for f in resource.files if f.endswith(".xml")), resource.href)
    if not path or not package.has(path):
        builder.skipped.append(Skipped(resource.identifier, "the assessment file is missing"))
        return
    base = posixpath.dirname(path)

    def on_image(src: str, alt: str) -> str:
        return image_markdown(alt, _file(package, builder, base, src, images_only=True))

    _, questions, skipped = cc_qti12.read_assessment(package.xml(path), on_image)
    builder.skipped.extend(Skipped(item, reason) for item, reason in skipped)
    builder.end_quiz()  # a quiz block (or more, past the limit) for each assessment
    for question in questions[: MAX_QUESTIONS * 4]:
        builder.add_question(question)
    builder.end_quiz()


def _read_webcontent(
    package: Package, resource: Resource, builder: LessonBuilder, title: str
) -> None:
    href = resource.href or ""
    if not href.lower().endswith((".html", ".htm", ".xhtml")):
        found = package.image_asset(href, builder.assets) if href else None
        if found is None:
            builder.skipped.append(Skipped(title or href, "a file that is not a web page"))
        else:
            builder.add_block({"kind": "image", "asset": found[0], "alt": title[:500]})
        return
    if not package.has(href):
        builder.skipped.append(Skipped(title or href, "the page is missing from the package"))
        return
    root = package.xml(href)
    body = next((n for n in root.iter() if local_name(n.tag) == "body"), root)
    base = posixpath.dirname(href)
    single = _single_media(body)
    if single is not None:
        tag, src, alt = single
        asset = _file(package, builder, base, src, images_only=tag == "img")
        if asset is not None:
            kind = {"img": "image", "video": "video", "audio": "video", "a": "file"}[tag]
            block: dict[str, Any] = {"kind": kind, "asset": asset}
            if kind == "image":
                block["alt"] = alt[:500]
            builder.add_block(block)
            return

    def on_image(src: str, alt: str) -> str:
        return image_markdown(alt, _file(package, builder, base, src, images_only=True))

    text = read_markdown(children_of(body), on_image)
    if text:
        builder.add_block({"kind": "text", "text": text[:MAX_TEXT_CHARS]})


def _single_media(body: Element) -> tuple[str, str, str] | None:
    """(tag, src, alt) when the page shows one picture, video or file link and nothing else."""
    media = [
        n for n in body.iter() if local_name(n.tag) in {"img", "video", "audio", "a", "source"}
    ]
    words = " ".join("".join(body.itertext()).split())
    if len(media) != 1:
        return None
    node = media[0]
    tag = local_name(node.tag)
    link_text = " ".join("".join(node.itertext()).split())
    if words and words != link_text:
        return None
    src = str(node.get("href" if tag == "a" else "src", ""))
    return (tag, src, str(node.get("alt", ""))) if src else None


def _file(
    package: Package, builder: LessonBuilder, base: str, src: str, *, images_only: bool
) -> str | None:
    """The asset id of a package file a page uses (added to the builder's assets)."""
    if not src or src.startswith(("http://", "https://", "data:", "mailto:", "#")):
        return None
    if src.startswith(_CC_FILEBASE):
        src, base = src[len(_CC_FILEBASE) :].lstrip("/"), FILES_DIR.rstrip("/")
    path = resolve_href(base, src)
    if images_only:
        found = package.image_asset(path, builder.assets)
        return found[0] if found else None
    return package.any_asset(path, builder.assets)


__all__ = ["ExchangeError", "read_cc13", "write_cc13"]
