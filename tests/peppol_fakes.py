"""A Peppol network on 127.0.0.1 for tests: an SML (a DNS server answering NAPTR) and SMPs
(HTTP servers answering spec-shaped ServiceGroup and ServiceMetadata XML), with access point
certificates made here. Nothing here reaches the internet.

    with FakeSml() as sml, FakeSmp() as smp:
        smp.register("0208:0123456749", provider="Billit NV", seat="PBE000102")
        sml.point("0208:0123456749", smp.url)
        settings = sml.settings(own_smp="smp.lucy.test")
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lucy_server.peppol.settings import PeppolSettings
from lucy_server.peppol.sml import participant_dns_name
from lucy_server.peppol.smp import (
    BIS_BILLING_INVOICE,
    BIS_BILLING_PROCESS,
    DOCUMENT_SCHEME,
    invoice_path,
    participant_path,
)

ZONE = "sml.lucy.test"
OWN_SMP = "smp.lucy.test"
BUSDOX = "http://busdox.org/serviceMetadata/publishing/1.0/"
IDS = "http://busdox.org/transport/identifiers/1.0/"
WSA = "http://www.w3.org/2005/08/addressing"


# --- certificates -------------------------------------------------------------------------


def certificate(organisation: str | None, common_name: str | None) -> str:
    """A self-signed access point certificate (base64 DER, as an SMP carries it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COUNTRY_NAME, "BE")]
    if organisation is not None:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    names.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "PEPPOL TEST AP"))
    if common_name is not None:
        names.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    subject = x509.Name(names)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PEPPOL TEST AP CA")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")


# --- SMP documents ------------------------------------------------------------------------


def service_group(base: str, identifier: str, *, invoice: bool = True) -> bytes:
    refs = ""
    if invoice:
        href = f"{base}/{invoice_path(identifier)}"
        refs = f"<ServiceMetadataReference href={quoteattr(href)}/>"
    credit_note = (
        f"{base}/{participant_path(identifier)}/services/busdox-docid-qns%3A%3Aurn%3Aoasis%3A"
        "names%3Aspecification%3Aubl%3Aschema%3Axsd%3ACreditNote-2%3A%3ACreditNote"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<ServiceGroup xmlns="{BUSDOX}" xmlns:ids="{IDS}">'
        f'<ids:ParticipantIdentifier scheme="iso6523-actorid-upis">{escape(identifier)}'
        f"</ids:ParticipantIdentifier>"
        f"<ServiceMetadataReferenceCollection>{refs}"
        f"<ServiceMetadataReference href={quoteattr(credit_note)}/>"
        f"</ServiceMetadataReferenceCollection></ServiceGroup>"
    ).encode()


def service_metadata(identifier: str, endpoint_url: str, cert: str | None) -> bytes:
    cert_xml = f"<Certificate>{cert}</Certificate>" if cert is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<smp:SignedServiceMetadata xmlns:smp="{BUSDOX}" xmlns:id="{IDS}" xmlns:wsa="{WSA}">'
        f"<smp:ServiceMetadata><smp:ServiceInformation>"
        f'<id:ParticipantIdentifier scheme="iso6523-actorid-upis">{escape(identifier)}'
        f"</id:ParticipantIdentifier>"
        f'<id:DocumentIdentifier scheme="{DOCUMENT_SCHEME}">{escape(BIS_BILLING_INVOICE)}'
        f"</id:DocumentIdentifier>"
        f"<smp:ProcessList><smp:Process>"
        f'<id:ProcessIdentifier scheme="cenbii-procid-ubl">{BIS_BILLING_PROCESS}'
        f"</id:ProcessIdentifier>"
        f"<smp:ServiceEndpointList>"
        f'<smp:Endpoint transportProfile="peppol-transport-as4-v2_0">'
        f"<wsa:EndpointReference><wsa:Address>{escape(endpoint_url)}</wsa:Address>"
        f"</wsa:EndpointReference>"
        f"<smp:RequireBusinessLevelSignature>false</smp:RequireBusinessLevelSignature>"
        f"{cert_xml}"
        f"<smp:ServiceDescription>Test access point</smp:ServiceDescription>"
        f"<smp:TechnicalContactUrl>https://example.invalid/support</smp:TechnicalContactUrl>"
        f"</smp:Endpoint></smp:ServiceEndpointList></smp:Process></smp:ProcessList>"
        f"</smp:ServiceInformation></smp:ServiceMetadata>"
        f"<Signature xmlns='http://www.w3.org/2000/09/xmldsig#'/>"
        f"</smp:SignedServiceMetadata>"
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ServiceGroup xmlns="http://busdox.org/serviceMetadata/publishing/1.0/">&lol4;</ServiceGroup>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<ServiceGroup xmlns="http://busdox.org/serviceMetadata/publishing/1.0/">&xxe;</ServiceGroup>
"""


# --- the SMP ------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0


@dataclass
class FakeSmp:
    """An SMP over plain http on 127.0.0.1 (the lookup needs LUCY_PEPPOL_ALLOW_HTTP)."""

    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def __enter__(self) -> FakeSmp:
        smp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                smp.requests.append(self.path)
                answer = smp.answers.get(self.path.lower(), Answer(404, b"not here"))
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the lookup gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def answer(self, path: str, status: int = 200, body: bytes = b"", delay: float = 0.0) -> None:
        self.answers["/" + path.lstrip("/").lower()] = Answer(status, body, delay)

    def register(
        self,
        identifier: str,
        *,
        provider: str | None = "Billit NV",
        seat: str | None = "PBE000102",
        endpoint: str = "https://ap.billit.test/as4",
        invoice: bool = True,
    ) -> None:
        """Publish ``identifier``: its ServiceGroup and its invoice's ServiceMetadata."""
        self.answer(
            participant_path(identifier), body=service_group(self.url, identifier, invoice=invoice)
        )
        cert = certificate(provider, seat) if (provider or seat) else None
        self.answer(invoice_path(identifier), body=service_metadata(identifier, endpoint, cert))


# --- the SML ------------------------------------------------------------------------------


@dataclass
class FakeSml:
    """A DNS server on 127.0.0.1 answering NAPTR questions of one SML zone over UDP."""

    zone: str = ZONE
    records: dict[str, list[str]] = field(default_factory=dict)  # name -> NAPTR texts
    silent: set[str] = field(default_factory=set)  # names never answered (a timeout)
    held: set[str] = field(default_factory=set)  # names answered only on release()
    questions: list[str] = field(default_factory=list)

    def __enter__(self) -> FakeSml:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self._stop = threading.Event()
        self._held: list[tuple[dns.message.Message, Any]] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._socket.getsockname()[1]}"

    def settings(self, **changes: Any) -> PeppolSettings:
        """Settings that ask this SML (and allow SMPs over http), quick to time out."""
        values: dict[str, Any] = {
            "lookup": True,
            "sml_zone": self.zone,
            "resolver": ("127.0.0.1", self._socket.getsockname()[1]),
            "own_smp": OWN_SMP,
            "allow_http": True,
            "dns_timeout": 0.4,
            "http_timeout": 0.5,
            "deadline": 3.0,
        }
        values.update(changes)
        return PeppolSettings(**values)

    def env(self, **extra: str) -> dict[str, str]:
        """The same settings as LUCY_PEPPOL_* environment variables."""
        return {
            "LUCY_PEPPOL_LOOKUP": "on",
            "LUCY_PEPPOL_SML_ZONE": self.zone,
            "LUCY_PEPPOL_RESOLVER": self.address,
            "LUCY_PEPPOL_OWN_SMP": OWN_SMP,
            "LUCY_PEPPOL_ALLOW_HTTP": "1",
            **extra,
        }

    def name(self, identifier: str) -> str:
        return participant_dns_name(identifier, self.zone).lower()

    def point(self, identifier: str, smp_url: str, *, service: str = "Meta:SMP") -> None:
        """Register ``identifier`` at the SMP ``smp_url`` (a U-NAPTR, as the SML makes)."""
        text = f'100 10 "U" "{service}" "!^.*$!{smp_url}!" .'
        self.records.setdefault(self.name(identifier), []).append(text)

    def mute(self, identifier: str) -> None:
        self.silent.add(self.name(identifier))

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._socket.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                query = dns.message.from_wire(data)
            except Exception:
                continue
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            self.questions.append(name)
            if name in self.silent:
                continue
            if name in self.held:
                self._held.append((query, peer))
                continue
            self._reply(query, peer)

    def hold(self, identifier: str) -> None:
        """Questions about ``identifier`` wait for :meth:`release`."""
        self.held.add(self.name(identifier))

    def release(self) -> None:
        self.held.clear()
        held, self._held = self._held, []
        for query, peer in held:
            self._reply(query, peer)

    def _reply(self, query: dns.message.Message, peer: Any) -> None:
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        records = self.records.get(name)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.NAPTR:
            response.answer.append(
                dns.rrset.from_text_list(
                    question.name, 60, dns.rdataclass.IN, dns.rdatatype.NAPTR, records
                )
            )
        self._socket.sendto(response.to_wire(), peer)
