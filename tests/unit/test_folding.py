"""Names sort and filter without accents or case (issue 11): one key, app and server."""

from __future__ import annotations

import pytest

from lucy_tui.api.folding import fold
from lucy_tui.clients.filter import parse_filter
from lucy_tui.clients.rows import Column

from .factories import TODAY, make_row
from .test_client_view import make_view, named


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Électricité Dubois", "electricite dubois"),
        ("Müller & Söhne GmbH", "muller & sohne gmbh"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("Façade Œuvre", "facade œuvre"),
        ("[BE] Holding", "[be] holding"),
    ],
)
def test_the_key_drops_accents_and_case(text: str, key: str) -> None:
    assert fold(text) == key


def test_sorting_by_name_puts_accented_names_among_their_letter() -> None:
    view = make_view(named("Willems BV", "Électricité Dubois", "Dupont SA", "Ebben NV", "Zorg"))
    assert view.sort_column is Column.NAME and not view.sort_reverse  # the default order
    names = [row.name for row in view.shown()]
    assert names == ["Dupont SA", "Ebben NV", "Électricité Dubois", "Willems BV", "Zorg"]


@pytest.mark.parametrize("typed", ["electricite", "ÉLECTRICITÉ", "Electricité", "ectric"])
def test_typing_without_accents_finds_the_accented_name(typed: str) -> None:
    rows = [make_row(1, name="Électricité Dubois"), make_row(2, name="Elektro Simon BV")]
    flt = parse_filter(typed, TODAY)
    assert [row.id for row in rows if flt.matches(row, set())] == [1]


def test_field_terms_compare_folded_too() -> None:
    rows = [make_row(1, contact_name="Renée Peeters"), make_row(2, contact_name="Ann Janssens")]
    flt = parse_filter("contact:renee", TODAY)
    assert [row.id for row in rows if flt.matches(row, set())] == [1]
