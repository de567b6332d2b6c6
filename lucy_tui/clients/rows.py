"""The client list's rows and columns, independent of how they are drawn.

A :class:`ClientRow` is a compact copy of a :class:`ClientSummary` with what the list
needs precomputed (display cells, search text, sort keys), so that 50,000 rows filter
and sort in milliseconds and cost little memory.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from operator import itemgetter
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from lucy_tui.api.enums import ClientStatus, PeppolLookupState, Plan
from lucy_tui.api.folding import fold
from lucy_tui.api.row_columns import CLIENT_ROW_COLUMNS
from lucy_tui.columns import FLEXIBLE, ColumnSpec

if TYPE_CHECKING:  # pydantic: the list is drawn before it is imported
    from lucy_tui.api.models import ClientSummary

TRIAL_SOON_DAYS = 7  # a trial ending within this many days stands out


class Column(StrEnum):
    FAVOURITE = "favourite"
    NAME = "name"
    CONTACT = "contact"
    TEAM = "team"
    STATUS = "status"
    INTEGRATIONS = "integrations"
    PEPPOL = "peppol"
    INBOX = "inbox"
    FAILED = "failed"
    PLAN = "plan"
    TRIAL = "trial"


COLUMNS: tuple[ColumnSpec[Column], ...] = (
    ColumnSpec(Column.FAVOURITE, "★", 1, pinned=True),
    ColumnSpec(Column.NAME, "Client", FLEXIBLE, pinned=True),
    ColumnSpec(Column.CONTACT, "Contact", 18),
    ColumnSpec(Column.TEAM, "Team", 12),
    ColumnSpec(Column.STATUS, "Status", 9),
    ColumnSpec(Column.INTEGRATIONS, "Integrations", 16),
    ColumnSpec(Column.PEPPOL, "Peppol", 11),
    ColumnSpec(Column.INBOX, "Inbox", 6, "right"),
    ColumnSpec(Column.FAILED, "Failed", 6, "right"),
    ColumnSpec(Column.PLAN, "Plan", 17),
    ColumnSpec(Column.TRIAL, "Trial ends", 11),
)


def _short_integrations(names: list[str]) -> str:
    return ", ".join(names)


_MISSING: Any = object()


def _wire(data: Mapping[str, Any], name: str, kind: type, default: Any = _MISSING) -> Any:
    """``data[name]`` when it is a ``kind`` (or null where ``default`` is None)."""
    value = data.get(name, default)
    if value is _MISSING:
        raise ValueError(f"a client has no {name}")
    if value is None and default is None:
        return None
    # bool is an int in Python, never in JSON's sense
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"a client's {name} is not {kind.__name__}")
    return value


def _wire_texts(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"a client's {name} is not a list of text")
    return value


@dataclass(slots=True)
class ClientRow:
    """One client as the list shows it."""

    id: int
    name: str
    enterprise_number: str
    vat_number: str
    contact: str
    teams: str
    status: ClientStatus
    integrations: str
    peppol_sending: bool
    peppol_receiving: bool
    peppol_network: PeppolLookupState  # the last good lookup's state (or failed, unchecked)
    peppol_stale: bool  # the latest lookup failed after a good one
    inbox_count: int
    failed_count: int
    plan: Plan
    trial_ends_on: date | None
    hidden: bool
    version: int
    search_text: str  # folded (api.folding): name, numbers, contact, teams, integrations
    name_key: str

    @classmethod
    def from_summary(cls, client: ClientSummary) -> ClientRow:
        return _make(
            cls,
            client.id,
            client.name,
            client.enterprise_number,
            client.vat_number,
            client.contact_name,
            client.team_names,
            client.status,
            client.integrations,
            client.peppol_sending,
            client.peppol_receiving,
            client.peppol_network,
            client.peppol_stale,
            client.inbox_count,
            client.failed_count,
            client.plan,
            client.trial_ends_on,
            client.hidden,
            client.version,
        )

    @classmethod
    def wire_reader(cls, columns: Sequence[str]) -> Callable[[list[Any]], ClientRow]:
        """For the compact list (``GET /client-rows``): given its header's ``columns``, a
        function from one row's array to a row, checked as :meth:`from_wire` checks a
        ``ClientSummary``'s JSON (``ValueError``), without a dict or pydantic per row."""
        missing = [name for name in WIRE_COLUMNS if name not in columns]
        if missing:
            raise ValueError(f"the client list has no {missing[0]} column")
        pick = itemgetter(*(list(columns).index(name) for name in WIRE_COLUMNS))
        width = len(columns)

        def read(values: list[Any]) -> ClientRow:
            if type(values) is not list or len(values) != width:
                raise ValueError("a client is not an array of the list's columns")
            (
                client_id,
                name,
                enterprise_number,
                vat_number,
                contact_name,
                team_names,
                status,
                integrations,
                peppol_sending,
                peppol_receiving,
                peppol_network,
                peppol_stale,
                inbox_count,
                failed_count,
                plan,
                trial_ends_on,
                hidden,
                version,
            ) = pick(values)
            # type() is: bool is an int in Python, never in JSON's sense
            if not (
                type(client_id) is int
                and type(name) is str
                and type(enterprise_number) is str
                and type(vat_number) is str
                and (contact_name is None or type(contact_name) is str)
                and type(peppol_sending) is bool
                and type(peppol_receiving) is bool
                and type(peppol_stale) is bool
                and type(inbox_count) is int
                and type(failed_count) is int
                and type(hidden) is bool
                and type(version) is int
                and (trial_ends_on is None or type(trial_ends_on) is str)
                and type(team_names) is list
                and type(integrations) is list
                and all(type(item) is str for item in team_names)
                and all(type(item) is str for item in integrations)
            ):
                raise ValueError(f"a client's fields are not of their types: {values!r:.200}")
            try:
                return _make(
                    cls,
                    client_id,
                    name,
                    enterprise_number,
                    vat_number,
                    contact_name,
                    team_names,
                    _STATUSES[status],
                    integrations,
                    peppol_sending,
                    peppol_receiving,
                    _NETWORKS[peppol_network],
                    peppol_stale,
                    inbox_count,
                    failed_count,
                    _PLANS[plan],
                    date.fromisoformat(trial_ends_on) if trial_ends_on is not None else None,
                    hidden,
                    version,
                )
            except (KeyError, TypeError):  # an unknown status, plan or Peppol state
                raise ValueError(f"a client has an unknown value: {values!r:.200}") from None

        return read

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ClientRow:
        """A row from a ``ClientSummary`` as JSON decoded it, checked without pydantic (the
        last session's rows are drawn before pydantic is imported). Raises ``ValueError``
        on anything a ``ClientSummary`` would refuse (the unknown fields are ignored)."""
        if not isinstance(data, Mapping):
            raise ValueError("a client is not an object")
        trial = _wire(data, "trial_ends_on", str, None)
        client = SimpleNamespace(  # what from_summary reads of a ClientSummary
            id=_wire(data, "id", int),
            name=_wire(data, "name", str),
            enterprise_number=_wire(data, "enterprise_number", str),
            vat_number=_wire(data, "vat_number", str),
            contact_name=_wire(data, "contact_name", str, None),
            team_names=_wire_texts(data, "team_names"),
            status=ClientStatus(_wire(data, "status", str)),
            integrations=_wire_texts(data, "integrations"),
            peppol_sending=_wire(data, "peppol_sending", bool, False),
            peppol_receiving=_wire(data, "peppol_receiving", bool, False),
            peppol_network=PeppolLookupState(
                _wire(data, "peppol_network", str, PeppolLookupState.UNCHECKED.value)
            ),
            peppol_stale=_wire(data, "peppol_stale", bool, False),
            inbox_count=_wire(data, "inbox_count", int, 0),
            failed_count=_wire(data, "failed_count", int, 0),
            plan=Plan(_wire(data, "plan", str)),
            trial_ends_on=date.fromisoformat(trial) if trial is not None else None,
            hidden=_wire(data, "hidden", bool, False),
            version=_wire(data, "version", int),
        )
        return cls.from_summary(cast(Any, client))

    def trial_days_left(self, today: date) -> int | None:
        if self.trial_ends_on is None:
            return None
        return (self.trial_ends_on - today).days

    def trial_ends_soon(self, today: date) -> bool:
        days = self.trial_days_left(today)
        return days is not None and days <= TRIAL_SOON_DAYS

    @property
    def peppol_label(self) -> str:
        parts = [
            label
            for on, label in ((self.peppol_sending, "send"), (self.peppol_receiving, "receive"))
            if on
        ]
        return " + ".join(parts) if parts else "off"


WIRE_COLUMNS = CLIENT_ROW_COLUMNS  # the fields of a client that make its row

_STATUSES: dict[Any, ClientStatus] = {s.value: s for s in ClientStatus}
_PLANS: dict[Any, Plan] = {p.value: p for p in Plan}
_NETWORKS: dict[Any, PeppolLookupState] = {n.value: n for n in PeppolLookupState}


def _make(
    cls: type[ClientRow],
    client_id: int,
    name: str,
    enterprise_number: str,
    vat_number: str,
    contact_name: str | None,
    team_names: list[str],
    status: ClientStatus,
    integration_names: list[str],
    peppol_sending: bool,
    peppol_receiving: bool,
    peppol_network: PeppolLookupState,
    peppol_stale: bool,
    inbox_count: int,
    failed_count: int,
    plan: Plan,
    trial_ends_on: date | None,
    hidden: bool,
    version: int,
) -> ClientRow:
    """A row and what the list precomputes for it (positional: 50,000 of them)."""
    teams = ", ".join(team_names)
    integrations = _short_integrations(integration_names)
    contact = contact_name or ""
    digits = enterprise_number.replace(".", "")
    search = " ".join((name, enterprise_number, digits, vat_number, contact, teams, integrations))
    return cls(
        client_id,
        name,
        enterprise_number,
        vat_number,
        contact,
        teams,
        status,
        integrations,
        peppol_sending,
        peppol_receiving,
        peppol_network,
        peppol_stale,
        inbox_count,
        failed_count,
        plan,
        trial_ends_on,
        hidden,
        version,
        fold(search),
        fold(name),
    )


_STATUS_ORDER = {ClientStatus.CREATED: 0, ClientStatus.INVITED: 1, ClientStatus.ACTIVE: 2}
_PLAN_ORDER = {plan: index for index, plan in enumerate(Plan)}
_FAR_FUTURE = date.max

SORT_KEYS: dict[Column, Callable[[ClientRow], Any]] = {
    Column.FAVOURITE: lambda row: row.name_key,  # favourites always lead; then by name
    Column.NAME: lambda row: row.name_key,
    Column.CONTACT: lambda row: (fold(row.contact) or "\uffff", row.name_key),
    Column.TEAM: lambda row: (fold(row.teams) or "\uffff", row.name_key),
    Column.STATUS: lambda row: (_STATUS_ORDER[row.status], row.name_key),
    Column.INTEGRATIONS: lambda row: (fold(row.integrations) or "\uffff", row.name_key),
    Column.PEPPOL: lambda row: (-(row.peppol_sending + row.peppol_receiving), row.name_key),
    Column.INBOX: lambda row: (row.inbox_count, row.name_key),
    Column.FAILED: lambda row: (row.failed_count, row.name_key),
    Column.PLAN: lambda row: (_PLAN_ORDER[row.plan], row.name_key),
    Column.TRIAL: lambda row: (row.trial_ends_on or _FAR_FUTURE, row.name_key),
}

# Rows with nothing to sort on in these columns come last, in either direction.
SORT_EMPTY: dict[Column, Callable[[ClientRow], bool]] = {
    Column.CONTACT: lambda row: not row.contact,
    Column.TEAM: lambda row: not row.teams,
    Column.INTEGRATIONS: lambda row: not row.integrations,
    Column.TRIAL: lambda row: row.trial_ends_on is None,
}

CSV_HEADER = (
    "favourite",
    "name",
    "enterprise_number",
    "vat_number",
    "contact",
    "teams",
    "status",
    "integrations",
    "peppol_sending",
    "peppol_receiving",
    "inbox",
    "failed",
    "plan",
    "trial_ends_on",
    "hidden",  # from employees (only admins see such clients)
)


def _cell(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_record(row: ClientRow, favourite: bool) -> tuple[str, ...]:
    return (
        "yes" if favourite else "",
        _cell(row.name),
        row.enterprise_number,
        row.vat_number,
        _cell(row.contact),
        _cell(row.teams),
        row.status.label,
        _cell(row.integrations),
        "on" if row.peppol_sending else "off",
        "on" if row.peppol_receiving else "off",
        str(row.inbox_count),
        str(row.failed_count),
        row.plan.label,
        row.trial_ends_on.isoformat() if row.trial_ends_on else "",
        "yes" if row.hidden else "",
    )
