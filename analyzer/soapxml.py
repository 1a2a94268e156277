"""Read a SOAP envelope: the operation (the first element in the Body), the text of named
elements (`partNumber`, `purchaseOrderID`, `orderID`), and a fault's code and text.

Envelopes come from logs, so they are untrusted: defusedxml parses them with DTDs, entity
declarations and external references refused (no billion laughs, no XXE), and anything that is
not well-formed XML is simply "not an envelope".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_ENVELOPE_BYTES = 5_000_000
# The provider writes fault text as "<code> : <text>" ("101 : PurchaseOrderID is not unique").
_CODED = re.compile(r"^\s*(\d{1,6})\s*:\s*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Envelope:
    operation: str | None  # local name of the first element in the Body
    values: dict[str, str] = field(default_factory=dict)  # local name -> first text seen
    fault_code: str | None = None
    fault_text: str | None = None

    @property
    def is_fault(self) -> bool:
        return self.fault_code is not None or self.fault_text is not None

    def get(self, name: str) -> str | None:
        """A value by local name; `operation`, `fault_code` and `fault_text` are built in."""
        if name in ("operation", "fault_code", "fault_text"):
            return getattr(self, name)
        return self.values.get(name)


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def parse_envelope(text: str | None) -> Envelope | None:
    """The envelope in `text` (an XML prolog and whitespace around it are fine), or None."""
    if not text or "<" not in text or len(text) > MAX_ENVELOPE_BYTES:
        return None
    start = text.find("<")
    try:
        root = fromstring(text[start:].strip().encode("utf-8", "replace"), forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        return None
    if local(root.tag) != "Envelope":
        return None
    body = next((child for child in root if local(child.tag) == "Body"), None)
    if body is None or len(body) == 0:
        return Envelope(None, _values(root))
    first = body[0]
    if local(first.tag) == "Fault":
        code, message = _fault(first)
        return Envelope(None, _values(first), code, message)
    values = _values(root)
    return Envelope(local(first.tag), values)


def _values(element: Element) -> dict[str, str]:
    """The first non-empty text of every leaf element, by local name, in document order."""
    values: dict[str, str] = {}
    for node in element.iter():
        if len(node) == 0 and node.text and node.text.strip():
            values.setdefault(local(node.tag), node.text.strip())
    return values


def _fault(fault: Element) -> tuple[str | None, str | None]:
    """(code, text) of a SOAP 1.1 or 1.2 fault. The provider's numeric code, parsed from the
    text, wins; a fault without one keeps the SOAP fault code (`soap:Sender`) so that it still
    reads as an error. A detail `message` different from the text is added to it, since that
    is where a "not found" is said."""
    values = _values(fault)
    text = values.get("Text") or values.get("faultstring")
    soap_code = values.get("Value") or values.get("faultcode")
    detail = values.get("message")
    code = soap_code
    if text:
        coded = _CODED.match(text)
        if coded:
            code, text = coded.group(1), coded.group(2).strip()
    if detail and detail != text:
        text = f"{text}: {detail}" if text else detail
    return code, text
