"""No lost updates: two staff members edit the same thing from two LucyClients; whoever saves
second on a stale version gets 412, nothing of theirs is stored, and after a reload their
change goes in on top of the first one's (both kept).

Covered elsewhere: If-Match required (428), stale (412), the If-Match forms, for every
versioned resource with one token (tests/server/test_protocol.py); eight concurrent PATCHes
with one token (tests/server/test_concurrency.py). The app side (a reload that keeps what the
user typed): tests/tui/test_invoice_settings.py, tests/tui/test_overview.py (allowed
senders) and tests/tui/test_lost_updates.py (hide and client-facing contact).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lucy_tui.api.client import LucyClient
from lucy_tui.api.errors import PreconditionFailedError
from lucy_tui.api.models import (
    ClientIntegrationsUpdate,
    ClientUpdate,
    InvoiceSettings,
    InvoiceSettingsUpdate,
    Plan,
)

SETTABLE = set(InvoiceSettingsUpdate.model_fields)


def editable(settings: InvoiceSettings, **changes: Any) -> InvoiceSettingsUpdate:
    """What the Invoice Settings form saves: the loaded settings with the user's changes."""
    values = settings.model_dump(include=SETTABLE)
    values.update(changes)
    return InvoiceSettingsUpdate.model_validate(values)


def stale(error: PreconditionFailedError, now: int) -> None:
    assert error.status == 412
    assert error.code == "precondition_failed"
    assert error.details == {"current_version": now}
    assert "reload and try again" in error.message


async def test_a_stale_client_change_is_refused_then_goes_in_on_top(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    mine, theirs = await admin.client(client_id), await employee.client(client_id)
    assert mine.version == theirs.version == 1 and theirs.plan is not Plan.BILLING

    renamed = await admin.update_client(client_id, ClientUpdate(name="Aalter Nieuw BV"), 1)
    with pytest.raises(PreconditionFailedError) as caught:
        await employee.update_client(client_id, ClientUpdate(plan=Plan.BILLING), theirs.version)
    stale(caught.value, renamed.version)
    assert await admin.client(client_id) == renamed  # nothing of the employee's stored

    reloaded = await employee.client(client_id)
    both = await employee.update_client(
        client_id, ClientUpdate(plan=Plan.BILLING), reloaded.version
    )
    assert (both.name, both.plan, both.version) == ("Aalter Nieuw BV", Plan.BILLING, 3)


async def test_stale_invoice_settings_are_refused_then_go_in_on_top(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    mine, theirs = (
        await admin.invoice_settings(client_id),
        await employee.invoice_settings(client_id),
    )
    saved = await admin.save_invoice_settings(
        client_id, editable(mine, footer="Betaling binnen 14 dagen"), mine.version
    )
    with pytest.raises(PreconditionFailedError) as caught:
        await employee.save_invoice_settings(
            client_id, editable(theirs, phone="+32 9 999 99 99"), theirs.version
        )
    stale(caught.value, saved.version)
    assert await admin.invoice_settings(client_id) == saved

    reloaded = await employee.invoice_settings(client_id)
    both = await employee.save_invoice_settings(
        client_id, editable(reloaded, phone="+32 9 999 99 99"), reloaded.version
    )
    assert both.footer == "Betaling binnen 14 dagen" and both.phone == "+32 9 999 99 99"
    assert both.version == saved.version + 1


async def test_stale_allowed_senders_are_refused_then_go_in_on_top(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int]
) -> None:
    client_id = cases["rich"]
    mine, theirs = await admin.allowed_senders(client_id), await employee.allowed_senders(client_id)
    saved = await admin.set_allowed_senders(
        client_id, [*mine.senders, "admin-added@example.be"], mine.version
    )
    with pytest.raises(PreconditionFailedError) as caught:
        await employee.set_allowed_senders(
            client_id, [*theirs.senders[1:], "employee-added@example.be"], theirs.version
        )
    stale(caught.value, saved.version)
    assert await admin.allowed_senders(client_id) == saved

    reloaded = await employee.allowed_senders(client_id)
    removed = theirs.senders[0]
    merged = [s for s in reloaded.senders if s != removed] + ["employee-added@example.be"]
    both = await employee.set_allowed_senders(client_id, merged, reloaded.version)
    assert "admin-added@example.be" in both.senders
    assert "employee-added@example.be" in both.senders and removed not in both.senders


Save = Callable[[LucyClient, int, str], Awaitable[Any]]
Read = Callable[[LucyClient, int], Awaitable[Any]]


async def _patch(api: LucyClient, client_id: int, who: str) -> Any:
    return await api.update_client(client_id, ClientUpdate(name=f"Renamed by {who}"), 1)


async def _settings(api: LucyClient, client_id: int, who: str) -> Any:
    current = await api.invoice_settings(client_id)
    return await api.save_invoice_settings(client_id, editable(current, footer=who), 1)


async def _senders(api: LucyClient, client_id: int, who: str) -> Any:
    return await api.set_allowed_senders(client_id, [f"{who}@example.be"], 1)


async def _peppol(api: LucyClient, client_id: int, who: str) -> Any:
    sending = who == "admin"
    return await api.set_peppol(client_id, sending=sending, receiving=not sending, version=1)


async def _integrations(api: LucyClient, client_id: int, who: str) -> Any:
    package = "octopus" if who == "admin" else "winbooks"
    update = ClientIntegrationsUpdate(accounting_package=package)
    return await api.set_client_integrations(client_id, update, 1)


READ: dict[str, Read] = {
    "client": lambda api, client_id: api.client(client_id),
    "invoice-settings": lambda api, client_id: api.invoice_settings(client_id),
    "allowed-senders": lambda api, client_id: api.allowed_senders(client_id),
    "peppol": lambda api, client_id: api.peppol(client_id),
    "integrations": lambda api, client_id: api.client_integrations(client_id),
}
SAVE: dict[str, Save] = {
    "client": _patch,
    "invoice-settings": _settings,
    "allowed-senders": _senders,
    "peppol": _peppol,
    "integrations": _integrations,
}


@pytest.mark.parametrize("resource", sorted(SAVE))
async def test_two_staff_saving_the_same_version_at_once_one_wins_whole(
    admin: LucyClient, employee: LucyClient, cases: dict[str, int], resource: str
) -> None:
    client_id = cases["rich"]
    assert (await READ[resource](admin, client_id)).version == 1
    results = await asyncio.gather(
        SAVE[resource](admin, client_id, "admin"),
        SAVE[resource](employee, client_id, "employee"),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], PreconditionFailedError), losers[0]
    assert losers[0].details == {"current_version": 2}
    stored = await READ[resource](admin, client_id)
    assert stored == winners[0] and stored.version == 2  # the winner's, whole
