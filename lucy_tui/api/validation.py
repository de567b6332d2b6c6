"""Checks of what a user types, shared by the app's forms, the wire models and the server.

Each function returns the value in its canonical form or raises ``ValueError`` with a
message fit to show next to the field. Identifiers are checked with python-stdnum.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic.config import JsonDict
    from stdnum.exceptions import ValidationError as StdnumError

# email-validator and python-stdnum are imported where they are used: they cost start-up
# time (compiled patterns, tables) and the first screen needs neither.

DEFAULT_NUMBER_FORMAT = "{year}-{number}"
_NUMBER_FORMAT_FIELDS = {"year", "number"}
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
MAX_EMAIL_LENGTH = 254
# An enterprise or VAT number as typed ("BE 0123.456.749" and the like) is far shorter; a
# longer one is refused before python-stdnum turns thousands of digits into an integer.
MAX_NUMBER_LENGTH = 32
MAX_NAME_LENGTH = 200
VAULT_MAX_NAME_LENGTH = 200
MAX_PHONE_LENGTH = 40
MAX_FOOTER_LENGTH = 500
MAX_NUMBER_FORMAT_LENGTH = 40
# The lines of an invoice address and their longest length, as typed (trimmed).
ADDRESS_LINE_LIMITS = {"street": 200, "postal_code": 20, "city": 100}
# Whole numbers of the invoice settings: (lowest, highest).
NEXT_NUMBER_RANGE = (1, 999_999)
PAYMENT_TERM_DAYS_RANGE = (0, 120)


# Characters that change how the text around them is shown without being seen themselves
# (bidi embeddings, overrides and isolates): a footer or an address could read differently
# on an invoice than what was typed and stored.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# The one text rule of every name-like field (client, legal and user names, vault file names,
# enterprise and VAT numbers, IBAN, BIC, number formats, the search text), in the app and on
# the server alike: no control characters (C0, DEL, C1: Cc), no invisible format characters
# (Cf: the bidi embeddings, overrides and isolates U+202A-202E and U+2066-2069, zero-width
# characters), no line or paragraph separators (U+2028, U+2029). Letters of any script,
# combining marks, emoji, brackets ("[BE] Holding") and other punctuation are all text.
NAME_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def has_control_characters(value: str) -> bool:
    """Whether ``value`` breaks the text rule of names (see NAME_FORBIDDEN_CATEGORIES)."""
    return any(unicodedata.category(ch) in NAME_FORBIDDEN_CATEGORIES for ch in value)


def check_name_text(value: str, what: str) -> None:
    """Raise ``ValueError("<what> contains control characters")`` when the rule is broken."""
    if has_control_characters(value):
        raise ValueError(f"{what} contains control characters")


_reject_control_characters = check_name_text


def _has_text_controls(value: str, allowed: str = "") -> bool:
    """The text rule of free text and address lines: control characters (but ``allowed``)
    and the invisible bidi controls; other format characters (zero-width joiners) pass."""
    return any(
        (unicodedata.category(ch) == "Cc" and ch not in allowed) or ch in BIDI_CONTROLS
        for ch in value
    )


def optional(check: Callable[[str], str]) -> Callable[[str], str]:
    """``check`` for a field that may be left empty: spaces alone are "" and pass."""

    def checked(value: str) -> str:
        return check(value) if value.strip() else ""

    return checked


@functools.cache
def _forbidden_class() -> str:
    """The characters of NAME_FORBIDDEN_CATEGORIES as the body of a regex class (built once,
    when a schema is made: scanning Unicode takes a moment)."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) in NAME_FORBIDDEN_CATEGORIES:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))

    def char(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in ranges)


def name_pattern(*, required: bool) -> str:
    """The text rule of names as a JSON Schema ``pattern``: no forbidden character, and (when
    ``required``) something other than spaces, as clean_name wants."""
    bad = _forbidden_class()
    if required:
        return f"^[^{bad}]*[^\\s{bad}][^{bad}]*$"
    return f"^[^{bad}]*$"


def name_schema(schema: JsonDict) -> None:
    """``json_schema_extra`` of a required name field."""
    schema["pattern"] = name_pattern(required=True)


def optional_name_schema(schema: JsonDict) -> None:
    """``json_schema_extra`` of a name that may be left empty."""
    schema["pattern"] = name_pattern(required=False)


def format_schema(name: str, *, max_length: int | None = None) -> Callable[[JsonDict], None]:
    """``json_schema_extra`` naming a string format of this API (email, iban, ...), and the
    longest length the check of that format takes (as typed) when it has one."""

    def extra(schema: JsonDict) -> None:
        schema["format"] = name
        if max_length is not None:
            schema["maxLength"] = max_length

    return extra


def clean_name(value: str) -> str:
    """A name shown to people: trimmed, not empty, no control characters; at most
    MAX_NAME_LENGTH characters as sent (the wire models' and the OpenAPI's maxLength)."""
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"Name is longer than {MAX_NAME_LENGTH} characters")
    value = value.strip()
    if not value:
        raise ValueError("Name is required")
    _reject_control_characters(value, "Name")
    return value


def vault_file_name(name: str) -> str:
    """The name a file gets in the vault (its base name, no folder part), in NFC, trimmed:
    not empty, not starting with "..", the text rule of names, at most
    VAULT_MAX_NAME_LENGTH characters. Checked by the app before an upload and by the server."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name or name in {".", ".."}:
        raise ValueError("The file needs a name")
    if name.startswith(".."):
        raise ValueError("The file name may not start with '..'")
    check_name_text(name, "The file name")  # the text rule of every name (U+2028 too)
    if len(name) > VAULT_MAX_NAME_LENGTH:
        raise ValueError(f"The file name is longer than {VAULT_MAX_NAME_LENGTH} characters")
    return name


def free_text(value: str) -> str:
    """A free text such as an invoice footer: newlines allowed, other control characters and
    the invisible bidi controls not."""
    if _has_text_controls(value, allowed="\n\t"):
        raise ValueError("Text contains control characters")
    return value.strip()


def footer(value: str) -> str:
    """An invoice footer: free text of at most MAX_FOOTER_LENGTH characters as sent."""
    if len(value) > MAX_FOOTER_LENGTH:
        raise ValueError(f"Footer is longer than {MAX_FOOTER_LENGTH} characters ({len(value)})")
    return free_text(value)


def address_line(value: str, limit: int) -> str:
    """A line of an invoice address, trimmed: no control characters (nor bidi controls), at
    most ``limit`` characters. The message goes next to the line's own label."""
    value = value.strip()
    if _has_text_controls(value):
        raise ValueError("Contains control characters")
    if len(value) > limit:
        raise ValueError(f"Longer than {limit} characters")
    return value


def country(value: str) -> str:
    """A country as an ISO two-letter code, upper case; empty is Belgium (``BE``)."""
    code = value.strip().upper() or "BE"
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ValueError("Country must be a two-letter code such as BE")
    return code


def whole_number(value: str, what: str, bounds: tuple[int, int], unit: str = "") -> int:
    """A whole number typed as text, within ``bounds`` (the wire model's ``ge``/``le``)."""
    low, high = bounds
    value = value.strip()
    if not value:
        raise ValueError(f"{what} is required")
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{what} must be a whole number")
    if not low <= int(value) <= high:
        raise ValueError(f"{what} must be between {low} and {high}{unit}")
    return int(value)


def _stdnum_message(exc: StdnumError, what: str) -> str:
    from stdnum.exceptions import InvalidChecksum, InvalidLength

    if isinstance(exc, InvalidChecksum):
        return f"{what} has a wrong check digit"
    if isinstance(exc, InvalidLength):
        return f"{what} has the wrong number of digits"
    return f"{what} is not valid"


def _stdnum_checked(
    value: str, what: str, validate: Callable[[str], str], max_length: int | None = None
) -> str:
    """The one python-stdnum flow of every identifier: the text rule of names, required, no
    longer than ``max_length`` (before stdnum parses it), then ``validate`` (a stdnum
    module's), its refusal as a message fit for the field. Returns stdnum's compact form."""
    from stdnum.exceptions import ValidationError as StdnumError

    _reject_control_characters(value, what)
    if not value.strip():
        raise ValueError(f"{what} is required")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"{what} has the wrong number of digits")
    try:
        return validate(value)
    except StdnumError as exc:
        raise ValueError(_stdnum_message(exc, what)) from None


def _belgian_company_number(value: str, what: str) -> str:
    """The 10 digits of a Belgian enterprise number, typed with or without ``BE``."""
    from stdnum.be import vat as stdnum_be_vat

    return _stdnum_checked(value, what, stdnum_be_vat.validate, MAX_NUMBER_LENGTH)


def enterprise_number(value: str) -> str:
    """A Belgian enterprise number (or a BE VAT number), as ``0123.456.749``."""
    digits = _belgian_company_number(value, "Enterprise number")
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def vat_number(value: str) -> str:
    """A Belgian VAT number, as ``BE0123456749``."""
    return "BE" + _belgian_company_number(value, "VAT number")


def vat_from_enterprise(enterprise: str) -> str:
    from stdnum.be import vat as stdnum_be_vat

    return "BE" + stdnum_be_vat.compact(enterprise)


def iban(value: str) -> str:
    """An IBAN, compact (``BE68539007547034``); required on invoice settings."""
    from stdnum import iban as stdnum_iban

    return _stdnum_checked(value, "IBAN", stdnum_iban.validate)


def format_iban(value: str) -> str:
    """An IBAN in groups of four, as printed on paper."""
    from stdnum import iban as stdnum_iban

    return stdnum_iban.format(value)


def bic(value: str) -> str:
    """A BIC (SWIFT code), compact and upper case."""
    from stdnum import bic as stdnum_bic

    return _stdnum_checked(value, "BIC", stdnum_bic.validate)


def email(value: str) -> str:
    """An email address, normalised (domain lowercased); no deliverability lookup."""
    from email_validator import EmailNotValidError, validate_email

    value = value.strip()
    if not value:
        raise ValueError("Email address is required")
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValueError("Email address is too long")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"Not a valid email address: {exc}") from None


def email_key(value: str) -> str:
    """What two addresses are compared by: the same key is the same address to a person.

    NFKC folds compatibility forms (a fullwidth ``d``, U+FF44, is ``d``), casefold folds case
    beyond ASCII (``straße`` is ``STRASSE``); NFKC again, as casefolding can undo it (Unicode's
    toNFKC_Casefold, near enough). Surrounding spaces do not count. Stored addresses keep
    their own spelling; only comparisons (uniqueness, sign-in) use the key."""
    folded = unicodedata.normalize("NFKC", value.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def allowed_senders(values: Iterable[str]) -> list[str]:
    """Allowed senders: valid, without duplicates (compared by :func:`email_key`), order
    kept."""
    seen: set[str] = set()
    result: list[str] = []
    for position, raw in enumerate(values, start=1):
        try:
            address = email(raw)
        except ValueError as exc:
            raise ValueError(f"Sender {position} ({raw[:60]!r}): {exc}") from None
        if email_key(address) not in seen:
            seen.add(email_key(address))
            result.append(address)
    return result


def phone(value: str) -> str:
    """A phone number: at most MAX_PHONE_LENGTH characters as sent; trimmed, 6 to 30 of
    digits, spaces and ``+ ( ) . / -``."""
    if len(value) > MAX_PHONE_LENGTH:
        raise ValueError(f"Phone number is longer than {MAX_PHONE_LENGTH} characters")
    value = value.strip()
    if not _PHONE.match(value):
        raise ValueError("Phone number may hold only digits, spaces and + ( ) . / -")
    return value


def number_format(value: str) -> str:
    """An invoice number format: must contain ``{number}``; may contain ``{year}``."""
    value = value.strip()
    _reject_control_characters(value, "Number format")
    if "{number}" not in value:
        raise ValueError("Number format must contain {number}")
    if len(value) > MAX_NUMBER_FORMAT_LENGTH:
        raise ValueError(f"Number format is longer than {MAX_NUMBER_FORMAT_LENGTH} characters")
    fields = set(re.findall(r"{([^{}]*)}", value))
    unknown = fields - _NUMBER_FORMAT_FIELDS
    if unknown:
        raise ValueError(
            f"Unknown placeholder {{{sorted(unknown)[0]}}}; use {{year}} and {{number}}"
        )
    if re.search(r"[{}]", re.sub(r"{(year|number)}", "", value)):
        raise ValueError("Number format has an unmatched brace")
    return value


def format_invoice_number(fmt: str, number: int, year: int) -> str:
    """An invoice number: the number zero-padded to 4 digits."""
    return fmt.replace("{year}", str(year)).replace("{number}", f"{number:04d}")


def peppol_participant_id(enterprise: str) -> str:
    """The Peppol participant id of a Belgian company: scheme 0208 + the enterprise number."""
    from stdnum.be import vat as stdnum_be_vat

    return "0208:" + stdnum_be_vat.compact(enterprise)


# --- the checks of invoice settings, field by field (the wire model's and the form's) -----

INVOICE_SETTINGS_CHECKS: dict[str, Callable[[str], str]] = {
    "legal_name": clean_name,  # required: an invoice names its issuer
    "vat_number": optional(vat_number),
    "enterprise_number": optional(enterprise_number),
    "iban": iban,
    "bic": optional(bic),
    "email": email,
    "phone": optional(phone),
    "number_format": number_format,
    "footer": footer,
}
"""The text fields of invoice settings: each value as typed -> its canonical form."""

INVOICE_ADDRESS_CHECKS: dict[str, Callable[[str], str]] = {
    **{
        line: functools.partial(address_line, limit=limit)
        for line, limit in ADDRESS_LINE_LIMITS.items()
    },
    "country": country,
}
"""The lines of an invoice address (``address.<line>`` on the wire)."""


_VALUE_ERROR_PREFIXES = ("Value error, ", "Assertion failed, ")


def readable(message: str) -> str:
    """A pydantic error message without the "Value error, " that pydantic puts first."""
    for prefix in _VALUE_ERROR_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
