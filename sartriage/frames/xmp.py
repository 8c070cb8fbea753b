"""The XMP packet of a photo, flattened to ``{(namespace, name): text}`` with a hardened parser.

Vendors write the same property as an attribute (``drone-dji:RelativeAltitude="+47.30"``) or as
an element (``<drone-dji:RelativeAltitude>100.0</…>``), and some nest structures
(Skydio's ``CameraOrientationNED`` holding ``Yaw``/``Pitch``/``Roll``); nested names are joined
with ``/`` (``CameraOrientationNED/Pitch``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

log = logging.getLogger(__name__)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDF_CONTAINERS = {f"{{{RDF}}}{name}" for name in ("RDF", "Description", "Seq", "Bag", "Alt", "li")}
# Real packets nest a handful of levels; a crafted one nests thousands to exhaust the stack.
MAX_DEPTH = 64


def _split(qname: str) -> tuple[str, str]:
    if qname.startswith("{"):
        namespace, _, local = qname[1:].partition("}")
        return namespace, local
    return "", qname


def _walk(root: Element, out: dict[tuple[str, str], str]) -> None:
    """Flatten ``root`` into ``out`` without recursion; what nests deeper than ``MAX_DEPTH`` is left out."""
    stack: list[tuple[Element, str, int]] = [(root, "", 0)]
    while stack:
        element, path, depth = stack.pop()
        for attribute, value in element.attrib.items():
            namespace, local = _split(attribute)
            if namespace not in (RDF, "adobe:ns:meta/"):
                out[(namespace, path + local)] = value
        children = list(element)
        if not children and element.tag not in _RDF_CONTAINERS and element.text and element.text.strip():
            namespace, _ = _split(element.tag)
            out[(namespace, path.rstrip("/"))] = element.text.strip()
        if depth >= MAX_DEPTH:
            continue
        for child in reversed(children):  # popped in document order, as a recursive walk would visit them
            if child.tag in _RDF_CONTAINERS:
                stack.append((child, path, depth + 1))
            else:
                stack.append((child, path + _split(child.tag)[1] + "/", depth + 1))


class Xmp(Mapping[tuple[str, str], str]):
    """Flattened XMP properties; look-ups by a namespace fragment such as ``"dji.com"``."""

    def __init__(self, properties: dict[tuple[str, str], str] | None = None) -> None:
        self._properties = properties or {}

    @classmethod
    def parse(cls, packet: str | None) -> Xmp:
        """Parse an XMP packet; anything unparsable (or hostile: entities, DTDs) gives an empty Xmp."""
        if not packet:
            return cls()
        start = packet.find("<")
        end = packet.rfind(">")
        if start < 0 or end < start:
            return cls()
        try:
            root = SafeET.fromstring(packet[start : end + 1])
        except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
            log.debug("XMP packet not parsed: %s", exc)
            return cls()
        out: dict[tuple[str, str], str] = {}
        _walk(root, out)
        return cls(out)

    def __getitem__(self, key: tuple[str, str]) -> str:
        return self._properties[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._properties)

    def __len__(self) -> int:
        return len(self._properties)

    def namespaces(self) -> set[str]:
        return {namespace for namespace, _ in self._properties}

    def find(self, fragment: str, *names: str) -> str | None:
        """The first of ``names`` present in a namespace whose URI contains ``fragment``."""
        fragment = fragment.lower()
        for name in names:
            for (namespace, local), value in self._properties.items():
                if local == name and fragment in namespace.lower():
                    return value
        return None
