"""The client list's filter language: free words plus ``field:value`` terms.

Examples: ``status:active team:north peppol:off plan:pro inbox:>0 failed:>0 trial:<30d fav``.
Every term must match (AND). A term that cannot be understood is reported in ``hints``
and ignored, so a half-typed filter never empties the list by surprise.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date

from lucy_tui.api.enums import ClientStatus, PeppolLookupState, Plan
from lucy_tui.api.folding import fold
from lucy_tui.clients.rows import ClientRow

Predicate = Callable[[ClientRow], bool]

FIELDS = ("status", "team", "plan", "peppol", "inbox", "failed", "trial", "contact")

_PLAN_WORDS: dict[str, Plan] = {
    "trial": Plan.TRIAL,
    "inbox": Plan.INBOX,
    "billing": Plan.BILLING,
    "business": Plan.BUSINESS,
    "pro": Plan.BUSINESS_PRO,
    "businesspro": Plan.BUSINESS_PRO,
    "business_pro": Plan.BUSINESS_PRO,
    "business-pro": Plan.BUSINESS_PRO,
}
_PEPPOL: dict[str, Predicate] = {
    "off": lambda r: not (r.peppol_sending or r.peppol_receiving),
    "on": lambda r: r.peppol_sending or r.peppol_receiving,
    "send": lambda r: r.peppol_sending,
    "sending": lambda r: r.peppol_sending,
    "receive": lambda r: r.peppol_receiving,
    "receiving": lambda r: r.peppol_receiving,
    "both": lambda r: r.peppol_sending and r.peppol_receiving,
    # what the Peppol network says (the last good lookup)
    "elsewhere": lambda r: r.peppol_network is PeppolLookupState.REGISTERED_ELSEWHERE,
    "here": lambda r: r.peppol_network is PeppolLookupState.REGISTERED_HERE,
    "unregistered": lambda r: r.peppol_network is PeppolLookupState.NOT_REGISTERED,
    "unchecked": lambda r: (
        r.peppol_network in (PeppolLookupState.UNCHECKED, PeppolLookupState.LOOKUP_FAILED)
    ),
    "stale": lambda r: r.peppol_stale or r.peppol_network is PeppolLookupState.LOOKUP_FAILED,
}
_COMPARISON = re.compile(r"^(>=|<=|>|<|=)?(\d+)$")
_TRIAL = re.compile(r"^(>=|<=|>|<|=)?(\d+)d?$")
_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "=": operator.eq,
}


@dataclass
class ClientFilter:
    """A parsed filter: call :meth:`matches` on rows."""

    text: str = ""
    words: list[str] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    favourites_only: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.predicates or self.favourites_only)

    def matches(self, row: ClientRow, favourites: Collection[int]) -> bool:
        """Whether one row matches: the reference meaning of a filter.

        ``ClientView.refresh`` applies the same terms in bulk, term by term, for speed.
        """
        if self.favourites_only and row.id not in favourites:
            return False
        text = row.search_text
        return all(word in text for word in self.words) and all(
            predicate(row) for predicate in self.predicates
        )


def _status(value: str) -> Predicate | str:
    matches = [s for s in ClientStatus if s.value.startswith(value)] if value else []
    if len(matches) != 1:
        return "status: created, invited or active"
    status = matches[0]
    return lambda r: r.status is status


def _plan(value: str) -> Predicate | str:
    plan = _PLAN_WORDS.get(value)
    if plan is None:
        return "plan: trial, inbox, billing, business or pro"
    return lambda r: r.plan is plan


def _team(value: str) -> Predicate | str:
    if not value:
        return "team: part of a team name, e.g. team:north"
    if value in ("none", "-"):
        return lambda r: not r.teams
    return lambda r: value in fold(r.teams)


def _contact(value: str) -> Predicate | str:
    if not value:
        return "contact: part of a staff member's name"
    return lambda r: value in fold(r.contact)


def _peppol(value: str) -> Predicate | str:
    return _PEPPOL.get(value) or (
        "peppol: off, on, send or receive; elsewhere, here, unregistered, unchecked or stale"
    )


def _inbox(value: str) -> Predicate | str:
    match = _COMPARISON.match(value)
    if not match:
        return "inbox: a number, e.g. inbox:>0 or inbox:<=5"
    compare = _OPERATORS[match.group(1) or "="]
    number = int(match.group(2))
    return lambda r: compare(r.inbox_count, number)


def _failed(value: str) -> Predicate | str:
    match = _COMPARISON.match(value)
    if not match:
        return "failed: a number, e.g. failed:>0 or failed:0"
    compare = _OPERATORS[match.group(1) or "="]
    number = int(match.group(2))
    return lambda r: compare(r.failed_count, number)


def _trial(value: str, today: date) -> Predicate | str:
    match = _TRIAL.match(value)
    if not match:
        return "trial: days left, e.g. trial:<30d"
    compare = _OPERATORS[match.group(1) or "<="]
    days = int(match.group(2))

    def predicate(row: ClientRow) -> bool:
        left = row.trial_days_left(today)
        return left is not None and compare(left, days)

    return predicate


def parse_filter(text: str, today: date) -> ClientFilter:
    """Parse what the user typed into the filter bar."""
    result = ClientFilter(text=text)
    # Accents and case do not matter: "electricite" finds "Électricité" (api.folding).
    for token in fold(text).split():
        name, colon, value = token.partition(":")
        if name in ("fav", "favs", "favourite", "favourites") and colon:
            result.hints.append("fav takes no value: type fav alone")
            continue
        if not colon:
            if token in ("fav", "favs", "favourite", "favourites", "★"):
                result.favourites_only = True
            else:
                result.words.append(token)
            continue
        parsed: Predicate | str
        if name == "status":
            parsed = _status(value)
        elif name == "plan":
            parsed = _plan(value)
        elif name == "team":
            parsed = _team(value)
        elif name == "contact":
            parsed = _contact(value)
        elif name == "peppol":
            parsed = _peppol(value)
        elif name == "inbox":
            parsed = _inbox(value)
        elif name == "failed":
            parsed = _failed(value)
        elif name == "trial":
            parsed = _trial(value, today)
        else:
            parsed = f"unknown field {name!r}; try {', '.join(FIELDS)} or fav"
        if isinstance(parsed, str):
            result.hints.append(parsed)
        else:
            result.predicates.append(parsed)
    return result
