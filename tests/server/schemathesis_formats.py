"""The string formats of the Lucy API, and the demo firm's ids, for schemathesis
(``SCHEMATHESIS_HOOKS``).

The OpenAPI names a format where a value is checked beyond what a pattern can say (check
digits, the email grammar): ``be-enterprise-number``, ``iban``, ``email`` ... Each strategy
here draws values that the server's own checks (lucy_tui.api.validation) accept, so "a
schema-valid request is accepted" can be checked for these fields too.
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

import schemathesis
from hypothesis import strategies as st

from lucy_tui.api import validation


def _enterprise(base: int) -> str:
    return f"{base:08d}{97 - base % 97:02d}"


ENTERPRISE = st.integers(1_000_000, 19_999_999).map(_enterprise)
VAT = ENTERPRISE.map(lambda digits: f"BE{digits}")
IBANS = st.sampled_from(
    ["BE71096123456769", "BE62510007547061", "NL91ABNA0417164300", "DE89370400440532013000"]
)
BICS = st.sampled_from(["GEBABEBB", "KREDBEBB", "BBRUBEBB", "GKCCBEBB", "ABNANL2A"])
PHONES = st.from_regex(r"\A\+?[0-9][0-9 ()./-]{4,20}[0-9]\Z")
NUMBER_FORMATS = st.sampled_from(
    ["{year}-{number}", "F{number}", "{number}/{year}", "INV-{number}"]
)
FOOTER = st.text(
    st.characters(
        blacklist_categories=("Cc", "Cs"),
        blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
    ),
    max_size=200,
).filter(lambda text: validation.free_text(text) is not None)
EMAILS = st.from_regex(
    r"\A[a-z][a-z0-9_]{0,20}(\.[a-z0-9]{1,8})?@[a-z][a-z0-9]{0,15}\.(be|com|eu)\Z"
)


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


FORMATS = {
    "be-enterprise-number": st.one_of(ENTERPRISE, VAT),
    "optional-be-enterprise-number": _optional(ENTERPRISE),
    "optional-be-vat-number": _optional(VAT),
    "iban": IBANS,
    "optional-bic": _optional(BICS),
    "optional-phone": _optional(PHONES),
    "invoice-number-format": NUMBER_FORMATS,
    "footer-text": FOOTER,
    "email": EMAILS,
}

for _name, _strategy in FORMATS.items():
    schemathesis.openapi.format(_name, _strategy)


# Ids in bodies that name other rows (teams, staff, integrations) are steered to rows of the
# demo firm: a body naming an unknown team is refused (422 "Unknown team 9"), rightly, and
# the fuzzing should get past that to the rules. Unknown ones are covered by
# tests/server/test_bad_input.py.
TEAM_IDS = (1, 2)
STAFF_IDS = (1, 2, 3, 4, 5)
ACCOUNTING = ("yuki", "exact-online", "wolters-kluwer")
DESTINATIONS = ("dropbox-archive", "expense-tool-email", "google-drive-archive")


def _steer(value: Any, known: tuple[Any, ...]) -> Any:
    if value is None:
        return None
    return known[hash(str(value)) % len(known)]


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Every request, in every phase: ids steered (above), and a fresh Idempotency-Key per
    generated request: generated keys repeat ("0"), and a key reused for another body is
    refused (422), rightly; reuse is fuzzed in-process by test_fuzz.py's own run."""
    body = case.body
    if isinstance(body, dict):
        if isinstance(body.get("team_ids"), list):
            body["team_ids"] = [_steer(v, TEAM_IDS) for v in body["team_ids"]]
        if isinstance(body.get("contact_id"), int):
            body["contact_id"] = _steer(body["contact_id"], STAFF_IDS)
        if isinstance(body.get("accounting_package"), str):
            body["accounting_package"] = _steer(body["accounting_package"], ACCOUNTING)
        if isinstance(body.get("destinations"), list):
            body["destinations"] = [_steer(v, DESTINATIONS) for v in body["destinations"]]
    for headers in (case.headers, kwargs.get("headers")):
        if isinstance(headers, MutableMapping):
            for name in list(headers):
                if name.lower() == "idempotency-key":
                    headers[name] = uuid.uuid4().hex
