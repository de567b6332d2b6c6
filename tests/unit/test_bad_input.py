"""Bad input, client side: every field a user can type, tried with what users (and attackers)
type: empty, huge, unicode (right-to-left text, emoji, combining marks, invisible bidi
controls), control characters (NUL, ESC, newline, tab, line separator), path traversal and
absolute paths, the wrong type, and values over the limits.

Two tables: the checks of :mod:`lucy_tui.api.validation` (what the forms show as the user
types) and the request models of :mod:`lucy_tui.api.models` (what the typed client refuses to
send). Each refusal must come with a clear message naming the field; each acceptance with the
canonical value that would be stored. The server's side of the same input, sent directly,
is tests/server/test_bad_input.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from lucy_server.routes.vault import safe_file_name
from lucy_tui.api import validation
from lucy_tui.api.models import (
    MAX_ALLOWED_SENDERS,
    MAX_BULK_DOCUMENTS,
    MAX_ID,
    AllowedSendersUpdate,
    ClientCreate,
    ClientUpdate,
    ClientUserCreate,
    DocumentIds,
    InvoiceSettingsUpdate,
    LoginRequest,
    PeppolUpdate,
    VaultCategory,
)
from lucy_tui.clients.rows import CSV_HEADER, csv_record
from lucy_tui.screens.detail.vault import LocalFileError, read_upload

from .factories import make_row

HUGE = "x" * 100_000
RTL_TEXT = "مكتب المحاسبة"  # Arabic: right-to-left, perfectly valid
RTL_OVERRIDE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: shows text reversed ("Trojan Source")
COMBINING = "Cafe\u0301 De Kroon"  # e + COMBINING ACUTE ACCENT
EMOJI = "Bakkerij 🥐"
FULLWIDTH_DIGITS = "".join(chr(0xFF10 + int(digit)) for digit in "0403170701")


@dataclass(frozen=True)
class Ok:
    value: str


@dataclass(frozen=True)
class Refused:
    message: str  # the whole message, or its start when it ends with "…"


def _check(function: Callable[[str], str], value: str, expected: Ok | Refused) -> None:
    if isinstance(expected, Ok):
        assert function(value) == expected.value
        return
    with pytest.raises(ValueError) as caught:
        function(value)
    message = str(caught.value)
    if expected.message.endswith("…"):
        assert message.startswith(expected.message[:-1]), message
    else:
        assert message == expected.message


CONTROL = "contains control characters"

# (check, input, expected): one row per case; the id says which case of the catalogue it is.
VALIDATION_CASES: list[Any] = [
    # --- names (client name, legal name, a client user's name) ---------------------------
    pytest.param(validation.clean_name, "", Refused("Name is required"), id="name-empty"),
    pytest.param(validation.clean_name, " \u00a0 ", Refused("Name is required"), id="name-blank"),
    pytest.param(
        validation.clean_name, HUGE, Refused("Name is longer than 200 characters"), id="name-huge"
    ),
    pytest.param(validation.clean_name, "x" * 200, Ok("x" * 200), id="name-at-the-limit"),
    pytest.param(validation.clean_name, f"  {RTL_TEXT} ", Ok(RTL_TEXT), id="name-rtl-text"),
    pytest.param(validation.clean_name, EMOJI, Ok(EMOJI), id="name-emoji"),
    pytest.param(validation.clean_name, COMBINING, Ok(COMBINING), id="name-combining"),
    pytest.param(
        validation.clean_name,
        f"{RTL_OVERRIDE}VB",
        Refused(f"Name {CONTROL}"),
        id="name-rtl-override",
    ),
    pytest.param(validation.clean_name, "Aalter\x00BV", Refused(f"Name {CONTROL}"), id="name-nul"),
    pytest.param(
        validation.clean_name, "Aalter\x1b[31mBV", Refused(f"Name {CONTROL}"), id="name-esc"
    ),
    pytest.param(
        validation.clean_name, "Aalter\nBV", Refused(f"Name {CONTROL}"), id="name-newline"
    ),
    pytest.param(validation.clean_name, "Aalter\tBV", Refused(f"Name {CONTROL}"), id="name-tab"),
    pytest.param(
        validation.clean_name, "Aalter\u2028BV", Refused(f"Name {CONTROL}"), id="name-line-sep"
    ),
    pytest.param(
        validation.clean_name, "Aal\u200bter", Refused(f"Name {CONTROL}"), id="name-zero-width"
    ),
    # a name is text, never a path: kept as typed, never used to build one
    pytest.param(
        validation.clean_name, "../../etc/passwd", Ok("../../etc/passwd"), id="name-traversal"
    ),
    # --- free text (invoice footer) ------------------------------------------------------
    pytest.param(validation.free_text, "", Ok(""), id="footer-empty"),
    pytest.param(validation.free_text, "Merci!\nBedankt!", Ok("Merci!\nBedankt!"), id="footer-nl"),
    pytest.param(validation.free_text, f"{RTL_TEXT} 🥐", Ok(f"{RTL_TEXT} 🥐"), id="footer-unicode"),
    pytest.param(
        validation.free_text,
        f"IBAN {RTL_OVERRIDE}4307 4567",
        Refused("Text contains control characters"),
        id="footer-rtl-override",
    ),
    pytest.param(
        validation.free_text,
        "a\u2066b\u2069",
        Refused("Text contains control characters"),
        id="footer-bidi-isolate",
    ),
    pytest.param(
        validation.free_text, "a\x00b", Refused("Text contains control characters"), id="footer-nul"
    ),
    pytest.param(
        validation.free_text,
        "\x1b[2J",
        Refused("Text contains control characters"),
        id="footer-esc",
    ),
    # --- enterprise and VAT numbers ------------------------------------------------------
    pytest.param(
        validation.enterprise_number,
        "",
        Refused("Enterprise number is required"),
        id="enterprise-empty",
    ),
    pytest.param(
        validation.enterprise_number,
        "BE 0403.170.701",
        Ok("0403.170.701"),
        id="enterprise-as-vat-number",
    ),
    pytest.param(
        validation.enterprise_number,
        FULLWIDTH_DIGITS,  # python-stdnum reads them as digits
        Ok("0403.170.701"),
        id="enterprise-fullwidth-digits",
    ),
    pytest.param(
        validation.enterprise_number,
        "0403170702",
        Refused("Enterprise number has a wrong check digit"),
        id="enterprise-check-digit",
    ),
    pytest.param(
        validation.enterprise_number,
        "123",
        Refused("Enterprise number has the wrong number of digits"),
        id="enterprise-short",
    ),
    pytest.param(
        validation.enterprise_number,
        "1" * 10_000,
        Refused("Enterprise number has the wrong number of digits"),
        id="enterprise-huge-digits",
    ),
    pytest.param(
        validation.enterprise_number,
        "٠٤٠٣١٧٠٧٠١",  # Arabic-Indic digits
        Refused("Enterprise number is not valid"),
        id="enterprise-arabic-digits",
    ),
    pytest.param(
        validation.enterprise_number,
        "0403170701\n",
        Refused(f"Enterprise number {CONTROL}"),
        id="enterprise-newline",
    ),
    pytest.param(
        validation.enterprise_number,
        "0403\x00170701",
        Refused(f"Enterprise number {CONTROL}"),
        id="enterprise-nul",
    ),
    pytest.param(
        validation.enterprise_number,
        "../../etc/passwd",
        Refused("Enterprise number is not valid"),
        id="enterprise-traversal",
    ),
    pytest.param(validation.vat_number, "", Refused("VAT number is required"), id="vat-empty"),
    pytest.param(validation.vat_number, "0403170701", Ok("BE0403170701"), id="vat-without-be"),
    pytest.param(
        validation.vat_number,
        "FR40303265045",
        Refused("VAT number is not valid"),
        id="vat-foreign",
    ),
    pytest.param(
        validation.vat_number,
        "BE" + "1" * 5000,
        Refused("VAT number has the wrong number of digits"),
        id="vat-huge-digits",
    ),
    pytest.param(
        validation.vat_number,
        f"{RTL_OVERRIDE}BE0403170701",
        Refused(f"VAT number {CONTROL}"),
        id="vat-rtl-override",
    ),
    # --- IBAN and BIC --------------------------------------------------------------------
    pytest.param(validation.iban, "", Refused("IBAN is required"), id="iban-empty"),
    pytest.param(validation.iban, "BE09 7341 2345 6757", Ok("BE09734123456757"), id="iban-grouped"),
    pytest.param(
        validation.iban,
        "BE09734123456758",
        Refused("IBAN has a wrong check digit"),
        id="iban-check-digit",
    ),
    pytest.param(
        validation.iban, "BE" + "1" * 10_000, Refused("IBAN is not valid"), id="iban-huge"
    ),
    pytest.param(
        validation.iban, "BE09 7341 2345 6757 🥐", Refused("IBAN is not valid"), id="iban-emoji"
    ),
    pytest.param(validation.iban, "BE09\x1b7341", Refused(f"IBAN {CONTROL}"), id="iban-esc"),
    pytest.param(
        validation.iban, "/etc/passwd", Refused("IBAN is not valid"), id="iban-absolute-path"
    ),
    pytest.param(validation.bic, "kredbebb", Ok("KREDBEBB"), id="bic-lowercase"),
    pytest.param(
        validation.bic, "KRED", Refused("BIC has the wrong number of digits"), id="bic-short"
    ),
    pytest.param(
        validation.bic, "A" * 10_000, Refused("BIC has the wrong number of digits"), id="bic-huge"
    ),
    pytest.param(validation.bic, "KRÉDBEBB", Refused("BIC is not valid"), id="bic-accent"),
    pytest.param(validation.bic, "KREDBEBB\n", Refused(f"BIC {CONTROL}"), id="bic-newline"),
    # --- email addresses (client user, invoice reply-to, allowed senders, new client) ----
    pytest.param(validation.email, "", Refused("Email address is required"), id="email-empty"),
    pytest.param(
        validation.email, "a" * 300 + "@b.be", Refused("Email address is too long"), id="email-huge"
    ),
    pytest.param(validation.email, "ANN@Example.BE", Ok("ANN@example.be"), id="email-case"),
    pytest.param(validation.email, "ann@exämple.be", Ok("ann@exämple.be"), id="email-idn"),
    pytest.param(validation.email, "😀@example.be", Ok("😀@example.be"), id="email-emoji-smtputf8"),
    pytest.param(
        validation.email,
        f"{RTL_OVERRIDE}ann@b.be",
        Refused("Not a valid email address: The email address contains unsafe characters…"),
        id="email-rtl-override",
    ),
    pytest.param(
        validation.email,
        "ann@b.be\nBcc: everyone@b.be",  # header injection
        Refused("Not a valid email address: The part after the @-sign contains invalid…"),
        id="email-header-injection",
    ),
    pytest.param(
        validation.email,
        "ann\x00@b.be",
        Refused("Not a valid email address: The email address contains invalid characters…"),
        id="email-nul",
    ),
    pytest.param(
        validation.email,
        "Ann <ann@b.be>",
        Refused("Not a valid email address: A display name and angle brackets…"),
        id="email-display-name",
    ),
    pytest.param(
        validation.email,
        "ann@localhost",
        Refused("Not a valid email address: The part after the @-sign is not valid…"),
        id="email-no-domain",
    ),
    pytest.param(
        validation.email,
        "../../etc/passwd",
        Refused("Not a valid email address: An email address must have an @-sign."),
        id="email-traversal",
    ),
    # --- phone, numbering format ---------------------------------------------------------
    pytest.param(validation.phone, "+32 9 123 45 67", Ok("+32 9 123 45 67"), id="phone-ok"),
    pytest.param(
        validation.phone,
        "1" * 31,
        Refused("Phone number may hold only digits, spaces and + ( ) . / -"),
        id="phone-huge",
    ),
    pytest.param(
        validation.phone,
        "+32\n9 123 45 67",
        Refused("Phone number may hold only digits, spaces and + ( ) . / -"),
        id="phone-newline",
    ),
    pytest.param(
        validation.number_format,
        "",
        Refused("Number format must contain {number}"),
        id="format-empty",
    ),
    pytest.param(validation.number_format, "2026/{number}", Ok("2026/{number}"), id="format-slash"),
    pytest.param(
        validation.number_format,
        "Fäktur {number} 🧾",
        Ok("Fäktur {number} 🧾"),
        id="format-unicode",
    ),
    pytest.param(
        validation.number_format,
        "{number}" * 6,
        Refused("Number format is longer than 40 characters"),
        id="format-huge",
    ),
    pytest.param(
        validation.number_format,
        "{client}-{number}",
        Refused("Unknown placeholder {client}; use {year} and {number}"),
        id="format-unknown-placeholder",
    ),
    pytest.param(
        validation.number_format,
        "{number}}",
        Refused("Number format has an unmatched brace"),
        id="format-brace",
    ),
    pytest.param(
        validation.number_format,
        "F\x00{number}",
        Refused(f"Number format {CONTROL}"),
        id="format-nul",
    ),
    pytest.param(
        validation.number_format,
        f"{RTL_OVERRIDE}{{number}}",
        Refused(f"Number format {CONTROL}"),
        id="format-rtl-override",
    ),
    # --- invoice footer: free text, its length counted as sent (the wire model's maxLength) --
    pytest.param(validation.footer, "Merci!\n", Ok("Merci!"), id="invoice-footer-trimmed"),
    pytest.param(
        validation.footer,
        "x" * 499 + "\n\n",
        Refused("Footer is longer than 500 characters (501)"),
        id="invoice-footer-long-as-sent",
    ),
    pytest.param(
        validation.footer,
        f"Pay {RTL_OVERRIDE}",
        Refused("Text contains control characters"),
        id="invoice-footer-rtl-override",
    ),
    # --- invoice address lines and country ----------------------------------------------
    pytest.param(
        validation.INVOICE_ADDRESS_CHECKS["street"],
        "  Kerkstraat 1 ",
        Ok("Kerkstraat 1"),
        id="street-trimmed",
    ),
    pytest.param(
        validation.INVOICE_ADDRESS_CHECKS["street"],
        f"Kerk{RTL_OVERRIDE}straat",
        Refused("Contains control characters"),
        id="street-rtl-override",
    ),
    pytest.param(
        validation.INVOICE_ADDRESS_CHECKS["city"],
        "G" * 101,
        Refused("Longer than 100 characters"),
        id="city-long",
    ),
    pytest.param(validation.country, "", Ok("BE"), id="country-empty-is-be"),
    pytest.param(validation.country, " nl ", Ok("NL"), id="country-lower"),
    pytest.param(
        validation.country,
        "Belgium",
        Refused("Country must be a two-letter code such as BE"),
        id="country-name",
    ),
    # --- lengths counted as sent, as the wire models' maxLength counts them --------------
    pytest.param(
        validation.clean_name,
        " " + "A" * 200,
        Refused("Name is longer than 200 characters"),
        id="name-long-as-sent",
    ),
    pytest.param(
        validation.phone,
        " " * 30 + "+32 9 123 45 67",
        Refused("Phone number is longer than 40 characters"),
        id="phone-long-as-sent",
    ),
    # --- the vault's file names (the app before an upload, the server on one) ------------
    pytest.param(validation.vault_file_name, " tax.pdf ", Ok("tax.pdf"), id="vault-name-trimmed"),
    pytest.param(
        validation.vault_file_name,
        "e\u0301t\u00e9.pdf",
        Ok("\u00e9t\u00e9.pdf"),
        id="vault-name-nfc",
    ),
    pytest.param(
        validation.vault_file_name, "..", Refused("The file needs a name"), id="vault-name-dots"
    ),
    pytest.param(
        validation.vault_file_name,
        "..tax.pdf",
        Refused("The file name may not start with '..'"),
        id="vault-name-dotdot",
    ),
    pytest.param(
        validation.vault_file_name,
        "tax\u2028.pdf",
        Refused("The file name contains control characters"),
        id="vault-name-line-separator",
    ),
    pytest.param(
        validation.vault_file_name,
        "a" * 197 + ".pdf",
        Refused("The file name is longer than 200 characters"),
        id="vault-name-long",
    ),
]


def test_enterprise_and_vat_numbers_share_one_rule() -> None:
    """The same digits, checked once (python-stdnum), each in its own form and words."""
    assert validation.enterprise_number("BE 0403.170.701") == "0403.170.701"
    assert validation.vat_number("0403 170 701") == "BE0403170701"
    for check, what in (
        (validation.enterprise_number, "Enterprise"),
        (validation.vat_number, "VAT"),
    ):
        for typed, problem in (
            ("", "is required"),
            ("0403170702", "has a wrong check digit"),
            ("12345", "has the wrong number of digits"),
            ("9" * 40, "has the wrong number of digits"),
            ("0403170701\x00", "contains control characters"),
        ):
            with pytest.raises(ValueError, match=f"^{what} number {problem}$"):
                check(typed)


@pytest.mark.parametrize(("check", "value", "expected"), VALIDATION_CASES)
def test_each_check_accepts_or_refuses_with_a_clear_message(
    check: Callable[[str], str], value: str, expected: Ok | Refused
) -> None:
    _check(check, value, expected)


def test_allowed_senders_name_the_position_of_the_bad_one() -> None:
    assert validation.allowed_senders(["a@b.be", "A@b.be", "c@d.be"]) == ["a@b.be", "c@d.be"]
    with pytest.raises(ValueError) as caught:
        validation.allowed_senders(["ok@b.be", "x" * 10_000])
    message = str(caught.value)
    assert message.startswith("Sender 2 ('" + "x" * 60 + "'): Email address is too long")
    assert len(message) < 200  # a huge entry is quoted in part, not whole
    with pytest.raises(ValueError, match=r"^Sender 1 \(''\): Email address is required$"):
        validation.allowed_senders([""])


# --- the request models ---------------------------------------------------------------------


def refusals(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    """Field (dotted) -> message, as the server puts it in its 422 (no "Value error, ")."""
    with pytest.raises(PydanticValidationError) as caught:
        model.model_validate(data)
    return {
        ".".join(str(part) for part in error["loc"]): error["msg"].removeprefix("Value error, ")
        for error in caught.value.errors()
    }


NEW_CLIENT = {"name": "Aalter BV", "enterprise_number": "0403170701", "email": "a@b.be"}
SETTINGS = {
    "legal_name": "Fietsen Willems",
    "iban": "BE09734123456757",
    "email": "facturen@fietsen.be",
}
TOO_BIG = f"Input should be less than or equal to {MAX_ID}"

# (model, valid base, changed field, bad value, field named, message or its start + "…")
MODEL_CASES: list[Any] = [
    # wrong types: a number where text goes, a list where a string goes, and the reverse
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "name",
        123,
        "name",
        "Input should be a valid string",
        id="client-name-number",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "email",
        ["a@b.be"],
        "email",
        "Input should be a valid string",
        id="client-email-list",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "enterprise_number",
        403170701,
        "enterprise_number",
        "Input should be a valid string",
        id="client-enterprise-number",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "team_ids",
        "1",
        "team_ids",
        "Input should be a valid list",
        id="client-teams-string",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "plan",
        "gold",
        "plan",
        "Input should be 'trial', 'inbox'…",
        id="client-plan-unknown",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "name",
        "x" * 201,
        "name",
        "String should have at most 200 characters",
        id="client-name-huge",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "name",
        "Aalter\x1b[2JBV",
        "name",
        f"Name {CONTROL}",
        id="client-name-esc",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "enterprise_number",
        "",
        "enterprise_number",
        "Enterprise number is required",
        id="client-enterprise-empty",
    ),
    # ids larger than a database integer: refused here, never a server error there
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "team_ids",
        [2**63],
        "team_ids.0",
        TOO_BIG,
        id="client-team-id-overflow",
    ),
    pytest.param(
        ClientCreate,
        NEW_CLIENT,
        "contact_id",
        0,
        "contact_id",
        "Input should be greater than or equal to 1",
        id="client-contact-zero",
    ),
    pytest.param(
        ClientUpdate,
        {},
        "contact_id",
        2**70,
        "contact_id",
        TOO_BIG,
        id="patch-contact-overflow",
    ),
    pytest.param(
        ClientUpdate,
        {},
        "name",
        "",
        "name",
        "String should have at least 1 character",
        id="patch-name-empty",
    ),
    pytest.param(
        ClientUpdate, {}, "name", "   ", "name", "Name is required", id="patch-name-blank"
    ),
    pytest.param(
        ClientUpdate,
        {},
        "hidden",
        [],
        "hidden",
        "Input should be a valid boolean",
        id="patch-hidden-list",
    ),
    pytest.param(
        DocumentIds,
        {},
        "document_ids",
        [],
        "document_ids",
        "List should have at least 1 item after validation, not 0",
        id="documents-none",
    ),
    pytest.param(
        DocumentIds,
        {},
        "document_ids",
        list(range(1, MAX_BULK_DOCUMENTS + 2)),
        "document_ids",
        f"List should have at most {MAX_BULK_DOCUMENTS} items after validation…",
        id="documents-over-the-limit",
    ),
    pytest.param(
        DocumentIds,
        {},
        "document_ids",
        [1, 2**64],
        "document_ids.1",
        TOO_BIG,
        id="documents-id-overflow",
    ),
    pytest.param(
        DocumentIds,
        {},
        "document_ids",
        ["../1"],
        "document_ids.0",
        "Input should be a valid integer…",
        id="documents-id-text",
    ),
    # allowed senders
    pytest.param(
        AllowedSendersUpdate,
        {},
        "senders",
        "a@b.be",
        "senders",
        "Input should be a valid list",
        id="senders-string",
    ),
    pytest.param(
        AllowedSendersUpdate,
        {},
        "senders",
        [f"s{i}@b.be" for i in range(MAX_ALLOWED_SENDERS + 1)],
        "senders",
        f"List should have at most {MAX_ALLOWED_SENDERS} items…",
        id="senders-over-the-limit",
    ),
    pytest.param(
        AllowedSendersUpdate,
        {},
        "senders",
        ["ok@b.be", "a@b.be\r\nBcc: x@y.be"],
        "senders",
        "Sender 2 (…",
        id="senders-header-injection",
    ),
    # a client user: the name was stored with control characters before (fixed)
    pytest.param(
        ClientUserCreate,
        {"email": "u@b.be"},
        "name",
        "Ann\x1b[31m",
        "name",
        f"Name {CONTROL}",
        id="user-name-esc",
    ),
    pytest.param(
        ClientUserCreate,
        {"email": "u@b.be"},
        "name",
        f"{RTL_OVERRIDE}nnA",
        "name",
        f"Name {CONTROL}",
        id="user-name-rtl-override",
    ),
    pytest.param(
        ClientUserCreate,
        {"email": "u@b.be"},
        "name",
        "x" * 201,
        "name",
        "String should have at most 200 characters",
        id="user-name-huge",
    ),
    pytest.param(
        ClientUserCreate,
        {},
        "email",
        "../../etc/passwd",
        "email",
        "Not a valid email address…",
        id="user-email-traversal",
    ),
    # invoice settings: payment terms, numbering, the identifiers, the footer
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "payment_term_days",
        -1,
        "payment_term_days",
        "Input should be greater than or equal to 0",
        id="terms-negative",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "payment_term_days",
        121,
        "payment_term_days",
        "Input should be less than or equal to 120",
        id="terms-over-the-limit",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "payment_term_days",
        10**30,
        "payment_term_days",
        "Input should be less than or equal to 120",
        id="terms-huge",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "payment_term_days",
        "thirty",
        "payment_term_days",
        "Input should be a valid integer…",
        id="terms-text",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "payment_term_days",
        30.5,
        "payment_term_days",
        "Input should be a valid integer, got a number with a fractional part",
        id="terms-fraction",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "payment_term_days",
        [30],
        "payment_term_days",
        "Input should be a valid integer",
        id="terms-list",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "next_number",
        0,
        "next_number",
        "Input should be greater than or equal to 1",
        id="next-number-zero",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "next_number",
        1_000_000,
        "next_number",
        "Input should be less than or equal to 999999",
        id="next-number-over-the-limit",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "number_format",
        "{year}",
        "number_format",
        "Number format must contain {number}",
        id="format-without-number",
    ),
    pytest.param(
        InvoiceSettingsUpdate, SETTINGS, "iban", "", "iban", "IBAN is required", id="iban-missing"
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "iban",
        68539007547034,
        "iban",
        "Input should be a valid string",
        id="iban-number",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "vat_number",
        "BE0403170702",
        "vat_number",
        "VAT number has a wrong check digit",
        id="settings-vat",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "bic",
        "NOTABIC!",
        "bic",
        "BIC is not valid",
        id="settings-bic",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "footer",
        "x" * 501,
        "footer",
        "String should have at most 500 characters",
        id="footer-huge",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "footer",
        f"{RTL_OVERRIDE}evil",
        "footer",
        "Text contains control characters",
        id="footer-rtl-override-model",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "legal_name",
        "Willems\x00",
        "legal_name",
        f"Name {CONTROL}",
        id="legal-name-nul",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "default_vat_rate",
        7,
        "default_vat_rate",
        "Input should be 0, 6, 12 or 21",
        id="vat-rate-unknown",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "language",
        "de",
        "language",
        "Input should be 'nl', 'fr' or 'en'",
        id="language-unknown",
    ),
    pytest.param(
        InvoiceSettingsUpdate,
        SETTINGS,
        "address",
        "Kerkstraat 1",
        "address",
        "Input should be a valid dictionary or instance of InvoiceAddress",
        id="address-string",
    ),
    # sign-in and Peppol
    pytest.param(
        LoginRequest,
        {"password": "p"},
        "email",
        "",
        "email",
        "String should have at least 3 characters",
        id="login-email-empty",
    ),
    pytest.param(
        LoginRequest,
        {"email": "a@b.be"},
        "password",
        "x" * 1025,
        "password",
        "String should have at most 1024 characters",
        id="login-password-huge",
    ),
    pytest.param(
        PeppolUpdate,
        {"receiving": False},
        "sending",
        "maybe",
        "sending",
        "Input should be a valid boolean, unable to interpret input",
        id="peppol-text",
    ),
]


@pytest.mark.parametrize(("model", "base", "field", "value", "named", "message"), MODEL_CASES)
def test_each_request_model_refuses_with_the_field_and_a_clear_message(
    model: type[BaseModel], base: dict[str, Any], field: str, value: Any, named: str, message: str
) -> None:
    found = refusals(model, {**base, field: value})
    assert named in found, found
    text = found[named]
    if message.endswith("…"):
        assert text.startswith(message[:-1]), text
    else:
        assert text == message
    assert not text.startswith("Value error")


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (ClientCreate, NEW_CLIENT),
        (ClientUpdate, {}),
        (ClientUserCreate, {"email": "u@b.be"}),
        (InvoiceSettingsUpdate, SETTINGS),
        (AllowedSendersUpdate, {"senders": []}),
        (DocumentIds, {"document_ids": [1, MAX_ID]}),
        (LoginRequest, {"email": "a@b.be", "password": "p"}),
        (PeppolUpdate, {"sending": True, "receiving": False}),
    ],
)
def test_the_bases_of_the_table_are_valid(model: type[BaseModel], data: dict[str, Any]) -> None:
    model.model_validate(data)  # so each refusal above is the changed field's doing


def test_unicode_is_kept_as_typed_in_what_is_stored() -> None:
    client = ClientCreate.model_validate({**NEW_CLIENT, "name": f" {RTL_TEXT} 🥐 "})
    assert client.name == f"{RTL_TEXT} 🥐"
    user = ClientUserCreate.model_validate({"email": "u@b.be", "name": COMBINING})
    assert user.name == COMBINING
    assert ClientUserCreate.model_validate({"email": "u@b.be", "name": "   "}).name == ""
    settings = InvoiceSettingsUpdate.model_validate({**SETTINGS, "footer": f"{RTL_TEXT}\n🧾"})
    assert settings.footer == f"{RTL_TEXT}\n🧾"


def test_lax_coercions_the_models_accept_on_purpose() -> None:
    """JSON numbers written as strings are read as numbers (pydantic's lax mode); a number
    where text goes never is (checked in the table above)."""
    settings = InvoiceSettingsUpdate.model_validate(
        {**SETTINGS, "payment_term_days": "14", "next_number": "12", "default_vat_rate": "6"}
    )
    assert (settings.payment_term_days, settings.next_number, int(settings.default_vat_rate)) == (
        14,
        12,
        6,
    )


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil.example";"Open")', "+32 cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"],
)
def test_a_valid_name_a_spreadsheet_would_run_is_exported_as_text(name: str) -> None:
    """Such names are valid (a name is any text); the CSV export quotes them so that a
    spreadsheet shows them instead of running them."""
    assert validation.clean_name(name) == name
    record = dict(zip(CSV_HEADER, csv_record(make_row(1, name=name), False), strict=True))
    assert record["name"] == "'" + name


@pytest.mark.parametrize(
    "name",
    [
        "Personal tax 2024.pdf",
        "tax\u2028.pdf",
        f"tax{RTL_OVERRIDE}fdp.pdf",
        "tax\x1b.pdf",
        "..tax.pdf",
    ],
)
def test_the_app_judges_a_local_file_name_as_the_server_does(tmp_path: Path, name: str) -> None:
    """The vault's upload dialog refuses before sending what the server would refuse."""
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7 a small file")
    try:
        expected = safe_file_name(name)
    except ValueError as refused:
        with pytest.raises(LocalFileError, match="^" + re.escape(f"{refused}.") + "$"):
            read_upload(str(path), VaultCategory.OTHER)
    else:
        assert read_upload(str(path), VaultCategory.OTHER).name == expected
