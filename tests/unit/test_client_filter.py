"""The client list's filter language (lucy_tui.clients.filter)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lucy_tui.api.models import ClientStatus, PeppolLookupState, Plan
from lucy_tui.clients.filter import FIELDS, ClientFilter, parse_filter
from lucy_tui.clients.rows import ClientRow

from .factories import TODAY, make_row


def shown(text: str, rows: list[ClientRow], favourites: set[int] | None = None) -> list[int]:
    flt = parse_filter(text, TODAY)
    return [row.id for row in rows if flt.matches(row, favourites or set())]


# --- empty filters and free words ------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "   \t  "])
def test_blank_text_is_an_empty_filter_that_matches_everything(text: str) -> None:
    flt = parse_filter(text, TODAY)
    assert flt.is_empty
    assert flt.hints == []
    assert flt.text == text
    assert flt.matches(make_row(1), set())


def test_default_filter_is_empty() -> None:
    flt = ClientFilter()
    assert flt.is_empty
    assert flt.matches(make_row(1), set())


def test_free_words_are_lowercased_and_kept_in_order() -> None:
    flt = parse_filter("Bakkerij  PEETERS", TODAY)
    assert flt.words == ["bakkerij", "peeters"]
    assert flt.text == "Bakkerij  PEETERS"  # the raw text is kept for the filter bar
    assert not flt.is_empty
    assert flt.predicates == []


def test_free_words_match_case_insensitively_and_all_must_match() -> None:
    rows = [
        make_row(1, name="Bakkerij Peeters"),
        make_row(2, name="Slagerij Peeters"),
        make_row(3, name="Bakkerij Janssens"),
    ]
    assert shown("peeters", rows) == [1, 2]
    assert shown("BAKKERIJ peeters", rows) == [1]
    assert shown("peeters janssens", rows) == []
    assert shown("akker", rows) == [1, 3]  # a word matches anywhere, not only at the start


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eline", [1]),  # contact
        ("north", [1]),  # team
        ("yuki", [1]),  # integration
        ("0100.000.1", [1]),  # enterprise number as shown
        ("01000001", [1]),  # enterprise number without dots
        ("be01000001", [1]),  # VAT number
    ],
)
def test_free_words_search_contact_team_integrations_and_numbers(
    text: str, expected: list[int]
) -> None:
    rows = [
        make_row(1, contact_name="Eline Maes", team_names=["North"], integrations=["Yuki"]),
        make_row(200, name="Other", contact_name="Jan", team_names=["South"]),
    ]
    assert shown(text, rows) == expected


@pytest.mark.parametrize("word", ["fav", "favs", "favourite", "favourites", "★", "FAV", "Fav"])
def test_fav_keywords_restrict_to_favourites_without_adding_a_word(word: str) -> None:
    flt = parse_filter(word, TODAY)
    assert flt.favourites_only
    assert flt.words == []
    assert not flt.is_empty
    rows = [make_row(1), make_row(2), make_row(3)]
    assert shown(word, rows, favourites={1, 3}) == [1, 3]
    assert shown(word, rows, favourites=set()) == []


def test_fav_combines_with_other_terms() -> None:
    rows = [make_row(1, name="Alpha"), make_row(2, name="Beta"), make_row(3, name="Alpine")]
    assert shown("fav alp", rows, favourites={1, 2}) == [1]


def test_a_word_that_only_starts_like_fav_is_a_free_word() -> None:
    flt = parse_filter("favo", TODAY)
    assert not flt.favourites_only
    assert flt.words == ["favo"]


# --- status: -----------------------------------------------------------------------------------


STATUS_ROWS = [
    make_row(1, status=ClientStatus.CREATED),
    make_row(2, status=ClientStatus.INVITED),
    make_row(3, status=ClientStatus.ACTIVE),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:created", [1]),
        ("status:invited", [2]),
        ("status:active", [3]),
        ("status:c", [1]),
        ("status:inv", [2]),
        ("status:act", [3]),
        ("STATUS:Active", [3]),
    ],
)
def test_status_accepts_a_status_or_an_unambiguous_prefix(text: str, expected: list[int]) -> None:
    flt = parse_filter(text, TODAY)
    assert flt.hints == []
    assert len(flt.predicates) == 1
    assert shown(text, STATUS_ROWS) == expected


@pytest.mark.parametrize("text", ["status:", "status:x", "status:activ8", "status:actives"])
def test_bad_status_is_hinted_and_ignored(text: str) -> None:
    flt = parse_filter(text, TODAY)
    assert flt.hints == ["status: created, invited or active"]
    assert flt.predicates == []
    assert flt.is_empty
    assert shown(text, STATUS_ROWS) == [1, 2, 3]


# --- plan: -------------------------------------------------------------------------------------

PLAN_ROWS = [make_row(index + 1, plan=plan) for index, plan in enumerate(Plan)]
PLAN_ID = {plan: index + 1 for index, plan in enumerate(Plan)}


@pytest.mark.parametrize(
    ("value", "plan"),
    [
        ("trial", Plan.TRIAL),
        ("inbox", Plan.INBOX),
        ("billing", Plan.BILLING),
        ("business", Plan.BUSINESS),
        ("pro", Plan.BUSINESS_PRO),
        ("businesspro", Plan.BUSINESS_PRO),
        ("business_pro", Plan.BUSINESS_PRO),
        ("business-pro", Plan.BUSINESS_PRO),
        ("PRO", Plan.BUSINESS_PRO),
    ],
)
def test_plan_selects_exactly_one_plan(value: str, plan: Plan) -> None:
    text = f"plan:{value}"
    assert parse_filter(text, TODAY).hints == []
    assert shown(text, PLAN_ROWS) == [PLAN_ID[plan]]


@pytest.mark.parametrize("value", ["", "gold", "busi", "lucy"])
def test_bad_plan_is_hinted_and_ignored(value: str) -> None:
    flt = parse_filter(f"plan:{value}", TODAY)
    assert flt.hints == ["plan: trial, inbox, billing, business or pro"]
    assert flt.predicates == []
    assert shown(f"plan:{value}", PLAN_ROWS) == [row.id for row in PLAN_ROWS]


# --- team: and contact: ------------------------------------------------------------------------

TEAM_ROWS = [
    make_row(1, team_names=["North"]),
    make_row(2, team_names=["South", "Northwest"]),
    make_row(3, team_names=[]),
    make_row(4, team_names=["East"]),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("team:north", [1, 2]),
        ("team:NORTH", [1, 2]),
        ("team:south", [2]),
        ("team:west", [2]),
        ("team:east", [4]),
        ("team:none", [3]),
        ("team:-", [3]),
        ("team:zzz", []),
    ],
)
def test_team_matches_part_of_any_team_name_or_none(text: str, expected: list[int]) -> None:
    assert parse_filter(text, TODAY).hints == []
    assert shown(text, TEAM_ROWS) == expected


def test_empty_team_is_hinted_and_ignored() -> None:
    flt = parse_filter("team:", TODAY)
    assert flt.hints == ["team: part of a team name, e.g. team:north"]
    assert shown("team:", TEAM_ROWS) == [1, 2, 3, 4]


def test_contact_matches_part_of_the_contact_name() -> None:
    rows = [
        make_row(1, contact_name="Eline Maes"),
        make_row(2, contact_name="Jan Peeters"),
        make_row(3, contact_name=None),
    ]
    assert shown("contact:eline", rows) == [1]
    assert shown("contact:MAES", rows) == [1]
    assert shown("contact:e", rows) == [1, 2]
    assert shown("contact:xyz", rows) == []


def test_empty_contact_is_hinted_and_ignored() -> None:
    rows = [make_row(1, contact_name="Eline"), make_row(2)]
    flt = parse_filter("contact:", TODAY)
    assert flt.hints == ["contact: part of a staff member's name"]
    assert shown("contact:", rows) == [1, 2]


# --- peppol: -----------------------------------------------------------------------------------

PEPPOL_ROWS = [
    make_row(1, peppol_sending=False, peppol_receiving=False),
    make_row(2, peppol_sending=True, peppol_receiving=False),
    make_row(3, peppol_sending=False, peppol_receiving=True),
    make_row(4, peppol_sending=True, peppol_receiving=True),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("off", [1]),
        ("on", [2, 3, 4]),
        ("send", [2, 4]),
        ("sending", [2, 4]),
        ("receive", [3, 4]),
        ("receiving", [3, 4]),
        ("both", [4]),
        ("OFF", [1]),
    ],
)
def test_peppol_values(value: str, expected: list[int]) -> None:
    assert parse_filter(f"peppol:{value}", TODAY).hints == []
    assert shown(f"peppol:{value}", PEPPOL_ROWS) == expected


@pytest.mark.parametrize("value", ["", "yes", "of", "true"])
def test_bad_peppol_is_hinted_and_ignored(value: str) -> None:
    flt = parse_filter(f"peppol:{value}", TODAY)
    assert flt.hints == [
        "peppol: off, on, send or receive; elsewhere, here, unregistered, unchecked or stale"
    ]
    assert shown(f"peppol:{value}", PEPPOL_ROWS) == [1, 2, 3, 4]


NETWORK_ROWS = [
    make_row(1),  # never checked
    make_row(2, peppol_network=PeppolLookupState.REGISTERED_ELSEWHERE),
    make_row(3, peppol_network=PeppolLookupState.REGISTERED_HERE),
    make_row(4, peppol_network=PeppolLookupState.NOT_REGISTERED),
    make_row(5, peppol_network=PeppolLookupState.LOOKUP_FAILED),
    make_row(6, peppol_network=PeppolLookupState.REGISTERED_ELSEWHERE, peppol_stale=True),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("elsewhere", [2, 6]),  # a stale result still stands
        ("here", [3]),
        ("unregistered", [4]),
        ("unchecked", [1, 5]),  # no good result known yet
        ("stale", [5, 6]),
        ("ELSEWHERE", [2, 6]),
    ],
)
def test_peppol_network_values(value: str, expected: list[int]) -> None:
    assert parse_filter(f"peppol:{value}", TODAY).hints == []
    assert shown(f"peppol:{value}", NETWORK_ROWS) == expected


def test_peppol_network_terms_combine_with_the_switches() -> None:
    rows = [
        make_row(1, peppol_network=PeppolLookupState.NOT_REGISTERED, peppol_receiving=True),
        make_row(2, peppol_network=PeppolLookupState.NOT_REGISTERED),
    ]
    assert shown("peppol:unregistered peppol:off", rows) == [2]


# --- inbox: ------------------------------------------------------------------------------------

INBOX_ROWS = [make_row(count + 1, inbox_count=count) for count in (0, 1, 3, 5, 6)]


@pytest.mark.parametrize(
    ("value", "counts"),
    [
        (">0", [1, 3, 5, 6]),
        (">=5", [5, 6]),
        ("<=5", [0, 1, 3, 5]),
        ("<3", [0, 1]),
        ("=3", [3]),
        ("3", [3]),  # no operator: equal
        ("0", [0]),
        (">100", []),
    ],
)
def test_inbox_comparisons(value: str, counts: list[int]) -> None:
    assert parse_filter(f"inbox:{value}", TODAY).hints == []
    assert shown(f"inbox:{value}", INBOX_ROWS) == [c + 1 for c in counts]


@pytest.mark.parametrize("value", ["", ">", "abc", "-1", ">=x", "=>1", "1.5", "<<2"])
def test_bad_inbox_is_hinted_and_ignored(value: str) -> None:
    flt = parse_filter(f"inbox:{value}", TODAY)
    assert flt.hints == ["inbox: a number, e.g. inbox:>0 or inbox:<=5"]
    assert flt.predicates == []
    assert len(shown(f"inbox:{value}", INBOX_ROWS)) == len(INBOX_ROWS)


# --- trial: ------------------------------------------------------------------------------------


def trial_rows() -> list[ClientRow]:
    return [
        make_row(1, plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=3)),
        make_row(2, plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=29)),
        make_row(3, plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=30)),
        make_row(4, plan=Plan.TRIAL, trial_ends_on=TODAY + timedelta(days=45)),
        make_row(5, plan=Plan.BUSINESS, trial_ends_on=None),
        make_row(6, plan=Plan.TRIAL, trial_ends_on=TODAY),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<30d", [1, 2, 6]),
        ("<30", [1, 2, 6]),
        ("<=30d", [1, 2, 3, 6]),
        ("30d", [1, 2, 3, 6]),  # no operator: "at most"
        ("30", [1, 2, 3, 6]),
        (">30d", [4]),
        (">=30d", [3, 4]),
        ("=3d", [1]),
        ("=0d", [6]),
        ("<1d", [6]),
    ],
)
def test_trial_compares_days_left_and_never_matches_clients_without_trial(
    value: str, expected: list[int]
) -> None:
    text = f"trial:{value}"
    assert parse_filter(text, TODAY).hints == []
    assert shown(text, trial_rows()) == expected


def test_trial_days_are_counted_from_the_given_day() -> None:
    rows = trial_rows()
    later = TODAY + timedelta(days=20)
    flt = parse_filter("trial:<30d", later)
    # From 20 days later, the trial of client 4 (45 days from TODAY) has 25 days left.
    assert [row.id for row in rows if flt.matches(row, set())] == [1, 2, 3, 4, 6]


@pytest.mark.parametrize("value", ["", "soon", "<d", "d", "30days", "-3d", "<30w"])
def test_bad_trial_is_hinted_and_ignored(value: str) -> None:
    flt = parse_filter(f"trial:{value}", TODAY)
    assert flt.hints == ["trial: days left, e.g. trial:<30d"]
    assert shown(f"trial:{value}", trial_rows()) == [1, 2, 3, 4, 5, 6]


# --- unknown fields, several terms ------------------------------------------------------------


@pytest.mark.parametrize("name", ["foo", "name", "vat", "", "statuss"])
def test_unknown_field_is_hinted_with_the_known_fields(name: str) -> None:
    flt = parse_filter(f"{name}:bar", TODAY)
    assert len(flt.hints) == 1
    hint = flt.hints[0]
    assert hint.startswith(f"unknown field {name!r}")
    for known in FIELDS:
        assert known in hint
    assert flt.predicates == [] and flt.words == []
    assert flt.is_empty


def test_a_bad_term_is_ignored_while_the_good_terms_still_filter() -> None:
    rows = STATUS_ROWS
    flt = parse_filter("colour:red status:act inbox:many", TODAY)
    assert flt.hints == [
        "unknown field 'colour'; try " + ", ".join(FIELDS) + " or fav",
        "inbox: a number, e.g. inbox:>0 or inbox:<=5",
    ]
    assert len(flt.predicates) == 1
    assert shown("colour:red status:act inbox:many", rows) == [3]


def test_every_term_must_match() -> None:
    rows = [
        make_row(1, name="Alpha", status=ClientStatus.ACTIVE, team_names=["North"], inbox_count=2),
        make_row(2, name="Alpha Two", status=ClientStatus.ACTIVE, team_names=["South"]),
        make_row(3, name="Alpha Three", status=ClientStatus.INVITED, team_names=["North"]),
        make_row(4, name="Beta", status=ClientStatus.ACTIVE, team_names=["North"], inbox_count=9),
    ]
    text = "alpha status:active team:north inbox:>0"
    assert len(parse_filter(text, TODAY).predicates) == 3
    assert shown(text, rows) == [1]
    assert shown(text + " fav", rows, favourites={2, 3, 4}) == []
    assert shown(text + " fav", rows, favourites={1}) == [1]


def test_field_names_are_case_insensitive() -> None:
    rows = TEAM_ROWS
    assert shown("TEAM:North", rows) == shown("team:north", rows) == [1, 2]


def test_a_term_with_several_colons_keeps_the_rest_as_value() -> None:
    flt = parse_filter("team:a:b", TODAY)
    assert flt.hints == []
    rows = [make_row(1, team_names=["A:B team"]), make_row(2, team_names=["A"])]
    assert shown("team:a:b", rows) == [1]


def test_fav_with_a_value_is_not_called_an_unknown_field() -> None:
    flt = parse_filter("fav:yes", TODAY)
    assert not any("unknown field 'fav'" in hint for hint in flt.hints)
