"""The SMP: a participant's ServiceGroup, the ServiceMetadata of the BIS Billing 3.0 invoice,
and who runs the access point it names (the subject of the endpoint's certificate).

Answers are read with defusedxml with DTDs forbidden (an SMP answer never needs one, and a
DTD is how entity expansion and external entities come in), at most :data:`MAX_BYTES`, with
elements matched by local name so either namespace prefix convention reads the same. Only
Peppol SMP 1.x (``busdox``) answers are read; a ``Redirect`` is not followed.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, unquote

import httpx
from cryptography import x509
from cryptography.x509.oid import NameOID
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from lucy_server.peppol.settings import PeppolSettings
from lucy_server.peppol.sml import SCHEME, LookupFailed, SmpLocation

DOCUMENT_SCHEME = "busdox-docid-qns"
BIS_BILLING_INVOICE = (
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##"
    "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1"
)
BIS_BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
AS4 = "peppol-transport-as4-v2_0"
MAX_BYTES = 512 * 1024
MAX_TEXT = 200  # characters of outside text kept in a result or a reason


def clip(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class AccessPoint:
    url: str | None
    provider: str | None  # the certificate subject's O
    seat_id: str | None  # its CN (the Peppol seat id, e.g. PBE000123)
    note: str | None = None  # what could not be read, when something could not


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _iter(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element.iter() if _local(child.tag) == name]


def parse_xml(data: bytes, what: str) -> ET.Element:
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise LookupFailed(f"the SMP's {what} has a DTD or entities, which are refused") from None
    except ET.ParseError as exc:
        raise LookupFailed(f"the SMP's {what} is not well-formed XML ({exc})") from None


def participant_path(identifier: str) -> str:
    return quote(f"{SCHEME}::{identifier}", safe="")


def invoice_path(identifier: str) -> str:
    document = quote(f"{DOCUMENT_SCHEME}::{BIS_BILLING_INVOICE}", safe="")
    return f"{participant_path(identifier)}/services/{document}"


async def _get(client: httpx.AsyncClient, url: str, what: str) -> bytes | None:
    """The body at ``url`` (None for 404), at most MAX_BYTES; anything else is LookupFailed."""
    try:
        async with client.stream("GET", url) as response:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise LookupFailed(
                    f"the SMP answered {response.status_code} for the {what}"
                    + (" (SMP down)" if response.status_code >= 500 else "")
                )
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise LookupFailed(f"the SMP's {what} is larger than {MAX_BYTES // 1024} KiB")
            return bytes(body)
    except httpx.TimeoutException:
        raise LookupFailed(f"the SMP did not answer in time for the {what} (SMP timeout)") from None
    except httpx.HTTPError as exc:
        raise LookupFailed(
            f"the SMP could not be reached for the {what} ({type(exc).__name__})"
        ) from None


def invoice_reference(group: ET.Element, identifier: str, smp: SmpLocation) -> str | None:
    """The href of the BIS Billing 3.0 invoice in a ServiceGroup, None when it lists none."""
    if _local(group.tag) != "ServiceGroup":
        raise LookupFailed(f"the SMP answered a {clip(_local(group.tag), 60)}, not a ServiceGroup")
    wanted = f"{DOCUMENT_SCHEME}::{BIS_BILLING_INVOICE}".lower()
    for reference in _iter(group, "ServiceMetadataReference"):
        href = reference.get("href") or ""
        if unquote(href).lower().endswith("/services/" + wanted):
            return href
    return None


def read_access_point(metadata: ET.Element) -> AccessPoint:
    """The endpoint of the BIS Billing process (AS4 preferred) and its certificate's subject."""
    if _iter(metadata, "Redirect"):
        raise LookupFailed("the SMP answered a Redirect to another SMP, which is not followed")
    if not _iter(metadata, "ServiceInformation"):
        raise LookupFailed("the SMP's ServiceMetadata has no ServiceInformation")
    endpoints: list[tuple[int, ET.Element]] = []
    for process in _iter(metadata, "Process"):
        ids = [(el.text or "").strip() for el in _iter(process, "ProcessIdentifier")]
        billing = BIS_BILLING_PROCESS in ids
        for endpoint in _iter(process, "Endpoint"):
            as4 = endpoint.get("transportProfile") == AS4
            endpoints.append(((0 if billing else 2) + (0 if as4 else 1), endpoint))
    if not endpoints:
        raise LookupFailed("the SMP's ServiceMetadata names no endpoint")
    endpoints.sort(key=lambda pair: pair[0])
    endpoint = endpoints[0][1]
    addresses = [el.text.strip() for el in _iter(endpoint, "Address") if el.text]
    url = clip(addresses[0], 500) if addresses else None
    certificates = [el.text for el in _iter(endpoint, "Certificate") if el.text]
    if not certificates:
        return AccessPoint(url, None, None, "the endpoint has no certificate")
    return certificate_subject(url, certificates[0])


_PEM = re.compile(r"-----(BEGIN|END) CERTIFICATE-----")


def certificate_subject(url: str | None, text: str) -> AccessPoint:
    """The provider (O) and seat id (CN) of a base64 (DER or PEM) certificate."""
    try:
        der = base64.b64decode(re.sub(r"\s+", "", _PEM.sub("", text)), validate=True)
        certificate = x509.load_der_x509_certificate(der)
        subject = certificate.subject
    except (binascii.Error, ValueError):
        return AccessPoint(url, None, None, "the endpoint's certificate cannot be read")

    def first(oid: x509.ObjectIdentifier) -> str | None:
        values = subject.get_attributes_for_oid(oid)
        value = values[0].value if values else None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return clip(value) if value and value.strip() else None

    provider = first(NameOID.ORGANIZATION_NAME)
    seat = first(NameOID.COMMON_NAME)
    note = None if provider else "the access point's certificate names no organisation (O)"
    return AccessPoint(url, provider, seat, note)


async def find_access_point(
    identifier: str, smp: SmpLocation, settings: PeppolSettings
) -> AccessPoint:
    """The access point that receives BIS Billing 3.0 invoices for ``identifier`` at ``smp``.

    Raises :class:`LookupFailed` when the SMP cannot be asked or answers nonsense."""
    timeout = httpx.Timeout(settings.http_timeout)
    async with httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        headers={"Accept": "application/xml, text/xml", "User-Agent": "lucy-server"},
        trust_env=False,
    ) as client:
        body = await _get(client, f"{smp.url}/{participant_path(identifier)}", "ServiceGroup")
        if body is None:
            return AccessPoint(
                None, None, None, "the SMP does not know the participant (ServiceGroup 404)"
            )
        href = invoice_reference(parse_xml(body, "ServiceGroup"), identifier, smp)
        if href is None:
            return AccessPoint(
                None, None, None, "the SMP lists no BIS Billing 3.0 invoice for the participant"
            )
        # The href may name another host: only the SMP the SML named is asked.
        url = f"{smp.url}/{invoice_path(identifier)}"
        body = await _get(client, url, "ServiceMetadata")
        if body is None:
            return AccessPoint(
                None, None, None, "the SMP has no ServiceMetadata for the BIS Billing 3.0 invoice"
            )
        return read_access_point(parse_xml(body, "ServiceMetadata"))
