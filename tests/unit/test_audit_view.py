"""The audit trail's model: one line per change, the filter's terms, the CSV records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from lucy_tui.api.models import AuditEntry, AuditKind, PeppolLookupState
from lucy_tui.audit_view import AuditView, describe, parse_audit_filter

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def entry(
    entry_id: int,
    kind: AuditKind,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    who: str = "Ann Admin",
    client: str | None = "Aalter Interieur BV",
    day: int = 20,
) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        at=AT.replace(day=day),
        staff_id=1,
        staff_name=who,
        kind=kind,
        client_id=7 if client else None,
        client_name=client,
        before=before,
        after=after,
    )


def test_each_kind_of_change_reads_as_one_line() -> None:
    assert describe(entry(1, AuditKind.CLIENT_UPDATED, {"name": "A"}, {"name": "B"})) == (
        "name: A → B"
    )
    assert describe(entry(2, AuditKind.CLIENT_HIDDEN, {"hidden": False}, {"hidden": True})) == (
        "hidden: off → on"
    )
    teams = entry(3, AuditKind.CLIENT_TEAMS_CHANGED, {"teams": ["North"]}, {"teams": []})
    assert describe(teams) == "teams: North → none"
    contact = entry(4, AuditKind.CLIENT_CONTACT_CHANGED, {"contact": None}, {"contact": "Ann"})
    assert describe(contact) == "contact: — → Ann"
    added = entry(5, AuditKind.USER_ADDED, None, {"email": "a@b.be", "user_id": 3})
    assert describe(added) == "email: a@b.be; user_id: 3"
    removed = entry(6, AuditKind.VAULT_DELETED, {"name": "x.pdf", "size": 10}, None)
    assert describe(removed) == "name: x.pdf; size: 10"
    many = entry(
        7,
        AuditKind.DOCUMENTS_SENT,
        None,
        {"document_ids": list(range(1, 11)), "failed": [], "destinations": ["Yuki"]},
    )
    assert describe(many) == "10 documents (1, 2, 3, 4, 5, 6, 7, 8 and 2 more) to Yuki"
    lookup = entry(
        8,
        AuditKind.PEPPOL_LOOKED_UP,
        {"state": "unchecked"},
        {"state": "registered_elsewhere", "provider": "Billit NV"},
    )
    assert describe(lookup) == (
        f"network: {PeppolLookupState.UNCHECKED.label} → "
        f"{PeppolLookupState.REGISTERED_ELSEWHERE.label} (Billit NV)"
    )


def test_the_filter_parses_terms_and_says_what_it_cannot_read() -> None:
    parsed = parse_audit_filter("Peppol who:Ann what:switched client:aalter since:2026-11-01")
    assert parsed.words == ["peppol"] and parsed.who == ["ann"]
    assert parsed.what == ["switched"] and parsed.clients == ["aalter"]
    assert parsed.since == date(2026, 11, 1) and not parsed.hints
    bad = parse_audit_filter("since:yesterday colour:red who:")
    assert len(bad.hints) == 3
    assert any("since:2026-11-01" in hint for hint in bad.hints)


def test_the_view_shows_the_newest_first_and_filters() -> None:
    view = AuditView()
    view.add([entry(1, AuditKind.CLIENT_HIDDEN, {"hidden": False}, {"hidden": True}, day=18)])
    view.add(
        [
            entry(3, AuditKind.SIGNED_IN, None, None, who="Eric Employee", client=None),
            entry(2, AuditKind.CLIENT_UPDATED, {"name": "A"}, {"name": "Électricité"}),
        ]
    )
    assert [e.id for e in view.shown()] == [3, 2, 1]
    view.set_filter("electricite")  # accents and case do not matter
    assert [e.id for e in view.shown()] == [2]
    view.set_filter("who:eric")
    assert [e.id for e in view.shown()] == [3]
    view.set_filter("until:2026-11-19")
    assert [e.id for e in view.shown()] == [1]
    assert view.index_of(1) == 0 and view.index_of(2) is None
    view.set_filter("")
    records = view.csv_records()
    assert records[0][2:6] == ("Signed in", "auth.signed_in", "", "")
    assert records[1][6:] == ("name: A → Électricité", '{"name": "A"}', '{"name": "Électricité"}')
