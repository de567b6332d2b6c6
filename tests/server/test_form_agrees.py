"""The Invoice Settings form and the server judge the same input the same (issue 8).

The form checks each field as the user types (``CHECKS`` of the tab); the server refuses what
the wire model refuses. Each case below is typed into one field of the form's checks and sent,
as typed, in that field of a PUT: the form accepts it exactly when the server does, the server
names that field when it refuses, and what the server stores is what the form's check made of
it. The cases include those on which the two once disagreed: a bidi override in an address
line (the form let it pass), and lengths counted on the text as sent (spaces around a phone
number, line breaks after a footer, a space before a legal name).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lucy_tui.api import validation
from lucy_tui.screens.detail.invoice_settings import CHECKS

from .conftest import API, bearer

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
NUMBERS = {"next_number", "payment_term_days"}

CASES: list[tuple[str, str]] = [
    ("legal_name", "Fietsen Willems"),
    ("legal_name", ""),
    ("legal_name", " " + "A" * 200),
    ("legal_name", f"{RLO}snemlliW"),
    ("street", "Kerkstraat 1"),
    ("street", "  Kerkstraat 1  "),
    ("street", f"Kerk{RLO}straat"),
    ("street", "Kerk\x07straat"),
    ("street", "Kerk\u200dstraat"),  # a zero-width joiner is text in an address line
    ("street", "S" * 201),
    ("postal_code", "9000"),
    ("postal_code", "9" * 21),
    ("city", "Gent"),
    ("city", "G" * 101),
    ("city", f"Gent{RLO}"),
    ("country", "be"),
    ("country", ""),
    ("country", "Belgium"),
    ("country", "\U0001f1e7\U0001f1ea"),
    ("vat_number", "BE0403170701"),
    ("vat_number", "be 0403.170.701"),
    ("vat_number", "BE0403170702"),
    ("vat_number", "BE" + "9" * 40),
    ("vat_number", ""),
    ("enterprise_number", "0403170701"),
    ("enterprise_number", "0403.170.701\n"),
    ("iban", "BE09 7341 2345 6757"),
    ("iban", "BE09734123456758"),
    ("iban", ""),
    ("bic", ""),
    ("bic", "gkccbebb"),
    ("bic", "KREDBEBB\x00"),
    ("bic", "XX"),
    ("email", "facturen@fietsen.be"),
    ("email", "thomas@"),
    ("email", ""),
    ("phone", "+32 9 123 45 67"),
    ("phone", " " * 30 + "+32 9 123 45 67"),
    ("phone", "call me"),
    ("phone", ""),
    ("number_format", "{year}-{number}"),
    ("number_format", "{year}"),
    ("number_format", "F\x1b{number}"),
    ("number_format", "{number}" * 10),
    ("footer", "Merci!\nBedankt!"),
    ("footer", "x" * 499 + "\n\n"),
    ("footer", "x" * 501),
    ("footer", f"Pay to {RLO}7575 4321"),
    ("next_number", "0"),
    ("next_number", "999999"),
    ("next_number", "1000000"),
    ("payment_term_days", "0"),
    ("payment_term_days", "121"),
]


def _case_id(case: tuple[str, str]) -> str:
    field, text = case
    shown = text.encode("unicode_escape").decode()
    if len(shown) > 24:
        shown = f"{shown[:12]}…{shown[-8:]}"
    return f"{field}={shown}({len(text)})"


def form_verdict(field: str, text: str) -> tuple[bool, str]:
    """(accepted, the canonical value or the message) of the form's check of ``field``."""
    try:
        return True, CHECKS[field](text)
    except ValueError as exc:
        return False, str(exc)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(case) for case in CASES])
async def test_the_form_and_the_server_judge_a_field_alike(
    raw: httpx.AsyncClient, admin_token: str, cases: dict[str, int], case: tuple[str, str]
) -> None:
    field, text = case
    url = f"{API}/clients/{cases['created']}/invoice-settings"
    current = await raw.get(url, headers=bearer(admin_token))
    body: dict[str, Any] = current.json()
    body.update(iban="BE09734123456757", email="facturen@fietsen.be")
    path = f"address.{field}" if field in validation.INVOICE_ADDRESS_CHECKS else field
    sent: Any = int(text) if field in NUMBERS else text
    if field in validation.INVOICE_ADDRESS_CHECKS:
        body["address"][field] = sent
    else:
        body[field] = sent

    response = await raw.put(
        url, json=body, headers={**bearer(admin_token), "If-Match": current.headers["ETag"]}
    )

    accepted, outcome = form_verdict(field, text)
    if accepted:
        assert response.status_code == 200, (outcome, response.text)
        stored = response.json()
        stored_value = stored["address"][field] if path != field else stored[field]
        assert str(stored_value) == outcome
    else:
        assert response.status_code == 422, (outcome, response.text)
        details = {d["field"]: d["message"] for d in response.json()["error"]["details"]}
        assert path in details, details
        if not details[path].startswith(("String should have", "Input should be")):
            assert details[path] == outcome  # the same rule says the same
