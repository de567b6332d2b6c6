"""The client list's view (lucy_tui.clients.view): rows by id, filter, sort, favourites first."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from lucy_tui.api.models import ClientStatus, ClientSummary, Plan
from lucy_tui.clients.filter import parse_filter
from lucy_tui.clients.rows import SORT_EMPTY, SORT_KEYS, ClientRow, Column
from lucy_tui.clients.view import ClientView

from .factories import TODAY, make_client


def ids(view: ClientView) -> list[int]:
    return [row.id for row in view.shown()]


def make_view(clients: list[ClientSummary], favourites: set[int] | None = None) -> ClientView:
    view = ClientView(TODAY)
    view.add(clients)
    view.set_favourites(favourites or set())  # also refreshes
    return view


def named(*names: str) -> list[ClientSummary]:
    return [make_client(index + 1, name=name) for index, name in enumerate(names)]


# --- rows ---------------------------------------------------------------------------------------


def test_a_new_view_is_empty() -> None:
    view = ClientView(TODAY)
    assert len(view) == 0
    assert list(view.shown()) == []
    assert view.get(1) is None
    assert view.index_of(1) is None
    assert view.sort_column is Column.NAME and view.sort_reverse is False
    assert view.filter.is_empty


def test_added_rows_show_sorted_by_name_after_refresh() -> None:
    view = ClientView(TODAY)
    view.add(named("Charlie", "alpha", "Bravo"))
    view.refresh()
    assert len(view) == 3
    assert [row.name for row in view.shown()] == ["alpha", "Bravo", "Charlie"]


def test_add_replaces_a_row_with_the_same_id() -> None:
    view = make_view(named("Alpha", "Bravo"))
    view.add([make_client(1, name="Zulu", inbox_count=9)])
    view.refresh()
    assert len(view.rows) == 2
    row = view.get(1)
    assert row is not None and row.name == "Zulu" and row.inbox_count == 9
    assert ids(view) == [2, 1]


def test_add_in_several_batches_keeps_one_row_per_id() -> None:
    view = ClientView(TODAY)
    view.add([make_client(i) for i in range(1, 6)])
    view.add([make_client(i, name=f"Again {i}") for i in range(4, 9)])
    view.refresh()
    assert sorted(row.id for row in view.rows) == list(range(1, 9))
    assert [view.get(i).name for i in range(4, 9)] == [f"Again {i}" for i in range(4, 9)]  # type: ignore[union-attr]


def test_replace_updates_the_row_and_refreshes_at_once() -> None:
    view = make_view(named("Alpha", "Bravo", "Charlie"))
    view.replace(make_client(1, name="Delta"))
    assert ids(view) == [2, 3, 1]
    assert view.index_of(1) == 2


def test_replace_keeps_the_filter() -> None:
    view = make_view(named("Alpha", "Alpine", "Bravo"))
    view.set_filter("alp")
    assert ids(view) == [1, 2]
    view.replace(make_client(2, name="Bravissimo"))
    assert ids(view) == [1]
    assert view.index_of(2) is None
    assert view.get(2) is not None  # still loaded, only filtered out


def test_replace_of_an_unknown_client_adds_it() -> None:
    view = make_view(named("Alpha"))
    view.replace(make_client(77, name="Aardvark"))
    assert ids(view) == [77, 1]


def test_clear_forgets_every_row() -> None:
    view = make_view(named("Alpha", "Bravo"))
    view.clear()
    assert len(view) == 0 and view.rows == []
    assert view.get(1) is None and view.index_of(1) is None
    view.add([make_client(5, name="Echo")])
    view.refresh()
    assert ids(view) == [5]
    assert view.get(5) is view.rows[0]


def test_row_at_index_of_and_shown_agree() -> None:
    view = make_view(named("Delta", "Alpha", "Charlie", "Bravo"), favourites={3})
    shown = list(view.shown())
    assert [row.name for row in shown] == ["Charlie", "Alpha", "Bravo", "Delta"]
    for index, row in enumerate(shown):
        assert view.row_at(index) is row
        assert view.index_of(row.id) == index
    assert view.index_of(999) is None
    with pytest.raises(IndexError):
        view.row_at(len(shown))


# --- sort ---------------------------------------------------------------------------------------


def test_set_sort_on_the_same_column_reverses_and_back() -> None:
    view = make_view(named("Bravo", "Alpha", "Charlie"))
    assert ids(view) == [2, 1, 3]
    view.set_sort(Column.NAME)
    assert view.sort_reverse is True
    assert ids(view) == [3, 1, 2]
    view.set_sort(Column.NAME)
    assert view.sort_reverse is False
    assert ids(view) == [2, 1, 3]


def test_set_sort_on_another_column_sorts_ascending() -> None:
    clients = [
        make_client(1, name="A", inbox_count=5),
        make_client(2, name="B", inbox_count=1),
        make_client(3, name="C", inbox_count=3),
    ]
    view = make_view(clients)
    view.set_sort(Column.NAME)  # reversed by name
    view.set_sort(Column.INBOX)
    assert (view.sort_column, view.sort_reverse) == (Column.INBOX, False)
    assert ids(view) == [2, 3, 1]
    view.set_sort(Column.INBOX)
    assert ids(view) == [1, 3, 2]
    view.set_sort(Column.NAME)
    assert (view.sort_column, view.sort_reverse) == (Column.NAME, False)
    assert ids(view) == [1, 2, 3]


def test_sort_applies_to_the_filtered_rows() -> None:
    clients = [
        make_client(1, name="Alpha", inbox_count=5),
        make_client(2, name="Alpine", inbox_count=1),
        make_client(3, name="Bravo", inbox_count=0),
    ]
    view = make_view(clients)
    view.set_filter("alp")
    view.set_sort(Column.INBOX)
    assert ids(view) == [2, 1]
    view.set_filter("")
    assert ids(view) == [3, 2, 1]


def varied_clients(count: int, seed: int) -> list[ClientSummary]:
    rng = random.Random(seed)
    clients = []
    for client_id in range(1, count + 1):
        clients.append(
            make_client(
                client_id,
                name=rng.choice(["Alpha", "bravo", "Charlie", "delta", "Echo"]) + f" {client_id}",
                contact_name=rng.choice([None, "Eline", "jan", "Ann"]),
                team_names=rng.choice([[], ["North"], ["south"], ["North", "East"]]),
                status=rng.choice(list(ClientStatus)),
                integrations=rng.choice([[], ["Yuki"], ["exact"], ["Yuki", "Octopus"]]),
                peppol_sending=rng.random() < 0.5,
                peppol_receiving=rng.random() < 0.5,
                inbox_count=rng.randrange(4),
                plan=rng.choice(list(Plan)),
                trial_ends_on=rng.choice([None, TODAY + timedelta(days=rng.randrange(-3, 40))]),
            )
        )
    return clients


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("column", list(Column))
def test_favourites_come_first_and_each_group_keeps_the_sort(column: Column, reverse: bool) -> None:
    clients = varied_clients(40, seed=7)
    favourites = {3, 8, 15, 16, 23, 31, 40}
    view = make_view(clients, favourites)
    if column is Column.NAME:
        view.set_sort(Column.INBOX)  # NAME is already the sort: start from another column
    view.set_sort(column)
    if reverse:
        view.set_sort(column)
    assert (view.sort_column, view.sort_reverse) == (column, reverse)
    rows = [ClientRow.from_summary(c) for c in clients]
    key = SORT_KEYS[column]

    empty = SORT_EMPTY.get(column, lambda row: False)

    def group(in_favourites: bool) -> list[int]:
        members = [row for row in rows if (row.id in favourites) is in_favourites]
        ordered = sorted(members, key=key, reverse=reverse)
        # Rows with nothing in the column (no trial, no contact) come last either way.
        return [row.id for row in ordered if not empty(row)] + [
            row.id for row in ordered if empty(row)
        ]

    assert ids(view) == group(True) + group(False)
    assert set(ids(view)[: len(favourites)]) == favourites


def test_toggle_favourite_moves_the_client_to_the_top_and_back() -> None:
    view = make_view(named("Alpha", "Bravo", "Charlie"))
    assert view.toggle_favourite(3) is True
    assert view.favourites == {3}
    assert ids(view) == [3, 1, 2]
    assert view.toggle_favourite(2) is True
    assert ids(view) == [2, 3, 1]
    assert view.toggle_favourite(3) is False
    assert view.favourites == {2}
    assert ids(view) == [2, 1, 3]


def test_set_favourites_replaces_the_set_and_reorders() -> None:
    view = make_view(named("Alpha", "Bravo", "Charlie"), favourites={1})
    wanted = [3]
    view.set_favourites(wanted)
    assert view.favourites == {3}
    assert ids(view) == [3, 1, 2]
    wanted.append(2)  # the view keeps its own copy
    assert view.favourites == {3}


def test_fav_filter_follows_favourite_changes() -> None:
    view = make_view(named("Alpha", "Bravo", "Charlie"), favourites={2})
    view.set_filter("fav")
    assert ids(view) == [2]
    view.toggle_favourite(1)
    assert ids(view) == [1, 2]
    view.toggle_favourite(2)
    assert ids(view) == [1]
    view.set_favourites([])
    assert ids(view) == []


# --- filter -------------------------------------------------------------------------------------


def test_set_filter_returns_the_parsed_filter_and_ignores_bad_terms() -> None:
    clients = [
        make_client(1, name="Alpha", status=ClientStatus.ACTIVE),
        make_client(2, name="Bravo", status=ClientStatus.INVITED),
    ]
    view = make_view(clients)
    parsed = view.set_filter("status:zzz")
    assert parsed is view.filter
    assert parsed.hints == ["status: created, invited or active"]
    assert ids(view) == [1, 2]
    view.set_filter("status:inv")
    assert ids(view) == [2]
    view.set_filter("")
    assert ids(view) == [1, 2]


def test_typing_and_deleting_narrows_and_widens() -> None:
    view = make_view(named("Alpha", "Alpine", "Alps", "Bravo"))
    steps = {"a": [1, 2, 3, 4], "al": [1, 2, 3], "alp": [1, 2, 3], "alph": [1], "alp ": [1, 2, 3]}
    for text, expected in steps.items():
        view.set_filter(text)
        assert ids(view) == expected, text
    view.set_filter("")
    assert ids(view) == [1, 2, 3, 4]


def test_typing_fav_after_a_word_switches_to_favourites_only() -> None:
    view = make_view(named("Favela", "Fab", "Other"), favourites={3})
    for text, expected in {
        "f": [2, 1],
        "fa": [2, 1],
        "fav": [3],
        "favo": [],
        "fav ": [3],
        "fave": [1],
    }.items():
        view.set_filter(text)
        assert ids(view) == expected, text


def test_narrowing_uses_only_the_shown_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    view = make_view(named("Alpha", "Alpine", "Bravo"))
    calls: list[list[int] | None] = []
    original = view.refresh

    def spy(within: list[int] | None = None) -> None:
        calls.append(None if within is None else list(within))
        original(within)

    monkeypatch.setattr(view, "refresh", spy)
    view.set_filter("a")
    view.set_filter("al")
    view.set_filter("alp")
    view.set_filter("status:a")
    assert calls[0] is None  # from nothing: a full pass
    assert calls[1] is not None and len(calls[1]) == 3
    assert calls[2] is not None and len(calls[2]) == 2
    assert calls[3] is None  # field terms never take the shortcut


# --- the narrowing shortcut gives exactly what a fresh filter gives -----------------------------

SYLLABLES = ["al", "be", "co", "de", "el", "fa", "in", "no", "ra", "st", "ve", "an", "or", "ie"]
CHARS = list("abcdefilnorstuv") + list("019") + [" "] * 4 + [":", ">", "<", "=", "★", "-"]
SNIPPETS = [
    "fa",
    " fa",
    "fav",
    " fav",
    "favs",
    "favourite",
    "v",  # completes "fa" into the keyword
    "v",
    "ourite",
    "★",
    " ",
    "status:",
    "status:a",
    "status:act",
    "team:no",
    "team:none",
    "plan:pro",
    "peppol:off",
    "peppol:on",
    "inbox:>0",
    "inbox:<=2",
    "trial:<30d",
    "contact:an",
    "foo:",
    "01",
    "be",
    "yuki",
]


def random_client(rng: random.Random, client_id: int) -> ClientSummary:
    name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title()
    fields: dict[str, Any] = {
        "name": f"{name} {rng.choice(['BV', 'NV', 'bvba', 'CommV'])}",
        "contact_name": rng.choice([None, "Eline Maes", "Jan Peeters", "Ann De Vos", "Nora"]),
        "team_names": rng.choice([[], ["North"], ["South"], ["North", "East"], ["Noord"]]),
        "status": rng.choice(list(ClientStatus)),
        "integrations": rng.choice([[], ["Yuki"], ["Exact Online"], ["Yuki", "Octopus"]]),
        "peppol_sending": rng.random() < 0.4,
        "peppol_receiving": rng.random() < 0.4,
        "inbox_count": rng.choice([0, 0, 1, 2, 5, 12]),
        "plan": rng.choice(list(Plan)),
        "trial_ends_on": rng.choice([None, TODAY + timedelta(days=rng.randrange(-5, 45))]),
    }
    return make_client(client_id, **fields)


def fresh_ids(
    clients: dict[int, ClientSummary],
    favourites: set[int],
    column: Column,
    reverse: bool,
    text: str,
) -> list[int]:
    reference = ClientView(TODAY)
    reference.add(clients.values())
    reference.favourites = set(favourites)
    reference.sort_column, reference.sort_reverse = column, reverse
    reference.set_filter(text)
    return ids(reference)


def oracle_ids(
    clients: dict[int, ClientSummary],
    favourites: set[int],
    column: Column,
    reverse: bool,
    text: str,
) -> list[int]:
    """The same result computed the slow, obvious way."""
    flt = parse_filter(text, TODAY)
    rows = [ClientRow.from_summary(c) for c in clients.values()]
    rows = [row for row in rows if flt.matches(row, favourites)]
    rows.sort(key=SORT_KEYS[column], reverse=reverse)
    empty = SORT_EMPTY.get(column)
    if empty is not None:
        rows = [r for r in rows if not empty(r)] + [r for r in rows if empty(r)]
    return [r.id for r in rows if r.id in favourites] + [
        r.id for r in rows if r.id not in favourites
    ]


class Typist:
    """Types like a user: one key at a time; snippets are typed character by character."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.text = ""
        self.pending = ""

    def key(self) -> str:
        rng = self.rng
        if self.pending:
            self.text, self.pending = self.text + self.pending[0], self.pending[1:]
            return self.text
        roll = rng.random()
        if roll < 0.50:
            self.text += rng.choice(CHARS)
        elif roll < 0.65:
            self.pending = rng.choice(SNIPPETS)
            return self.key()
        elif roll < 0.87:
            self.text = self.text[:-1]  # backspace
        elif roll < 0.95:
            head = self.text.rstrip().rpartition(" ")[0]
            self.text = head + " " if head else ""  # ctrl+w: the last word goes
        else:
            self.text = ""  # escape
        return self.text


# Seeds 4 and 27 type a second fav keyword ('fav fa' -> 'fav fav'), which widens the filter.
SEEDS = list(range(40))


@pytest.mark.parametrize("seed", SEEDS)
def test_narrowing_matches_a_fresh_filter_over_random_typing(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    clients = {i: random_client(rng, i) for i in range(1, 81)}
    view = make_view(list(clients.values()), favourites=set(rng.sample(sorted(clients), 10)))

    narrowed = 0
    original = view.refresh

    def spy(within: list[int] | None = None) -> None:
        nonlocal narrowed
        narrowed += within is not None
        original(within)

    monkeypatch.setattr(view, "refresh", spy)

    typist = Typist(rng)
    fav_switches = 0
    for step in range(600):
        roll = rng.random()
        if roll < 0.04:
            view.toggle_favourite(rng.choice(sorted(clients)))
        elif roll < 0.07:
            view.set_sort(rng.choice(list(Column)))
        elif roll < 0.09:
            client_id = rng.choice(sorted(clients))
            clients[client_id] = random_client(rng, client_id)
            view.replace(clients[client_id])
        else:
            before = view.filter.favourites_only
            view.set_filter(typist.key())
            fav_switches += view.filter.favourites_only != before
        state = (clients, view.favourites, view.sort_column, view.sort_reverse, typist.text)
        expected = fresh_ids(*state)
        assert ids(view) == expected, f"seed {seed}, step {step}, text {typist.text!r}"
        if step % 10 == 0:
            assert expected == oracle_ids(*state), f"seed {seed}, step {step}"
    # The sequences really exercised the shortcut and the fav keyword.
    assert narrowed > 50
    assert fav_switches > 0


@pytest.mark.parametrize(("before", "after"), [("favs fa", "favs fav"), ("fav fa", "fav fav")])
def test_completing_a_second_fav_keyword_widens_like_a_fresh_filter(
    before: str, after: str
) -> None:
    clients = {1: make_client(1, name="Fabriek"), 2: make_client(2, name="Bakker")}
    view = make_view(list(clients.values()), favourites={1, 2})
    view.set_filter(before)
    assert ids(view) == [1]  # favourites containing "fa"
    view.set_filter(after)
    assert fresh_ids(clients, {1, 2}, Column.NAME, False, after) == [2, 1]
    assert ids(view) == [2, 1]


def test_narrowing_with_a_final_sigma_matches_a_fresh_filter() -> None:
    clients = {1: make_client(1, name="ΑΣΑ Trading"), 2: make_client(2, name="Other")}
    view = make_view(list(clients.values()))
    view.set_filter("ΑΣ")
    view.set_filter("ΑΣΑ")
    assert fresh_ids(clients, set(), Column.NAME, False, "ΑΣΑ") == [1]
    assert ids(view) == [1]


def test_narrowing_after_new_rows_arrive_matches_a_fresh_filter() -> None:
    view = make_view(named("Alpha"))
    view.set_filter("al")
    view.add([make_client(2, name="Alpine")])  # a page streams in; the repaint is throttled
    view.set_filter("alp")
    assert ids(view) == [1, 2]


@pytest.mark.parametrize("reverse", [False, True])
def test_clients_without_a_trial_end_come_last_in_either_direction(reverse: bool) -> None:
    """Issue 12: sorting trial ends in reverse put the clients without a trial first."""
    clients = varied_clients(40, seed=3)
    view = make_view(clients, set())
    view.set_sort(Column.TRIAL)
    if reverse:
        view.set_sort(Column.TRIAL)
    by_id = {client.id: client for client in clients}
    ends = [by_id[i].trial_ends_on for i in ids(view)]
    with_trial = [end for end in ends if end is not None]
    assert with_trial and len(with_trial) < len(ends)
    assert ends[: len(with_trial)] == sorted(with_trial, reverse=reverse)
    assert all(end is None for end in ends[len(with_trial) :])


def test_erasing_the_filter_shows_what_each_typed_filter_showed_without_searching() -> None:
    view = make_view(named("Bakkerij Peeters", "Bakker Jansen", "Balletschool", "Café Noir"))
    shown = {}
    for text in ("ba", "bak", "bakk", "bakkerij"):
        view.set_filter(text)
        shown[text] = view.order
    assert [len(shown[t]) for t in ("ba", "bak", "bakk", "bakkerij")] == [3, 2, 2, 1]
    view._texts[:] = ["" for _ in view._texts]  # a search now would find nothing
    for text in ("bakk", "bak", "ba"):
        view.set_filter(text)
        assert view.order is shown[text]  # remembered, not searched again
        assert view.filter.text == text
    view.set_filter("caf")  # another path: the old one is forgotten
    assert view._typed.keys() == {"caf"}


def test_the_remembered_filters_are_forgotten_when_rows_sort_or_favourites_change() -> None:
    view = make_view(named("Bakkerij Peeters", "Bakker Jansen", "Café Noir"))
    view.set_filter("ba")
    view.set_filter("bak")
    view.add([make_client(9, name="Bar Centraal")])
    view.set_filter("ba")
    assert sorted(row.name for row in view.shown()) == [
        "Bakker Jansen",
        "Bakkerij Peeters",
        "Bar Centraal",
    ]
    view.set_filter("bak")
    view.set_favourites({9})
    view.set_filter("ba")
    assert next(row.name for row in view.shown()) == "Bar Centraal"  # favourites first
    view.set_favourites(set())
    view.set_filter("bak")
    view.set_sort(Column.NAME)  # reversed
    view.set_filter("ba")
    assert [row.name for row in view.shown()] == [
        "Bar Centraal",
        "Bakkerij Peeters",
        "Bakker Jansen",
    ]
