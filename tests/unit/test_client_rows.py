"""Rows of the client list (lucy_tui.clients.rows): built from ClientSummary, sorted, exported."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from lucy_tui.api.models import ClientStatus, Plan
from lucy_tui.clients.rows import (
    COLUMNS,
    CSV_HEADER,
    SORT_KEYS,
    TRIAL_SOON_DAYS,
    ClientRow,
    Column,
    csv_record,
)

from .factories import TODAY, make_client, make_row


def test_from_summary_copies_every_field() -> None:
    client = make_client(
        42,
        name="Bakkerij Peeters BV",
        contact_id=7,
        contact_name="Eline Maes",
        team_names=["North", "Payroll"],
        status=ClientStatus.INVITED,
        integrations=["Yuki", "Clearfacts"],
        peppol_sending=True,
        peppol_receiving=False,
        inbox_count=12,
        plan=Plan.TRIAL,
        trial_ends_on=TODAY + timedelta(days=10),
        hidden=True,
        version=5,
    )
    row = ClientRow.from_summary(client)
    assert row.id == 42
    assert row.name == "Bakkerij Peeters BV"
    assert row.enterprise_number == client.enterprise_number
    assert row.vat_number == client.vat_number
    assert row.contact == "Eline Maes"
    assert row.teams == "North, Payroll"
    assert row.status is ClientStatus.INVITED
    assert row.integrations == "Yuki, Clearfacts"
    assert row.peppol_sending is True
    assert row.peppol_receiving is False
    assert row.inbox_count == 12
    assert row.plan is Plan.TRIAL
    assert row.trial_ends_on == TODAY + timedelta(days=10)
    assert row.hidden is True
    assert row.version == 5


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {
            "name": "Électricité Dubois",
            "contact_name": "Eline Maes",
            "team_names": ["North", "Payroll"],
            "status": ClientStatus.INVITED,
            "integrations": ["Yuki"],
            "peppol_sending": True,
            "peppol_network": "registered_elsewhere",
            "peppol_stale": True,
            "inbox_count": 12,
            "failed_count": 3,
            "plan": Plan.TRIAL,
            "trial_ends_on": TODAY,
            "hidden": True,
            "version": 5,
        },
    ],
    ids=["defaults", "every-field"],
)
def test_a_row_from_the_wire_without_pydantic_is_the_row_from_its_summary(
    fields: dict[str, object],
) -> None:
    """The last session's rows are read without pydantic (ClientRow.from_wire) and must
    be the rows the live list would build from the same clients."""
    client = make_client(7, **fields)
    wire = json.loads(client.model_dump_json())
    assert ClientRow.from_wire(wire) == ClientRow.from_summary(client)
    assert ClientRow.from_wire({**wire, "unknown": 1}) == ClientRow.from_summary(client)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"id": "7"}, "id is not int"),
        ({"id": True}, "id is not int"),
        ({"name": None}, "name is not str"),
        ({"status": "gone"}, "gone"),
        ({"plan": 3}, "plan is not str"),
        ({"team_names": ["North", 1]}, "team_names is not a list of text"),
        ({"peppol_sending": 1}, "peppol_sending is not bool"),
        ({"trial_ends_on": "someday"}, "someday"),
        ({"version": None}, "version is not int"),
    ],
)
def test_a_row_from_the_wire_refuses_what_a_summary_refuses(
    change: dict[str, object], said: str
) -> None:
    wire = json.loads(make_client(7).model_dump_json())
    with pytest.raises(ValueError, match=said):
        ClientRow.from_wire({**wire, **change})
    without_name = {key: value for key, value in wire.items() if key != "name"}
    with pytest.raises(ValueError, match="has no name"):
        ClientRow.from_wire(without_name)


def test_missing_contact_teams_and_integrations_become_empty_text() -> None:
    row = make_row(1, contact_name=None, team_names=[], integrations=[])
    assert (row.contact, row.teams, row.integrations) == ("", "", "")


def test_search_text_is_lowercase_and_holds_every_searchable_column() -> None:
    row = make_row(
        1,
        name="Bakkerij PEETERS",
        contact_name="Eline Maes",
        team_names=["North"],
        integrations=["Exact Online"],
    )
    text = row.search_text
    assert text == text.lower()
    assert "bakkerij peeters" in text
    assert row.enterprise_number in text  # as shown: 0100.000.1xx
    assert row.enterprise_number.replace(".", "") in text  # as typed without dots
    assert row.vat_number.lower() in text
    assert "eline maes" in text
    assert "north" in text
    assert "exact online" in text


def test_name_key_is_casefolded_for_sorting() -> None:
    assert make_row(1, name="Straße NV").name_key == "strasse nv"
    assert make_row(2, name="ALPHA").name_key == make_row(3, name="alpha").name_key


# --- trial ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "left"),
    [(0, 0), (1, 1), (30, 30), (-2, -2)],
)
def test_trial_days_left(offset: int, left: int) -> None:
    row = make_row(1, plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=offset))
    assert row.trial_days_left(TODAY) == left


def test_no_trial_end_means_no_days_left_and_never_ending_soon() -> None:
    row = make_row(1, plan=Plan.BUSINESS, trial_ends_on=None)
    assert row.trial_days_left(TODAY) is None
    assert row.trial_ends_soon(TODAY) is False


@pytest.mark.parametrize(
    ("offset", "soon"),
    [
        (0, True),
        (1, True),
        (TRIAL_SOON_DAYS, True),
        (TRIAL_SOON_DAYS + 1, False),
        (29, False),
        (-1, True),  # an ended trial is still flagged: Lucy itself sends no notice
    ],
)
def test_trial_ends_soon_within_the_threshold(offset: int, soon: bool) -> None:
    row = make_row(1, plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=offset))
    assert row.trial_ends_soon(TODAY) is soon


def test_trial_soon_threshold_is_a_week() -> None:
    assert TRIAL_SOON_DAYS == 7


# --- display ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sending", "receiving", "label"),
    [
        (False, False, "off"),
        (True, False, "send"),
        (False, True, "receive"),
        (True, True, "send + receive"),
    ],
)
def test_peppol_label(sending: bool, receiving: bool, label: str) -> None:
    row = make_row(1, peppol_sending=sending, peppol_receiving=receiving)
    assert row.peppol_label == label


def test_columns_cover_every_column_once_in_the_design_order() -> None:
    assert [spec.column for spec in COLUMNS] == list(Column)
    assert [spec.column for spec in COLUMNS if spec.width == 0] == [Column.NAME]
    assert {spec.column: spec.align for spec in COLUMNS}[Column.INBOX] == "right"


# --- sort keys ----------------------------------------------------------------------------------


def sort_ids(column: Column, rows: list[ClientRow]) -> list[int]:
    return [row.id for row in sorted(rows, key=SORT_KEYS[column])]


def test_every_column_has_a_sort_key() -> None:
    assert set(SORT_KEYS) == set(Column)
    row = make_row(1)
    for column in Column:
        SORT_KEYS[column](row)  # never raises on a default row


@pytest.mark.parametrize("column", [Column.NAME, Column.FAVOURITE])
def test_name_sort_ignores_case(column: Column) -> None:
    rows = [make_row(1, name="beta"), make_row(2, name="Alpha"), make_row(3, name="ALPHA Two")]
    assert sort_ids(column, rows) == [2, 3, 1]


@pytest.mark.parametrize(
    ("column", "field"),
    [
        (Column.CONTACT, "contact_name"),
        (Column.TEAM, "team_names"),
        (Column.INTEGRATIONS, "integrations"),
    ],
)
def test_text_columns_sort_case_insensitively_with_empty_values_last(
    column: Column, field: str
) -> None:
    def value(text: str) -> object:
        if field == "contact_name":
            return text or None
        return [text] if text else []

    rows = [
        make_row(1, name="A", **{field: value("")}),
        make_row(2, name="B", **{field: value("zeta")}),
        make_row(3, name="C", **{field: value("Alpha")}),
        make_row(4, name="D", **{field: value("alpha")}),
        make_row(5, name="E", **{field: value("")}),
    ]
    # Equal values fall back on the name; empty ones come last, by name too.
    assert sort_ids(column, rows) == [3, 4, 2, 1, 5]


def test_status_sorts_in_lifecycle_order_then_by_name() -> None:
    rows = [
        make_row(1, name="A", status=ClientStatus.ACTIVE),
        make_row(2, name="B", status=ClientStatus.CREATED),
        make_row(3, name="C", status=ClientStatus.INVITED),
        make_row(4, name="D", status=ClientStatus.CREATED),
    ]
    assert sort_ids(Column.STATUS, rows) == [2, 4, 3, 1]


def test_peppol_sorts_the_most_connected_first() -> None:
    rows = [
        make_row(1, name="A"),
        make_row(2, name="B", peppol_sending=True, peppol_receiving=True),
        make_row(3, name="C", peppol_receiving=True),
        make_row(4, name="D", peppol_sending=True),
    ]
    assert sort_ids(Column.PEPPOL, rows) == [2, 3, 4, 1]


def test_inbox_sorts_by_count_then_name() -> None:
    rows = [
        make_row(1, name="A", inbox_count=10),
        make_row(2, name="B", inbox_count=0),
        make_row(3, name="C", inbox_count=2),
        make_row(4, name="D", inbox_count=0),
    ]
    assert sort_ids(Column.INBOX, rows) == [2, 4, 3, 1]


def test_plan_sorts_in_plan_order() -> None:
    plans = [Plan.BUSINESS_PRO, Plan.TRIAL, Plan.BUSINESS, Plan.INBOX, Plan.BILLING]
    rows = [make_row(index + 1, plan=plan) for index, plan in enumerate(plans)]
    assert [plans[i - 1] for i in sort_ids(Column.PLAN, rows)] == [
        Plan.TRIAL,
        Plan.INBOX,
        Plan.BILLING,
        Plan.BUSINESS,
        Plan.BUSINESS_PRO,
    ]


def test_trial_sorts_the_soonest_end_first_and_no_trial_last() -> None:
    rows = [
        make_row(1, name="A", trial_ends_on=None),
        make_row(2, name="B", plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=20)),
        make_row(3, name="C", plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=2)),
        make_row(4, name="D", plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=2)),
    ]
    assert sort_ids(Column.TRIAL, rows) == [3, 4, 2, 1]


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_header_and_record_line_up() -> None:
    row = make_row(
        3,
        name="Bakkerij Peeters",
        contact_name="Eline Maes",
        team_names=["North", "South"],
        status=ClientStatus.ACTIVE,
        integrations=["Yuki"],
        peppol_sending=True,
        peppol_receiving=False,
        inbox_count=4,
        plan=Plan.TRIAL,
        trial_ends_on=TODAY + timedelta(days=5),
    )
    record = dict(zip(CSV_HEADER, csv_record(row, favourite=True), strict=True))
    assert record == {
        "favourite": "yes",
        "name": "Bakkerij Peeters",
        "enterprise_number": row.enterprise_number,
        "vat_number": row.vat_number,
        "contact": "Eline Maes",
        "teams": "North, South",
        "status": "Active",
        "integrations": "Yuki",
        "peppol_sending": "on",
        "peppol_receiving": "off",
        "inbox": "4",
        "failed": "0",
        "plan": "Trial",
        "trial_ends_on": (TODAY + timedelta(days=5)).isoformat(),
        "hidden": "",
    }


def test_csv_record_of_a_plain_row() -> None:
    row = make_row(1, plan=Plan.BUSINESS_PRO, status=ClientStatus.CREATED, peppol_receiving=True)
    record = dict(zip(CSV_HEADER, csv_record(row, favourite=False), strict=True))
    assert record["favourite"] == ""
    assert record["contact"] == ""
    assert record["teams"] == ""
    assert record["status"] == "Created"
    assert record["plan"] == "Lucy Business Pro"
    assert record["peppol_sending"] == "off"
    assert record["peppol_receiving"] == "on"
    assert record["inbox"] == "0"
    assert record["trial_ends_on"] == ""


def test_csv_records_are_all_text() -> None:
    record = csv_record(make_row(1), favourite=False)
    assert all(isinstance(value, str) for value in record)
    assert len(record) == len(CSV_HEADER)


def test_csv_round_trip_keeps_commas_quotes_and_accents() -> None:
    row = make_row(1, name='Café "De Kroon", Brugge', team_names=["Noord, West"])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow(csv_record(row, favourite=True))
    header, record = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert tuple(header) == CSV_HEADER
    assert record[1] == 'Café "De Kroon", Brugge'
    assert record[5] == "Noord, West"


def test_csv_record_says_a_client_is_hidden() -> None:
    """Issue 12: the export had no "hidden" column."""
    record = dict(zip(CSV_HEADER, csv_record(make_row(1, hidden=True), False), strict=True))
    assert record["hidden"] == "yes"
