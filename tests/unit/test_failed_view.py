"""The firm's Failed documents' view model (issue 9): filter terms, sort, grouping by
reason, the selection, and the remembered filters giving what a fresh search gives."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from lucy_tui.api.models import DocumentDirection, DocumentSource, DocumentStatus, FirmDocument
from lucy_tui.failed_view import FailedColumn, FailedView, parse_failed_filter

TODAY = date(2026, 11, 27)
REASONS = ("Yuki did not answer in time", "Octopus rejected the document: closed period", None)
CLIENTS = ("Bakkerij Claes", "Électricité Dupont", "Garage Mertens BV")


def document(i: int, rng: random.Random) -> FirmDocument:
    client = i % len(CLIENTS)
    return FirmDocument(
        id=i,
        client_id=client + 1,
        client_name=CLIENTS[client],
        date=TODAY - timedelta(days=rng.randrange(0, 40)),
        counterparty=rng.choice(("Proximus", "Colruyt", "Engie", "Q8")),
        direction=DocumentDirection.PURCHASE,
        amount=Decimal(rng.randrange(100, 100_000)) / 100,
        source=DocumentSource.EMAIL,
        status=DocumentStatus.FAILED,
        failure_reason=rng.choice(REASONS),
        destination="Yuki",
    )


def view_of(count: int = 300) -> FailedView:
    rng = random.Random(9)
    view = FailedView(TODAY)
    view.add(document(i, rng) for i in range(1, count + 1))
    view.refresh()
    return view


def shown_ids(view: FailedView) -> list[int]:
    return [view.row_at(i).id for i in range(len(view))]


def test_field_terms_and_hints() -> None:
    parsed = parse_failed_filter("client:claes reason:rejected age:>7d proximus colour:red age:x")
    assert parsed.words == ["proximus"] and parsed.clients == ["claes"]
    assert parsed.reasons == ["rejected"] and len(parsed.ages) == 1
    assert any("unknown field 'colour'" in h for h in parsed.hints)
    assert any(h.startswith("age:") for h in parsed.hints)


def test_the_terms_filter_as_they_say() -> None:
    view = view_of()
    view.set_filter("client:electricite age:>7d reason:rejected")  # accents do not matter
    shown = [view.row_at(i) for i in range(len(view))]
    assert shown
    for row in shown:
        assert row.client_name == "Électricité Dupont"
        assert (TODAY - row.date).days > 7
        assert "rejected" in (row.failure_reason or "")
    view.set_filter("age:<=3")
    assert all((TODAY - view.row_at(i).date).days <= 3 for i in range(len(view)))


def test_remembered_filters_show_what_a_fresh_search_shows() -> None:
    view = view_of()
    typed = "proximus yuki"
    for end in [*range(1, len(typed) + 1), *range(len(typed) - 1, -1, -1)]:
        text = typed[:end]
        view.set_filter(text)
        fresh = view_of()
        fresh.set_filter(text)
        assert shown_ids(view) == shown_ids(fresh), text


def test_sort_and_grouping_by_reason() -> None:
    view = view_of()
    view.set_sort(FailedColumn.AGE)  # the oldest first
    ages = [(TODAY - view.row_at(i).date).days for i in range(len(view))]
    assert ages == sorted(ages, reverse=True)
    view.toggle_grouping()
    groups = view.groups()
    assert [count for _, count in groups] == sorted((c for _, c in groups), reverse=True)
    reasons = [view.row_at(i).failure_reason or "no reason given" for i in range(len(view))]
    first = groups[0][0]
    assert reasons[: groups[0][1]] == [first] * groups[0][1]  # the biggest group first
    inside = [(TODAY - view.row_at(i).date).days for i in range(groups[0][1])]
    assert inside == sorted(inside, reverse=True)  # the sort holds inside a group


def test_selection_by_reason_and_hidden_by_the_filter() -> None:
    view = view_of()
    reason = REASONS[0]
    assert reason is not None
    count = view.select_reason(reason)
    assert count == view.group_size(reason) == len(view.selected)
    view.set_filter("client:bakkerij")
    hidden = sum(1 for d in view.selected_documents() if d.client_name != "Bakkerij Claes")
    assert view.hidden_selected == hidden > 0
    view.clear_selection()
    assert view.select_shown() == len(view)
    assert view.select_status(DocumentStatus.FAILED) == view.total
