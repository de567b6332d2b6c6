"""One Belgian company on the Peppol network, end to end: SML, then the SMP, then the result.

A company is looked up as ``0208:<enterprise number>``, then as ``9925:BE<number>`` (its VAT
number) when the first is not registered. The result is one of the states of
:class:`~lucy_tui.api.models.PeppolLookupState`; ``lookup_failed`` carries the reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import dns.asyncresolver

from lucy_server.peppol.settings import PeppolSettings
from lucy_server.peppol.sml import LookupFailed, NotRegistered, find_smp, make_resolver
from lucy_server.peppol.smp import clip, find_access_point
from lucy_tui.api.models import PeppolLookupState


@dataclass(frozen=True)
class LookupResult:
    state: PeppolLookupState
    participant_id: str | None = None  # the identifier found registered
    provider: str | None = None
    seat_id: str | None = None
    smp_host: str | None = None
    access_point_url: str | None = None
    message: str | None = None  # the reason of a failure, or what could not be read


def identifiers(enterprise_number: str) -> list[str]:
    """The participant ids a Belgian company may be registered under, in the order asked."""
    digits = "".join(ch for ch in enterprise_number if ch.isdigit())
    return [f"0208:{digits}", f"9925:BE{digits}"]


def is_own(smp_host: str, settings: PeppolSettings) -> bool:
    own = settings.own_smp
    if not own:
        return False
    if ":" in own:  # host:port: both must match
        return smp_host == own
    return smp_host.split(":", 1)[0] == own


async def lookup_participant(
    identifier: str, settings: PeppolSettings, resolver: dns.asyncresolver.Resolver
) -> LookupResult:
    """One participant id; raises NotRegistered or LookupFailed."""
    smp = await find_smp(identifier, settings, resolver)
    if is_own(smp.host, settings):
        return LookupResult(
            PeppolLookupState.REGISTERED_HERE, participant_id=identifier, smp_host=smp.host
        )
    point = await find_access_point(identifier, smp, settings)
    return LookupResult(
        PeppolLookupState.REGISTERED_ELSEWHERE,
        participant_id=identifier,
        provider=point.provider,
        seat_id=point.seat_id,
        smp_host=smp.host,
        access_point_url=point.url,
        message=point.note,
    )


async def lookup_company(
    enterprise_number: str,
    settings: PeppolSettings,
    resolver: dns.asyncresolver.Resolver | None = None,
) -> LookupResult:
    """Where the company with this enterprise number receives Peppol invoices, if anywhere."""
    resolver = resolver or make_resolver(settings)
    failure: str | None = None
    try:
        async with asyncio.timeout(settings.deadline):
            for identifier in identifiers(enterprise_number):
                try:
                    return await lookup_participant(identifier, settings, resolver)
                except NotRegistered:
                    continue
                except LookupFailed as exc:
                    # The other identifier may still be registered; if not, this one's
                    # failure means we cannot tell.
                    failure = failure or f"{identifier}: {exc}"
    except TimeoutError:
        failure = f"the lookup took longer than {settings.deadline:g} s"
    if failure is not None:
        return LookupResult(PeppolLookupState.LOOKUP_FAILED, message=clip(failure, 300))
    return LookupResult(PeppolLookupState.NOT_REGISTERED)
