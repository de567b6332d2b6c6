"""The SML lookup: which SMP publishes a participant's capabilities (DNS, NAPTR ``Meta:SMP``).

Peppol SML 1.3 and the Policy for use of Identifiers 4.4: the DNS name of a participant is
the lowercase base32 of the SHA-256 of its lowercased identifier value (padding stripped),
then ``.iso6523-actorid-upis.`` and the SML zone. Its NAPTR record with flag ``U`` and service
``Meta:SMP`` gives the SMP's URL through its regular expression. No such name: the participant
is not registered. (The MD5 ``B-...`` CNAME form is deprecated and not asked.)
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import dns.asyncresolver
import dns.exception
import dns.resolver

from lucy_server.peppol.settings import PeppolSettings

SCHEME = "iso6523-actorid-upis"
SERVICE = "meta:smp"
MAX_URL_LENGTH = 2000


class NotRegistered(Exception):
    """The SML has no record of the participant."""


class LookupFailed(Exception):
    """The lookup could not tell (a timeout, a server failure, an answer that makes no sense).

    Its message is for people: it names what failed, never any secret."""


def participant_hash(identifier: str) -> str:
    """The hashed label of a participant identifier value, e.g. ``0088:123abc``."""
    digest = hashlib.sha256(identifier.strip().lower().encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def participant_dns_name(identifier: str, zone: str) -> str:
    return f"{participant_hash(identifier)}.{SCHEME}.{zone.strip('.')}"


@dataclass(frozen=True)
class SmpLocation:
    url: str  # the SMP's base URL, without a trailing slash
    host: str  # its host name, lowercased (with :port when the URL names one)


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def apply_regexp(regexp: str, subject: str) -> str:
    """The result of a NAPTR ``regexp`` field (``!pattern!replacement!flags``) on ``subject``."""
    if len(regexp) < 3:
        raise LookupFailed("the SML's NAPTR record has an empty regular expression")
    delimiter = regexp[0]
    parts = regexp[1:].split(delimiter)
    if len(parts) != 3 or delimiter.isalnum() or delimiter == "\\":
        raise LookupFailed("the SML's NAPTR record has a malformed regular expression")
    pattern, replacement, flags = parts
    try:
        compiled = re.compile(pattern, re.IGNORECASE if "i" in flags else 0)
        match = compiled.search(subject)
        if match is None:
            raise LookupFailed("the SML's NAPTR regular expression does not match the participant")
        # POSIX back-references (\1) as Python's; nothing else in the replacement is special.
        template = re.sub(r"\\(\d)", r"\\g<\1>", replacement.replace("\\\\", "\x00"))
        return match.expand(template).replace("\x00", "\\")
    except (re.error, IndexError) as exc:
        raise LookupFailed(f"the SML's NAPTR regular expression is not usable ({exc})") from None


def smp_location(url: str, settings: PeppolSettings) -> SmpLocation:
    """The SMP named by a NAPTR record, checked: https (http only when allowed), a host."""
    if len(url) > MAX_URL_LENGTH or any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise LookupFailed("the SML names an SMP URL that is not a usable URL")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.allow_http else ("https",)
    if scheme not in allowed or not parts.hostname:
        raise LookupFailed(
            f"the SML names an SMP that is not an https URL ({url[:200]})"
            if scheme not in allowed
            else "the SML names an SMP URL without a host"
        )
    try:
        port = parts.port
    except ValueError:
        raise LookupFailed("the SML names an SMP URL with a bad port") from None
    host = parts.hostname.lower()
    return SmpLocation(url=url.rstrip("/"), host=f"{host}:{port}" if port else host)


def make_resolver(settings: PeppolSettings) -> dns.asyncresolver.Resolver:
    if settings.resolver is None:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        address, port = settings.resolver
        resolver.nameservers = [address]
        resolver.port = port
    resolver.lifetime = settings.dns_timeout
    resolver.timeout = settings.dns_timeout
    return resolver


async def find_smp(
    identifier: str, settings: PeppolSettings, resolver: dns.asyncresolver.Resolver
) -> SmpLocation:
    """The SMP of participant ``identifier`` (``0208:0123456749``).

    Raises :class:`NotRegistered` when the SML has no record (NXDOMAIN, or a name without a
    ``Meta:SMP`` NAPTR) and :class:`LookupFailed` when the question could not be answered."""
    name = participant_dns_name(identifier, settings.sml_zone)
    try:
        answer = await resolver.resolve(name, "NAPTR", search=False)
    except dns.resolver.NXDOMAIN:
        raise NotRegistered(identifier) from None
    except dns.resolver.NoAnswer:
        raise NotRegistered(identifier) from None
    except dns.resolver.LifetimeTimeout:
        raise LookupFailed(
            f"DNS timeout: the SML ({settings.sml_zone}) did not answer within "
            f"{settings.dns_timeout:g} s"
        ) from None
    except dns.resolver.NoNameservers:
        raise LookupFailed(
            f"DNS failure: no name server could answer for the SML ({settings.sml_zone})"
        ) from None
    except dns.exception.DNSException as exc:
        raise LookupFailed(f"DNS failure: {type(exc).__name__}") from None
    records = [
        rdata
        for rdata in answer
        if _text(rdata.flags).lower() == "u" and _text(rdata.service).lower() == SERVICE
    ]
    if not records:
        raise NotRegistered(identifier)
    records.sort(key=lambda rdata: (rdata.order, rdata.preference))
    url = apply_regexp(_text(records[0].regexp), name)
    return smp_location(url, settings)
