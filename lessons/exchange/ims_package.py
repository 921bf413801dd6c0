"""An untrusted IMS content package (QTI 2.1, Common Cartridge): its manifest, files and pictures.

Every ``href`` is resolved inside the package or the package is refused; files are read
through :mod:`lessons.exchange.safe_zip` (names, sizes, ratios, a decompression budget); XML is
parsed only by ``safe_xml.parse_xml`` (no entities, bounded size and depth).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from eschool.uploads.sniff import ALLOWED_KINDS, SNIFF_BYTES, sniff_mime
from lessons.exchange.safe_xml import parse_xml
from lessons.exchange.safe_zip import ExchangeError, SafeZip
from lessons.exchange.xhtml_text import local_name

MANIFEST = "imsmanifest.xml"
MAX_PACKAGE_BYTES = 200 * 1024 * 1024
MAX_PACKAGE_FILES = 2000
MAX_XML_BYTES = 4 * 1024 * 1024
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def resolve_href(base_dir: str, href: str) -> str:
    """The package path ``href`` names, relative to ``base_dir``; refuses anything outside."""
    href = href.strip().split("#", 1)[0].split("?", 1)[0]
    if (
        not href
        or _SCHEME.match(href)
        or href.startswith(("/", "\\"))
        or "\\" in href
        or "\x00" in href
    ):
        raise ExchangeError("unsafe_href", f"the package points outside itself: {href!r}")
    path = posixpath.normpath(posixpath.join(base_dir, unquote(href)))
    if path.startswith("../") or path == ".." or path.startswith("/"):
        raise ExchangeError("unsafe_href", f"the package points outside itself: {href!r}")
    return path


@dataclass
class Resource:
    """One ``<resource>`` of a manifest: its identifier, type, main file and listed files."""

    identifier: str
    type: str
    href: str | None
    files: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


class Package:
    """An opened package; reading a file spends from one decompression budget."""

    def __init__(self, data: bytes, *, max_total: int = MAX_PACKAGE_BYTES) -> None:
        self.zip = SafeZip(data, max_total=max_total, max_files=MAX_PACKAGE_FILES)

    def has(self, path: str) -> bool:
        return self.zip.has(path)

    def read(self, path: str, limit: int | None = None) -> bytes:
        """The content of a file of the package; ``missing_file`` when it has none."""
        return self.zip.read(path, limit)

    def xml(self, path: str) -> Element:
        return parse_xml(self.read(path, MAX_XML_BYTES))

    def manifest(self) -> Element:
        if not self.has(MANIFEST):
            raise ExchangeError("missing_manifest", "the package has no imsmanifest.xml")
        root = self.xml(MANIFEST)
        if local_name(root.tag) != "manifest":
            raise ExchangeError("invalid_manifest", "imsmanifest.xml is not an IMS manifest")
        return root

    def resources(self, manifest: Element) -> list[Resource]:
        """Every resource with its hrefs resolved and checked (outside the package → refused)."""
        found: list[Resource] = []
        for resources in _children(manifest, "resources"):
            base = _base(resources, "")
            for node in _children(resources, "resource"):
                node_base = _base(node, base)
                href = node.get("href")
                resource = Resource(
                    identifier=str(node.get("identifier", "")),
                    type=str(node.get("type", "")),
                    href=resolve_href(node_base, href) if href else None,
                )
                for file in _children(node, "file"):
                    if file.get("href"):
                        resource.files.append(resolve_href(node_base, str(file.get("href"))))
                resource.dependencies = [
                    str(dep.get("identifierref", "")) for dep in _children(node, "dependency")
                ]
                found.append(resource)
        return found

    def image_asset(
        self, path: str, assets: dict[str, tuple[str, bytes]]
    ) -> tuple[str, str] | None:
        """Put a picture of the package into ``assets``: its (sha256, mime), ``None`` if absent
        or not a picture lessons may carry."""
        return self._asset(path, assets, {"image"})

    def any_asset(self, path: str, assets: dict[str, tuple[str, bytes]]) -> str | None:
        """Put any file lessons may carry (picture, sound, video, PDF) into ``assets``; its id."""
        found = self._asset(path, assets, set(ALLOWED_KINDS.values()))
        return found[0] if found else None

    def _asset(
        self, path: str, assets: dict[str, tuple[str, bytes]], kinds: set[str]
    ) -> tuple[str, str] | None:
        if not self.has(path):
            return None
        content = self.read(path)
        mime = sniff_mime(content[:SNIFF_BYTES])
        if mime is None or ALLOWED_KINDS.get(mime) not in kinds:
            return None
        asset_id = hashlib.sha256(content).hexdigest()
        assets[asset_id] = (mime, content)
        return asset_id, mime

    def close(self) -> None:
        self.zip.close()


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name]


def _base(element: Element, parent: str) -> str:
    base = element.get("{http://www.w3.org/XML/1998/namespace}base")
    if not base:
        return parent
    return posixpath.dirname(resolve_href(parent, base.rstrip("/") + "/x"))


def child(element: Element, name: str) -> Element | None:
    """The first child called ``name`` (any namespace)."""
    for node in element:
        if local_name(node.tag) == name:
            return node
    return None


def descendants(element: Element, name: str) -> list[Element]:
    """Every descendant called ``name`` (any namespace), in document order."""
    return [node for node in element.iter() if local_name(node.tag) == name]


def text_of(element: Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""
