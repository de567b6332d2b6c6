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


def format_schema(name: str) -> Callable[[JsonDict], None]:
    """``json_schema_extra`` naming a string format of this API (email, iban, ...)."""

    def extra(schema: JsonDict) -> None:
        schema["format"] = name

    return extra


def clean_name(value: str) -> str:
    """A name shown to people: trimmed, not empty, no control characters."""
    value = value.strip()
    if not value:
        raise ValueError("Name is required")
    _reject_control_characters(value, "Name")
    if len(value) > 200:
        raise ValueError("Name is longer than 200 characters")
    return value


def free_text(value: str) -> str:
    """A free text such as an invoice footer: newlines allowed, other control characters and
    the invisible bidi controls not."""
    if any(
        (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in BIDI_CONTROLS
        for ch in value
    ):
        raise ValueError("Text contains control characters")
    return value.strip()


def _stdnum_message(exc: StdnumError, what: str) -> str:
    from stdnum.exceptions import InvalidChecksum, InvalidLength

    if isinstance(exc, InvalidChecksum):
        return f"{what} has a wrong check digit"
    if isinstance(exc, InvalidLength):
        return f"{what} has the wrong number of digits"
    return f"{what} is not valid"


def enterprise_number(value: str) -> str:
    """A Belgian enterprise number (or a BE VAT number), as ``0123.456.749``."""
    from stdnum.be import vat as stdnum_be_vat
    from stdnum.exceptions import ValidationError as StdnumError

    _reject_control_characters(value, "Enterprise number")
    if not value.strip():
        raise ValueError("Enterprise number is required")
    if len(value) > MAX_NUMBER_LENGTH:
        raise ValueError("Enterprise number has the wrong number of digits")
    try:
        digits = stdnum_be_vat.validate(value)
    except StdnumError as exc:
        raise ValueError(_stdnum_message(exc, "Enterprise number")) from None
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def vat_number(value: str) -> str:
    """A Belgian VAT number, as ``BE0123456749``."""
    from stdnum.be import vat as stdnum_be_vat
    from stdnum.exceptions import ValidationError as StdnumError

    _reject_control_characters(value, "VAT number")
    if not value.strip():
        raise ValueError("VAT number is required")
    if len(value) > MAX_NUMBER_LENGTH:
        raise ValueError("VAT number has the wrong number of digits")
    try:
        digits = stdnum_be_vat.validate(value)
    except StdnumError as exc:
        raise ValueError(_stdnum_message(exc, "VAT number")) from None
    return f"BE{digits}"


def vat_from_enterprise(enterprise: str) -> str:
    from stdnum.be import vat as stdnum_be_vat

    return "BE" + stdnum_be_vat.compact(enterprise)


def iban(value: str) -> str:
    """An IBAN, compact (``BE68539007547034``); required on invoice settings."""
    from stdnum import iban as stdnum_iban
    from stdnum.exceptions import ValidationError as StdnumError

    _reject_control_characters(value, "IBAN")
    if not value.strip():
        raise ValueError("IBAN is required")
    try:
        return stdnum_iban.validate(value)
    except StdnumError as exc:
        raise ValueError(_stdnum_message(exc, "IBAN")) from None


def format_iban(value: str) -> str:
    """An IBAN in groups of four, as printed on paper."""
    from stdnum import iban as stdnum_iban

    return stdnum_iban.format(value)


def bic(value: str) -> str:
    from stdnum import bic as stdnum_bic
    from stdnum.exceptions import ValidationError as StdnumError

    _reject_control_characters(value, "BIC")
    try:
        return stdnum_bic.validate(value)
    except StdnumError as exc:
        raise ValueError(_stdnum_message(exc, "BIC")) from None


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
    if len(value) > 40:
        raise ValueError("Number format is longer than 40 characters")
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


_VALUE_ERROR_PREFIXES = ("Value error, ", "Assertion failed, ")


def readable(message: str) -> str:
    """A pydantic error message without the "Value error, " that pydantic puts first."""
    for prefix in _VALUE_ERROR_PREFIXES:
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
