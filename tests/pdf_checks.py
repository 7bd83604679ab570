"""What every printed document must be, checked on its bytes: PDF/A-3b (XMP identification and an output
intent), every figure with its alternative text, and list items only inside lists (PDF/UA)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import Any

from pypdf import PdfReader

_PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"


def _structure(node: Any, parent: str, found: list[tuple[str, str, Any]]) -> None:
    node = node.get_object()
    tag = str(node.get("/S", ""))
    if tag:
        found.append((tag, parent, node))
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict) and "/S" in kid:
            _structure(kid, tag or parent, found)


def assert_archival_and_tagged(pdf: bytes) -> None:
    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    xmp = ET.fromstring(catalog["/Metadata"].get_object().get_data())
    values = {key: value for element in xmp.iter() for key, value in element.attrib.items()}
    values |= {element.tag: element.text for element in xmp.iter()}
    assert values.get(f"{_PDFAID}part") == "3" and values.get(f"{_PDFAID}conformance") == "B"
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    found: list[tuple[str, str, Any]] = []
    _structure(catalog["/StructTreeRoot"], "", found)
    figures = [node for tag, _, node in found if tag == "/Figure"]
    assert figures and all(str(node.get("/Alt", "")).strip() for node in figures)
    assert all(parent == "/L" for tag, parent, _ in found if tag == "/LI"), "a list item outside a list"
