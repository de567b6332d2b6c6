"""The wire contract of the Lucy API, shared by the typed client and the reference server.

Every resource of DESIGN §4 is defined here once. Response models are lenient about what
they carry (the server owns the rules); request models (``*Create``, ``*Update``) validate
what a user may send, with the same checks the server applies.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from lucy_tui.api import validation
from lucy_tui.api.enums import PEPPOL_STATE_LABELS as PEPPOL_STATE_LABELS
from lucy_tui.api.enums import ClientStatus as ClientStatus
from lucy_tui.api.enums import PeppolLookupState as PeppolLookupState
from lucy_tui.api.enums import Plan as Plan

MAX_ALLOWED_SENDERS = 100
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
MAX_BULK_DOCUMENTS = 5000
MAX_BULK_CLIENTS = 50_000  # clients in one Peppol activation
MAX_BULK_LOOKUPS = 200  # clients re-checked on the network in one request
VAULT_MAX_BYTES = 25 * 1024 * 1024
VAULT_MAX_NAME_LENGTH = validation.VAULT_MAX_NAME_LENGTH
# What the vault accepts: extension -> content type, and the first bytes the kinds with a
# signature must start with (xlsx and docx are zip archives).
VAULT_CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xml": "application/xml",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
VAULT_MAGIC: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".xlsx": (b"PK\x03\x04",),
    ".docx": (b"PK\x03\x04",),
}
TRIAL_DAYS = 30
INVITATION_DAYS = 21
# Ids are SQL integers; the API takes at most 2^53 - 1, the largest integer every JSON reader
# holds exactly (I-JSON, RFC 7493; JavaScript's Number.MAX_SAFE_INTEGER). It is also exact as
# an OpenAPI "maximum", which is written as a float: 2^63 - 1 came out as 9.223372036854776e18.
MAX_ID = 2**53 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""The id of a row (a team, a staff member, a document) named in a request."""


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are ignored so older clients keep working."""

    model_config = ConfigDict(extra="ignore", use_enum_values=False)


# --- enumerations -------------------------------------------------------------------------


class Role(StrEnum):
    ADMIN = "admin"
    EMPLOYEE = "employee"


# ClientStatus, Plan and PeppolLookupState live in api.enums (no pydantic there), so
# that the client list's first paint needs no pydantic; they are part of this contract.


class DocumentStatus(StrEnum):
    INBOX = "inbox"
    SENT = "sent"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DocumentDirection(StrEnum):
    PURCHASE = "purchase"  # from a supplier
    SALE = "sale"  # to a customer


class DocumentType(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    RECEIPT = "receipt"
    OTHER = "other"


class DocumentSource(StrEnum):
    EMAIL = "email"
    UPLOAD = "upload"
    PEPPOL = "peppol"
    MOBILE = "mobile"


class ActionOutcome(StrEnum):
    SENT = "sent"  # delivered to the destination
    FAILED = "failed"  # the delivery was tried and failed; the document is now Failed
    REFUSED = "refused"  # not attempted: the document is in the wrong state or unknown


class IntegrationKind(StrEnum):
    API = "api"
    FTP = "ftp"
    EMAIL = "email"


class IntegrationCategory(StrEnum):
    ACCOUNTING = "accounting"  # an accounting package: one per client
    DESTINATION = "destination"  # another destination (archive, expense tool, ...)


class ClientUserStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"


class BankingStatus(StrEnum):
    PLAN_REQUIRED = "plan_required"  # the client's plan has no banking
    NOT_CONNECTED = "not_connected"  # the client has not connected Codabox yet
    CONNECTED = "connected"


class AccountType(StrEnum):
    CURRENT = "current"
    SAVINGS = "savings"


class MandateStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    EXPIRED = "expired"


class Language(StrEnum):
    NL = "nl"
    FR = "fr"
    EN = "en"


class VatRate(IntEnum):
    ZERO = 0
    SIX = 6
    TWELVE = 12
    STANDARD = 21


class VaultCategory(StrEnum):
    TAX = "tax"
    REPORT = "report"
    LEGAL = "legal"
    OTHER = "other"


# --- errors and pages ---------------------------------------------------------------------


class ErrorDetail(WireModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(WireModel):
    error: ErrorDetail


class FieldError(WireModel):
    """One rejected field, as carried in ``details`` of a validation error."""

    field: str
    message: str


T = TypeVar("T")


class Page(WireModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    # the big lists (clients, documents): ``after=`` this for the next page; None: the last
    next: str | None = Field(
        default=None,
        description="The big lists: ask after= this for the next page (null: this is the last)",
    )

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.page_size))


# --- auth, staff, teams -------------------------------------------------------------------


class Team(WireModel):
    id: int
    name: str


class Staff(WireModel):
    id: int
    name: str
    email: str
    role: Role
    teams: list[Team] = []

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class StaffRef(WireModel):
    id: int
    name: str


class LoginRequest(WireModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class LoginResponse(WireModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    staff: Staff


# --- clients ------------------------------------------------------------------------------


class Address(WireModel):
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "BE"


class ClientSummary(WireModel):
    """One row of the client list: every column of DESIGN §1, flat so 50,000 parse fast."""

    id: int
    name: str
    enterprise_number: str
    vat_number: str
    contact_id: int | None = None
    contact_name: str | None = None
    team_names: list[str] = []
    status: ClientStatus
    integrations: list[str] = []
    peppol_sending: bool = False
    peppol_receiving: bool = False
    inbox_count: int = 0
    failed_count: int = 0
    # where the last good Peppol lookup found the client (unchecked: never found yet), and
    # whether the latest lookup failed (that result is then stale)
    peppol_network: PeppolLookupState = PeppolLookupState.UNCHECKED
    peppol_stale: bool = False
    plan: Plan
    trial_ends_on: date | None = None
    hidden: bool = False
    version: int


class ClientPage(Page[ClientSummary]):
    """A page of the client list, with what ``changed_since=`` needs.

    ``changes``: the token to ask ``changed_since=`` next time (every page of one walk gives
    the same). With ``changed_since=``: ``items`` are the clients changed since (paged like
    the list), ``removed`` (first page) the ids that left this staff member's view, and
    ``reset`` true when the server cannot tell (then nothing else: load the whole list)."""

    changes: str | None = Field(
        default=None, description="The token for changed_since= next time (null with reset)"
    )
    reset: bool = Field(
        default=False,
        description="changed_since: the server cannot tell what changed; load the whole list",
    )
    removed: list[int] = Field(
        default=[],
        description="changed_since, first page: ids of clients that left your view since",
    )


class ClientDetail(ClientSummary):
    address: Address = Address()
    lucy_email: str
    teams: list[Team] = []
    created_at: datetime
    invited_at: datetime | None = None
    invitation_expires_at: datetime | None = None
    activated_at: datetime | None = None


_EMAIL = validation.format_schema("email")


class ClientCreate(WireModel):
    """A new client file. ``enterprise_number`` takes an enterprise or a VAT number."""

    name: str = Field(min_length=1, max_length=200, json_schema_extra=validation.name_schema)
    enterprise_number: str = Field(
        json_schema_extra=validation.format_schema("be-enterprise-number")
    )
    email: str = Field(json_schema_extra=_EMAIL)
    plan: Plan = Plan.TRIAL
    team_ids: list[Id] = []
    contact_id: Id | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return validation.clean_name(value)

    @field_validator("enterprise_number")
    @classmethod
    def _enterprise_number(cls, value: str) -> str:
        return validation.enterprise_number(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return validation.email(value)


class ClientUpdate(WireModel):
    """A PATCH of a client: only the fields present are changed (needs ``If-Match``)."""

    name: str | None = Field(
        default=None, min_length=1, max_length=200, json_schema_extra=validation.name_schema
    )
    plan: Plan | None = None
    team_ids: list[Id] | None = None
    contact_id: Id | None = None  # the Client-Facing Contact Person: admins only
    hidden: bool | None = None  # admins only
    # Merged into contact_id (issue 11): refused by name rather than silently ignored, so a
    # client written for the two fields learns it; not in the schema.
    client_contact_id: SkipJsonSchema[int | None] = Field(default=None, exclude=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else validation.clean_name(value)

    @field_validator("client_contact_id", mode="before")
    @classmethod
    def _merged(cls, value: object) -> None:
        raise ValueError(
            "No longer a field: the Client-Facing Contact Person is contact_id (admins only)"
        )


# --- Peppol -------------------------------------------------------------------------------


class PeppolLookup(WireModel):
    """What the Peppol network said about the client, and when.

    ``state`` is the latest lookup's outcome. When it is ``lookup_failed``, ``message`` says
    why and the other fields still describe the last good result (``last_good_state``, found
    at ``checked_at``): that result stands, but is stale.
    """

    state: PeppolLookupState = PeppolLookupState.UNCHECKED
    provider: str | None = None  # the access point certificate's organisation (O)
    seat_id: str | None = None  # its common name (CN), the provider's Peppol seat id
    smp_host: str | None = None
    access_point_url: str | None = None
    participant_id: str | None = None  # the identifier found (0208:... or 9925:...)
    checked_at: datetime | None = None  # when the last good result was found
    message: str | None = None
    last_good_state: PeppolLookupState | None = None
    failed_at: datetime | None = None  # when the latest lookup failed (state lookup_failed)

    @property
    def stale(self) -> bool:
        return self.state is PeppolLookupState.LOOKUP_FAILED and self.last_good_state is not None

    @property
    def network_state(self) -> PeppolLookupState:
        """The result in force: the last good one, else the failure, else unchecked."""
        return self.last_good_state or self.state


class PeppolRegistration(WireModel):
    participant_id: str
    sending: bool
    receiving: bool
    registered_elsewhere: bool = False  # follows the last good lookup
    other_provider: str | None = None
    version: int
    lookup: PeppolLookup = PeppolLookup()


class PeppolUpdate(WireModel):
    sending: bool
    receiving: bool


class PeppolLookupRequest(WireModel):
    """Re-check clients on the network; results younger than the server's cache lifetime are
    answered from what is stored unless ``force``."""

    client_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK_LOOKUPS)
    force: bool = False


class PeppolLookupOutcome(StrEnum):
    CHECKED = "checked"  # asked the network now
    CACHED = "cached"  # a recent enough result was kept
    OFF = "off"  # this server does not look clients up (LUCY_PEPPOL_LOOKUP=off)
    NOT_FOUND = "not_found"  # unknown, or not visible to this staff member


class PeppolLookupResult(WireModel):
    client_id: int
    outcome: PeppolLookupOutcome
    lookup: PeppolLookup | None = None
    registered_elsewhere: bool = False
    message: str = ""


class PeppolLookupResponse(WireModel):
    results: list[PeppolLookupResult]


class PeppolActivation(WireModel):
    """Switch Peppol sending and/or receiving on for many clients at once (True: switch on;
    False: leave as it is). Clients registered with another provider are skipped when
    receiving is asked."""

    client_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK_CLIENTS)
    sending: bool = False
    receiving: bool = False

    @model_validator(mode="after")
    def _something(self) -> PeppolActivation:
        if not (self.sending or self.receiving):
            raise ValueError("Ask for sending, receiving or both")
        return self


class PeppolActivationOutcome(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"  # already on
    SKIPPED = "skipped"  # registered with another provider: receiving cannot be switched on
    NOT_FOUND = "not_found"


class PeppolActivationResult(WireModel):
    client_id: int
    outcome: PeppolActivationOutcome
    sending: bool | None = None  # the registration after the request
    receiving: bool | None = None
    provider: str | None = None  # for skipped: who the client is registered with
    message: str = ""


class PeppolActivationResponse(WireModel):
    results: list[PeppolActivationResult]


# --- allowed senders ----------------------------------------------------------------------


class AllowedSenders(WireModel):
    senders: list[str]
    version: int


class AllowedSendersUpdate(WireModel):
    senders: list[Annotated[str, Field(json_schema_extra=_EMAIL)]] = Field(
        max_length=MAX_ALLOWED_SENDERS
    )

    @field_validator("senders")
    @classmethod
    def _senders(cls, value: list[str]) -> list[str]:
        return validation.allowed_senders(value)


# --- documents ----------------------------------------------------------------------------


class Document(WireModel):
    id: int
    client_id: int
    date: date
    counterparty: str
    type: DocumentType | None = None
    direction: DocumentDirection
    amount: Decimal
    currency: str = "EUR"
    source: DocumentSource
    status: DocumentStatus
    failure_reason: str | None = None
    sent_at: datetime | None = None
    destination: str | None = None


class FirmDocument(Document):
    """A document in a firm-wide list (``GET /documents``): it names its client."""

    client_name: str


# An integration id as a request names it (a slug such as "dropbox-archive").
IntegrationId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")]


class DocumentIds(WireModel):
    """What a send or resend acts on, and where it goes: ``destination`` None (or the
    client's package id) is the linked accounting package; another is one of the client's
    enabled other destinations (an Integration id of category destination)."""

    document_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK_DOCUMENTS)
    destination: IntegrationId | None = None


class DocumentActionResult(WireModel):
    document_id: int
    outcome: ActionOutcome
    status: DocumentStatus | None = None  # the document's status after the action
    message: str = ""
    client_id: int | None = None  # None when the document was not found
    destination: str | None = None  # the name of where it went (or was refused for)


class ClientDocumentCounts(WireModel):
    """A client's document counts after an action, as the client list shows them."""

    client_id: int
    inbox_count: int
    failed_count: int


class DocumentActionResponse(WireModel):
    results: list[DocumentActionResult]
    clients: list[ClientDocumentCounts] = []  # every client the action changed


class DocumentDelivery(WireModel):
    """One attempt to deliver a document: when, where, by whom, and how it went."""

    performed_at: datetime
    destination_id: str | None = None
    destination: str | None = None  # its name; None when no package was linked
    category: IntegrationCategory | None = None
    staff_name: str | None = None
    success: bool
    message: str = ""


class DocumentDetail(Document):
    """A document as it is opened: with its delivery history, the newest first."""

    deliveries: list[DocumentDelivery] = []


# --- vault --------------------------------------------------------------------------------


class VaultFile(WireModel):
    id: int
    name: str
    category: VaultCategory
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: datetime


# --- banking ------------------------------------------------------------------------------


class BankAccount(WireModel):
    iban: str
    bic: str | None = None
    bank: str
    holder: str
    account_type: AccountType
    mandate_status: MandateStatus
    mandate_date: date | None = None
    last_statement_date: date | None = None


class BankConnection(WireModel):
    status: BankingStatus
    provider: str = "Codabox"
    connected_at: datetime | None = None
    accounts: list[BankAccount] = []
    message: str = ""


# --- integrations -------------------------------------------------------------------------


class Integration(WireModel):
    id: str  # a slug such as "yuki"
    name: str
    kind: IntegrationKind
    category: IntegrationCategory
    description: str = ""


class ClientIntegrations(WireModel):
    accounting_package: str | None = None  # an Integration id of category accounting
    destinations: list[str] = []  # Integration ids of category destination
    version: int


DESTINATIONS_ARE_THE_CLIENTS = (
    "Only the client can set its destinations, in Lucy under Settings > Integrations"
)


class ClientIntegrationsUpdate(WireModel):
    """The accounting package staff link (or unlink); the other destinations are the
    client's to set (issue 11): a body that names them is refused, not silently ignored."""

    accounting_package: str | None = None
    destinations: SkipJsonSchema[list[str] | None] = Field(default=None, exclude=True)

    @field_validator("destinations", mode="before")
    @classmethod
    def _theirs(cls, value: object) -> None:
        raise ValueError(DESTINATIONS_ARE_THE_CLIENTS)


# --- client users -------------------------------------------------------------------------


class ClientUser(WireModel):
    id: int
    name: str
    email: str
    status: ClientUserStatus
    invited_at: datetime | None = None


class ClientUserCreate(WireModel):
    email: str = Field(json_schema_extra=_EMAIL)
    name: str = Field(default="", max_length=200, json_schema_extra=validation.optional_name_schema)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return validation.email(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return validation.clean_name(value) if value.strip() else ""


# --- invoice settings ---------------------------------------------------------------------


class InvoiceSettingsFields(WireModel):
    """The fields of DESIGN §6 that Lucy needs to create invoices for a client."""

    legal_name: str = ""
    address: Address = Address()
    vat_number: str = ""
    enterprise_number: str = ""
    iban: str = ""
    bic: str = ""
    email: str = ""  # the reply-to address on invoices
    phone: str = ""
    next_number: int = 1
    number_format: str = validation.DEFAULT_NUMBER_FORMAT
    payment_term_days: int = 30
    default_vat_rate: VatRate = VatRate.STANDARD
    language: Language = Language.NL
    footer: str = ""


class InvoiceSettings(InvoiceSettingsFields):
    numbering_locked: bool = False  # true once the first invoice is made
    version: int


class InvoiceAddress(Address):
    """The address of invoice settings as a user saves it, checked line by line by
    ``validation.INVOICE_ADDRESS_CHECKS``. An ``Address`` (as the server sent it) is taken
    and checked too."""

    @model_validator(mode="before")
    @classmethod
    def _from_address(cls, data: Any) -> Any:
        if isinstance(data, Address) and not isinstance(data, cls):
            return data.model_dump()
        return data

    @field_validator(*validation.INVOICE_ADDRESS_CHECKS)
    @classmethod
    def _check(cls, value: str, info: ValidationInfo) -> str:
        return validation.INVOICE_ADDRESS_CHECKS[str(info.field_name)](value)


class InvoiceSettingsUpdate(InvoiceSettingsFields):
    """What a user saves. The text fields are checked by ``validation.INVOICE_SETTINGS_CHECKS``
    (the form checks each field with the same functions as the user types), the lengths and
    numbers by the bounds here, whose values ``validation`` holds for the form too."""

    legal_name: str = Field(  # required: an invoice names its issuer
        max_length=validation.MAX_NAME_LENGTH,
        json_schema_extra=validation.name_schema,
    )
    address: InvoiceAddress = InvoiceAddress()
    vat_number: str = Field(
        default="", json_schema_extra=validation.format_schema("optional-be-vat-number")
    )
    enterprise_number: str = Field(
        default="", json_schema_extra=validation.format_schema("optional-be-enterprise-number")
    )
    iban: str = Field(json_schema_extra=validation.format_schema("iban"))  # required
    bic: str = Field(default="", json_schema_extra=validation.format_schema("optional-bic"))
    email: str = Field(json_schema_extra=_EMAIL)  # required: the reply-to address
    phone: str = Field(
        default="",
        max_length=validation.MAX_PHONE_LENGTH,
        json_schema_extra=validation.format_schema("optional-phone"),
    )
    next_number: int = Field(
        default=1, ge=validation.NEXT_NUMBER_RANGE[0], le=validation.NEXT_NUMBER_RANGE[1]
    )
    number_format: str = Field(
        default=validation.DEFAULT_NUMBER_FORMAT,
        json_schema_extra=validation.format_schema("invoice-number-format"),
    )
    payment_term_days: int = Field(
        default=30,
        ge=validation.PAYMENT_TERM_DAYS_RANGE[0],
        le=validation.PAYMENT_TERM_DAYS_RANGE[1],
    )
    footer: str = Field(
        default="",
        max_length=validation.MAX_FOOTER_LENGTH,
        json_schema_extra=validation.format_schema("footer-text"),
    )

    @field_validator(*validation.INVOICE_SETTINGS_CHECKS)
    @classmethod
    def _check(cls, value: str, info: ValidationInfo) -> str:
        return validation.INVOICE_SETTINGS_CHECKS[str(info.field_name)](value)


# --- audit trail --------------------------------------------------------------------------


class AuditKind(StrEnum):
    """What a record of the audit trail says happened (a closed set)."""

    SIGNED_IN = "auth.signed_in"
    SIGNED_OUT = "auth.signed_out"
    CLIENT_CREATED = "client.created"
    CLIENT_UPDATED = "client.updated"  # the name
    CLIENT_PLAN_CHANGED = "client.plan_changed"
    CLIENT_TEAMS_CHANGED = "client.teams_changed"
    CLIENT_CONTACT_CHANGED = "client.contact_changed"
    CLIENT_HIDDEN = "client.hidden"
    CLIENT_UNHIDDEN = "client.unhidden"
    CLIENT_INVITED = "client.invited"
    PEPPOL_SWITCHED = "peppol.switched"
    PEPPOL_LOOKED_UP = "peppol.looked_up"
    SENDERS_UPDATED = "senders.updated"
    USER_ADDED = "users.added"
    USER_REMOVED = "users.removed"
    INTEGRATIONS_UPDATED = "integrations.updated"
    INVOICE_SETTINGS_UPDATED = "invoice_settings.updated"
    VAULT_UPLOADED = "vault.uploaded"
    VAULT_DELETED = "vault.deleted"
    DOCUMENTS_SENT = "documents.sent"
    DOCUMENTS_RESENT = "documents.resent"


class AuditEntry(WireModel):
    """One record of the audit trail: who changed what, when; the changed fields before and
    after (never a secret)."""

    id: int
    at: datetime
    staff_id: int | None = None  # None: the server itself
    staff_name: str  # as it was at the time
    kind: AuditKind
    client_id: int | None = None
    client_name: str | None = None  # as it was at the time
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class AuditPage(WireModel):
    """Records, newest first; ``next`` is the ``after=`` of the next page (None: this
    page is the last)."""

    items: list[AuditEntry]
    total: int
    next: int | None = None
