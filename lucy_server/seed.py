"""A deterministic demo firm: staff, teams and clients that show every case of the product.

``seed_demo(engine, clients=150, seed=0, today=...)`` gives the same firm for the same seed
and day. The first clients are hand-made showcases (see :data:`SHOWCASE`), the rest drawn
from word lists. Everything is written with set-based bulk inserts, so 50,000 clients take
seconds; above :data:`LEAN_ABOVE` clients each client gets only a few documents.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Connection, Engine

from lucy_server import db, denorm
from lucy_server.catalogue import ACCOUNTING_IDS, BY_ID, DESTINATION_IDS, install_catalogue
from lucy_server.delivery import NO_PACKAGE_REASON, NO_TYPE_REASON
from lucy_server.migrations import ensure_current
from lucy_server.security import hash_password
from lucy_tui.api import validation
from lucy_tui.api.folding import fold
from lucy_tui.api.models import (
    INVITATION_DAYS,
    TRIAL_DAYS,
    ClientStatus,
    ClientUserStatus,
    DocumentStatus,
    Plan,
    Role,
)

DEMO_PASSWORD = "lucy-demo"
ADMIN_EMAIL = "admin@demo-firm.be"
EMPLOYEE_EMAIL = "employee@demo-firm.be"
LEAN_ABOVE = 2000  # above this many clients, documents are few per client

TEAMS = ("North", "South")
# email, name, role, teams
STAFF: tuple[tuple[str, str, Role, tuple[str, ...]], ...] = (
    (ADMIN_EMAIL, "Ann Admin", Role.ADMIN, ("North", "South")),
    (EMPLOYEE_EMAIL, "Eric Employee", Role.EMPLOYEE, ("North",)),
    ("sofie@demo-firm.be", "Sofie Peeters", Role.EMPLOYEE, ("South",)),
    ("marc@demo-firm.be", "Marc Dubois", Role.EMPLOYEE, ("North", "South")),
    ("lotte@demo-firm.be", "Lotte Maes", Role.ADMIN, ()),
)

TRADES = (
    "Bakkerij",
    "Slagerij",
    "Brouwerij",
    "Schrijnwerkerij",
    "Dakwerken",
    "Tuinaanleg",
    "Bouwbedrijf",
    "Transport",
    "Garage",
    "Kapsalon",
    "Apotheek",
    "Architectenbureau",
    "Drukkerij",
    "Installatie",
    "Elektro",
    "Schilderwerken",
    "Vloeren",
    "Interieur",
    "Fietsen",
    "Optiek",
    "Reisbureau",
    "Taverne",
    "Frituur",
    "Immo",
    "Boulangerie",
    "Boucherie",
    "Menuiserie",
    "Toitures",
    "Pharmacie",
    "Imprimerie",
    "Peinture",
    "Électricité",
    "Transports",
    "Brasserie",
    "Atelier",
    "Cabinet",
    "Studio",
    "Consult",
    "Tandartspraktijk",
    "Dierenarts",
    "Wijnhandel",
    "Bloemen",
    "Catering",
    "Loodgieterij",
)
SURNAMES = (
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Leclercq",
    "Simon",
    "Laurent",
    "Hermans",
    "Van den Broeck",
    "Vermeulen",
    "Michiels",
    "De Vos",
    "Desmet",
    "Lemmens",
    "Pauwels",
    "Hendrickx",
    "Smets",
    "Declercq",
    "Aerts",
    "Renard",
    "Collard",
    "Lejeune",
    "François",
    "Gérard",
    "Van Damme",
    "Verstraete",
    "Bogaert",
    "Coppens",
    "Verhoeven",
    "Segers",
    "De Backer",
    "Cools",
    "Lenaerts",
    "Mathieu",
    "Denis",
    "Hubert",
)
FIRST_NAMES = (
    "Jan",
    "Marie",
    "Luc",
    "Sarah",
    "Pieter",
    "Julie",
    "Tom",
    "Emma",
    "Koen",
    "Lise",
    "Nicolas",
    "Camille",
    "Bart",
    "Louise",
    "Thomas",
    "Elise",
    "Wim",
    "Charlotte",
    "Joris",
    "Amélie",
    "Stijn",
    "Hanne",
    "Olivier",
    "Manon",
)
FORMS = ("BV", "BV", "BV", "NV", "VOF", "CommV", "SRL", "SRL", "SA", "SNC", "")
CITIES = (
    ("9000", "Gent"),
    ("2000", "Antwerpen"),
    ("8000", "Brugge"),
    ("3000", "Leuven"),
    ("1000", "Brussel"),
    ("5000", "Namur"),
    ("4000", "Liège"),
    ("3500", "Hasselt"),
    ("2800", "Mechelen"),
    ("9880", "Aalter"),
    ("8500", "Kortrijk"),
    ("7000", "Mons"),
    ("6000", "Charleroi"),
    ("1300", "Wavre"),
    ("9300", "Aalst"),
    ("8400", "Oostende"),
    ("2300", "Turnhout"),
    ("3600", "Genk"),
    ("9100", "Sint-Niklaas"),
    ("1400", "Nivelles"),
)
STREETS = (
    "Kerkstraat",
    "Stationsstraat",
    "Dorpsstraat",
    "Molenstraat",
    "Nieuwstraat",
    "Rue de la Station",
    "Rue de l'Église",
    "Grote Markt",
    "Industrieweg",
    "Rue du Moulin",
    "Kouter",
    "Veldstraat",
    "Avenue Louise",
    "Leopoldlaan",
    "Brugsesteenweg",
)
SUPPLIERS = (
    "Proximus",
    "Telenet",
    "Engie",
    "Luminus",
    "Colruyt",
    "Delhaize",
    "Makro",
    "TotalEnergies",
    "Shell",
    "bpost",
    "Brico",
    "Hubo",
    "Vanden Borre",
    "Coolblue",
    "Microsoft Ireland",
    "Google Cloud",
    "Securex",
    "Partena",
    "Acerta",
    "NMBS",
    "De Lijn",
    "Q8",
    "Mobile Vikings",
    "Orange Belgium",
    "IKEA",
    "Bol.com",
    "Lyreco",
    "Sodexo",
)
PEPPOL_PROVIDERS = ("Hermes", "Billit", "Unifiedpost", "Basware", "Banqup")
# The demo's Peppol lookups (no network): each provider's seat id and SMP host, made up.
DEMO_SEATS = {
    "Hermes": ("PBE000001", "smp.hermes.demo.example"),
    "Billit": ("PBE000102", "smp.billit.demo.example"),
    "Unifiedpost": ("PBE000203", "smp.unifiedpost.demo.example"),
    "Basware": ("PFI000304", "smp.basware.demo.example"),
    "Banqup": ("PBE000405", "smp.banqup.demo.example"),
}
DEMO_OWN_SMP = "smp.lucy.demo.example"
REJECT_REASONS = (
    "duplicate invoice number",
    "the supplier's VAT number is unknown in the ledger",
    "the PDF is password-protected",
    "the booking period is closed",
)
TRANSIENT_REASONS = (
    "{name} did not answer in time; try again",
    "The connection to {name} was interrupted; try again",
    "{name} was under maintenance; try again",
)
BANKS = (  # bank code, bank, BIC
    ("734", "KBC", "KREDBEBB"),
    ("001", "BNP Paribas Fortis", "GEBABEBB"),
    ("068", "Belfius", "GKCCBEBB"),
    ("320", "ING Belgium", "BBRUBEBB"),
    ("973", "Argenta", "ARSPBE22"),
    ("103", "Crelan", "NICABEBB"),
)
NUMBER_FORMATS = ("{year}-{number}", "INV-{year}-{number}", "F{number}", "{year}/{number}")


@dataclass
class Spec:
    """One client of the demo firm, before it becomes rows."""

    name: str
    status: ClientStatus = ClientStatus.ACTIVE
    plan: Plan = Plan.BUSINESS
    teams: tuple[str, ...] = ("North",)
    hidden: bool = False
    contact: int | None = 0  # index into STAFF
    client_contact: int | None = 0  # the client-facing one: wins over ``contact`` when set
    activated_days_ago: int = 200
    invited_days_ago: int = 220
    sending: bool = True
    receiving: bool = True
    elsewhere: str | None = None
    package: str | None = "yuki"
    destinations: tuple[str, ...] = ()
    users: int = 2
    inbox: int = 2
    sent: int = 3
    failed_transient: int = 0
    failed_rejected: int = 0
    failed_untyped: int = 0
    inbox_untyped: int = 0
    accounts: int = -1  # -1: no Codabox connection; n >= 0: connected with n accounts
    invoices_made: bool = False
    vault: int = 0
    senders: int = 0
    case: str | None = None

    @property
    def merged_contact(self) -> int | None:
        """The one contact person: the client-facing one where set, else the other."""
        return self.client_contact if self.client_contact is not None else self.contact


@dataclass
class DemoFirm:
    """What ``seed_demo`` made: ids by email, team name, and showcase case."""

    staff: dict[str, int] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    clients: int = 0
    documents: int = 0


# The hand-made clients, in this order at the start of every firm. The first one is first
# in the list alphabetically and has every tab populated.
SHOWCASE: tuple[Spec, ...] = (
    Spec(
        "Aalter Interieur BV",
        plan=Plan.BUSINESS_PRO,
        teams=("North",),
        contact=0,
        client_contact=1,
        package="yuki",
        destinations=("dropbox-archive",),
        users=3,
        inbox=4,
        sent=6,
        failed_transient=2,
        failed_rejected=1,
        failed_untyped=1,
        inbox_untyped=1,
        accounts=2,
        invoices_made=True,
        vault=3,
        senders=3,
        case="rich",
    ),
    Spec(
        "Brasserie Het Anker BV",
        plan=Plan.TRIAL,
        activated_days_ago=TRIAL_DAYS - 4,
        case="trial_ending_soon",
        accounts=1,
    ),
    Spec(
        "Bakkerij Claes",
        plan=Plan.TRIAL,
        teams=(),
        activated_days_ago=6,
        case="trial_later",
        accounts=-1,
    ),
    Spec(
        "Café De Kroon VOF",
        elsewhere="Hermes",
        receiving=False,
        case="peppol_hermes",
        contact=1,
    ),
    Spec(
        "Dakwerken Jacobs BV",
        elsewhere="Billit",
        receiving=False,
        sending=False,
        plan=Plan.BILLING,
        case="peppol_billit",
    ),
    Spec(
        "Elektro Wouters NV",
        elsewhere="Unifiedpost",
        receiving=False,
        plan=Plan.INBOX,
        case="peppol_unifiedpost",
    ),
    Spec("Holding Verhaegen NV", hidden=True, plan=Plan.BUSINESS_PRO, accounts=1, case="hidden"),
    Spec(
        "Transport Lambert SRL",
        teams=("South",),
        contact=2,
        client_contact=2,
        case="south_only",
    ),
    Spec(
        "Immo Dupont SA",
        teams=("South",),
        hidden=True,
        contact=2,
        case="hidden_south",
    ),
    Spec("Garage Mertens BV", teams=(), case="no_team", package="expert-m"),
    Spec("Apotheek Goossens BV", teams=("North", "South"), case="both_teams"),
    Spec(
        "Fietsen Willems",
        status=ClientStatus.CREATED,
        plan=Plan.TRIAL,
        sending=False,
        receiving=False,
        package=None,
        users=1,
        inbox=0,
        sent=0,
        case="created",
    ),
    Spec(
        "Groenten Peeters BV",
        status=ClientStatus.INVITED,
        invited_days_ago=3,
        sending=False,
        receiving=False,
        package=None,
        users=1,
        inbox=0,
        sent=0,
        case="invited",
    ),
    Spec(
        "Glasatelier Simon",
        status=ClientStatus.INVITED,
        invited_days_ago=INVITATION_DAYS + 9,
        sending=False,
        receiving=False,
        package=None,
        users=1,
        inbox=0,
        sent=0,
        case="invitation_expired",
    ),
    Spec("Kapsalon Maes", users=1, plan=Plan.INBOX, case="single_user"),
    Spec(
        "Jansen Consulting BV",
        plan=Plan.BUSINESS_PRO,
        accounts=-1,
        case="pro_not_connected",
    ),
    Spec(
        "Loodgieterij Dubois",
        package=None,
        inbox=3,
        sent=0,
        failed_transient=2,
        case="no_package",
    ),
    Spec(
        "Meubelmakerij Leclercq BV",
        package="expert-m",
        inbox=2,
        sent=2,
        failed_transient=1,
        case="ftp_package",
    ),
    Spec(
        "Notariaat Martin",
        package="clearfacts",
        inbox=1,
        sent=4,
        failed_rejected=2,
        plan=Plan.BUSINESS_PRO,
        accounts=0,
        case="email_package",
    ),
    Spec(
        "Drukkerij Smets NV",
        package="exact-online",
        inbox=5,
        sent=10,
        failed_transient=20,
        failed_rejected=6,
        failed_untyped=2,
        case="many_failed",
        invoices_made=True,
    ),
)


# --- small generators ---------------------------------------------------------------------


def enterprise_from_base(base: int) -> str:
    """The formatted enterprise number of an 8-digit base: check = 97 - base mod 97."""
    digits = f"{base:08d}{97 - base % 97:02d}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def belgian_iban(rng: random.Random) -> tuple[str, str, str]:
    """A valid Belgian IBAN with its bank and BIC."""
    from stdnum import iban

    code, bank, bic = rng.choice(BANKS)
    account = f"{code}{rng.randrange(10_000_000):07d}"
    bban = f"{account}{int(account) % 97 or 97:02d}"
    return "BE" + iban.calc_check_digits("BE00" + bban) + bban, bank, bic


def _slug(name: str) -> str:
    text = "".join(ch.lower() if ch.isalnum() and ch.isascii() else "-" for ch in name)
    parts = [p for p in text.split("-") if p and p not in {"bv", "nv", "sa", "srl", "vof"}]
    return "-".join(parts[:3]) or "client"


def random_name(rng: random.Random) -> str:
    pattern = rng.random()
    if pattern < 0.55:
        name = f"{rng.choice(TRADES)} {rng.choice(SURNAMES)}"
    elif pattern < 0.75:
        name = f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)}"
    else:
        name = f"{rng.choice(TRADES)} {rng.choice(CITIES)[1]}"
    form = rng.choice(FORMS)
    return f"{name} {form}" if form else name


def unique_name(name: str, used: set[str], index: int) -> str:
    """``name``, or a partner's surname added when another client already has it: a firm's
    list reads like a real one, with no twins. Draws nothing from the random generator, so
    the rest of a seeded firm stays as it was."""
    if name not in used:
        return name
    base, _, form = name.rpartition(" ")
    if not base or form not in FORMS:
        base, form = name, ""
    for step in range(1, len(SURNAMES)):
        partner = SURNAMES[(index + step) % len(SURNAMES)]
        candidate = f"{base} & {partner} {form}".rstrip()
        if candidate not in used and partner not in base:
            return candidate
    number = 2
    while f"{name} ({number})" in used:
        number += 1
    return f"{name} ({number})"


def random_spec(rng: random.Random, index: int, lean: bool) -> Spec:
    # cycle through the statuses and plans so even small firms hold them all
    status = (ClientStatus.ACTIVE,) * 7 + (ClientStatus.INVITED,) * 2 + (ClientStatus.CREATED,)
    plans = (
        Plan.TRIAL,
        Plan.INBOX,
        Plan.BILLING,
        Plan.BUSINESS,
        Plan.BUSINESS_PRO,
        Plan.BUSINESS,
        Plan.BUSINESS_PRO,
        Plan.INBOX,
    )
    s = status[index % len(status)] if index < 40 else rng.choice(status)
    plan = plans[index % len(plans)] if index < 40 else rng.choice(plans)
    active = s is ClientStatus.ACTIVE
    teams_roll = rng.random()
    teams: tuple[str, ...]
    if teams_roll < 0.25:
        teams = ()
    elif teams_roll < 0.65:
        teams = ("North",)
    elif teams_roll < 0.9:
        teams = ("South",)
    else:
        teams = ("North", "South")
    elsewhere = rng.choice(PEPPOL_PROVIDERS) if rng.random() < 0.08 else None
    package = rng.choice(ACCOUNTING_IDS) if active and rng.random() < 0.75 else None
    destinations = (rng.choice(DESTINATION_IDS),) if active and rng.random() < 0.15 else ()
    spec = Spec(
        name=random_name(rng),
        status=s,
        plan=plan,
        teams=teams,
        hidden=rng.random() < 0.04,
        contact=rng.randrange(len(STAFF)) if rng.random() < 0.9 else None,
        client_contact=rng.randrange(len(STAFF)) if rng.random() < 0.7 else None,
        activated_days_ago=rng.randrange(1, TRIAL_DAYS)
        if plan is Plan.TRIAL
        else rng.randrange(30, 900),
        invited_days_ago=rng.randrange(0, 40),
        sending=active and rng.random() < 0.6,
        receiving=active and elsewhere is None and rng.random() < 0.5,
        elsewhere=elsewhere,
        package=package,
        destinations=destinations,
        users=1 if rng.random() < 0.35 else rng.randrange(2, 4),
        accounts=(rng.randrange(1, 4) if rng.random() < 0.6 else -1)
        if active and plan.has_banking
        else -1,
        invoices_made=active and rng.random() < 0.3,
        senders=rng.randrange(0, 4) if active else 0,
        vault=0 if lean else (rng.randrange(1, 3) if rng.random() < 0.1 else 0),
    )
    if active:
        if lean:
            spec.inbox = rng.randrange(0, 3)
            spec.sent = rng.randrange(0, 2)
            # Failed documents as a firm sees them: most clients have none, some a few,
            # a handful many (a package that rejects a whole batch, a broken connection)
            roll = rng.random()
            if roll < 0.005:
                spec.failed_transient = rng.randrange(30, 90)
                spec.failed_rejected = rng.randrange(5, 25)
            elif roll < 0.02:
                spec.failed_transient = rng.randrange(4, 20)
                spec.failed_rejected = rng.randrange(0, 4)
            elif roll < 0.09:
                spec.failed_transient = rng.randrange(1, 4)
            spec.failed_untyped = 1 if rng.random() < 0.01 else 0
        else:
            spec.inbox = rng.randrange(0, 8)
            spec.sent = rng.randrange(0, 8)
            roll = rng.random()
            spec.failed_transient = rng.randrange(1, 3) if roll < 0.2 else 0
            spec.failed_rejected = 1 if roll < 0.08 else 0
            spec.failed_untyped = 1 if rng.random() < 0.03 else 0
            spec.inbox_untyped = 1 if rng.random() < 0.05 else 0
        if package is None:
            spec.sent = 0
    else:
        spec.inbox = spec.sent = 0
    return spec


# --- rows ---------------------------------------------------------------------------------


class _Rows:
    """Accumulates every table's rows, with ids assigned here (no RETURNING needed)."""

    def __init__(self, first_document_id: int = 1) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.next_document_id = first_document_id
        self.next_id: dict[str, int] = {}

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)

    def new_id(self, table: str) -> int:
        value = self.next_id.get(table, 1)
        self.next_id[table] = value + 1
        return value


def _document_rows(
    rng: random.Random,
    client_id: int,
    count: int,
    status: DocumentStatus,
    *,
    today: date,
    package: str | None,
    rows: list[dict[str, Any]],
    next_id: int,
    failure: str = "transient",
    untyped: bool = False,
    max_age_days: int = 90,
) -> int:
    """Append ``count`` documents; return the next free document id."""
    name = BY_ID[package].name if package else None
    for _ in range(count):
        age = rng.randrange(0, max_age_days)
        day = today - timedelta(days=age)
        purchase = rng.random() < 0.8
        doc_type: str | None = None
        if not untyped:
            roll = rng.random()
            doc_type = "invoice" if roll < 0.72 else "receipt" if roll < 0.88 else "credit_note"
            if not purchase and doc_type == "receipt":
                doc_type = "invoice"
        row: dict[str, Any] = {
            "id": next_id,
            "client_id": client_id,
            "date": day,
            "counterparty": rng.choice(SUPPLIERS) if purchase else random_name(rng),
            "type": doc_type,
            "direction": "purchase" if purchase else "sale",
            "amount_cents": rng.randrange(350, 480_000),
            "currency": "EUR",
            "source": rng.choice(("email", "email", "upload", "peppol", "peppol", "mobile")),
            "status": status.value,
            "failure_reason": None,
            "sent_at": None,
            "destination": None,
            "reject_reason": None,
        }
        if status is DocumentStatus.SENT:
            row["sent_at"] = datetime.combine(
                min(today, day + timedelta(days=1)), time(10, rng.randrange(60)), UTC
            )
            row["destination"] = name
        elif status is DocumentStatus.FAILED:
            row["destination"] = name
            if untyped:
                row["failure_reason"] = NO_TYPE_REASON
            elif name is None:
                row["failure_reason"] = NO_PACKAGE_REASON
            elif failure == "rejected":
                reason = rng.choice(REJECT_REASONS)
                row["reject_reason"] = reason
                row["failure_reason"] = f"{name} rejected the document: {reason}"
            else:
                row["failure_reason"] = rng.choice(TRANSIENT_REASONS).format(name=name)
        rows.append(row)
        next_id += 1
    return next_id


def _phone(rng: random.Random) -> str:
    return (
        f"+32 {rng.randrange(2, 10)} {rng.randrange(100, 999)} "
        f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}"
    )


def _fake_pdf(title: str) -> bytes:
    return (
        b"%PDF-1.4\n% Lucy demo file\n1 0 obj << /Title ("
        + title.encode("ascii", "replace")
        + b") >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _demo_lookup(
    client_id: int, spec: Spec, receiving: bool, enterprise: str, now: datetime
) -> dict[str, Any] | None:
    """What the demo's Peppol lookup found, derived from the client (no random draw, so the
    rest of the demo firm stays as it was): elsewhere with its provider, here when receiving,
    else not registered, a third never checked; one lookup in 23 failed after a good one."""
    checked_at = now - timedelta(days=client_id % 20, hours=client_id % 9)
    failed = client_id % 23 == 0
    row: dict[str, Any] = {
        "client_id": client_id,
        "participant_id": validation.peppol_participant_id(enterprise),
        "provider": None,
        "seat_id": None,
        "smp_host": None,
        "access_point_url": None,
        "note": None,
        "checked_at": checked_at,
        "failed_at": now - timedelta(hours=2) if failed else None,
        "failure": "DNS timeout: the SML did not answer within 4 s" if failed else None,
    }
    if spec.elsewhere is not None:
        seat, host = DEMO_SEATS.get(spec.elsewhere, ("PBE000999", "smp.demo.example"))
        row.update(
            state="registered_elsewhere",
            provider=spec.elsewhere,
            seat_id=seat,
            smp_host=host,
            access_point_url=f"https://{host.replace('smp.', 'ap.', 1)}/as4",
        )
    elif receiving:
        row.update(state="registered_here", smp_host=DEMO_OWN_SMP)
    elif client_id % 3 == 0:
        return None
    else:
        row.update(state="not_registered", participant_id=None)
    return row


def _client_rows(
    rng: random.Random,
    out: _Rows,
    client_id: int,
    spec: Spec,
    enterprise: str,
    *,
    today: date,
    now: datetime,
    staff_ids: list[int],
    team_ids: dict[str, int],
) -> None:
    vat = validation.vat_from_enterprise(enterprise)
    postal, city = rng.choice(CITIES)
    street = f"{rng.choice(STREETS)} {rng.randrange(1, 180)}"
    active = spec.status is ClientStatus.ACTIVE
    created_at = now - timedelta(days=max(spec.activated_days_ago, spec.invited_days_ago) + 5)
    invited_at = activated_at = expires = None
    if spec.status is not ClientStatus.CREATED:
        invited_days = spec.invited_days_ago
        if active:
            invited_days = max(invited_days, spec.activated_days_ago + 1)
        invited_at = now - timedelta(days=invited_days, hours=rng.randrange(8))
        expires = invited_at + timedelta(days=INVITATION_DAYS)
        created_at = min(created_at, invited_at - timedelta(days=1))
    if active:
        activated_at = now - timedelta(days=spec.activated_days_ago, hours=rng.randrange(8))
    trial_ends_on = (
        activated_at.date() + timedelta(days=TRIAL_DAYS)
        if active and spec.plan is Plan.TRIAL and activated_at is not None
        else None
    )

    # documents first: the client row carries the inbox count
    docs = out.tables.setdefault("documents", [])
    n = out.next_document_id
    package = spec.package
    n = _document_rows(
        rng,
        client_id,
        spec.inbox,
        DocumentStatus.INBOX,
        today=today,
        package=package,
        rows=docs,
        next_id=n,
    )
    n = _document_rows(
        rng,
        client_id,
        spec.inbox_untyped,
        DocumentStatus.INBOX,
        today=today,
        package=package,
        rows=docs,
        next_id=n,
        untyped=True,
    )
    n = _document_rows(
        rng,
        client_id,
        spec.sent,
        DocumentStatus.SENT,
        today=today,
        package=package,
        rows=docs,
        next_id=n,
    )
    n = _document_rows(
        rng,
        client_id,
        spec.failed_transient,
        DocumentStatus.FAILED,
        today=today,
        package=package,
        rows=docs,
        next_id=n,
    )
    n = _document_rows(
        rng,
        client_id,
        spec.failed_rejected,
        DocumentStatus.FAILED,
        today=today,
        package=package,
        rows=docs,
        next_id=n,
        failure="rejected",
    )
    n = _document_rows(
        rng,
        client_id,
        spec.failed_untyped,
        DocumentStatus.FAILED,
        today=today,
        package=package,
        rows=docs,
        next_id=n,
        untyped=True,
    )
    out.next_document_id = n

    receiving = spec.receiving and spec.elsewhere is None
    ordered_destinations = tuple(i for i in DESTINATION_IDS if i in spec.destinations)
    out.add(
        "clients",
        {
            "id": client_id,
            "name": spec.name,
            "sort_name": fold(spec.name),
            "enterprise_number": enterprise,
            "vat_number": vat,
            "status": spec.status.value,
            "plan": spec.plan.value,
            "trial_ends_on": trial_ends_on,
            "hidden": spec.hidden,
            # one contact person (issue 11): the client-facing one where the spec names one
            "contact_id": (
                staff_ids[contact] if (contact := spec.merged_contact) is not None else None
            ),
            "street": street,
            "postal_code": postal,
            "city": city,
            "country": "BE",
            "created_at": created_at,
            "invited_at": invited_at,
            "invitation_expires_at": expires,
            "activated_at": activated_at,
            "inbox_count": spec.inbox + spec.inbox_untyped,
            "failed_count": spec.failed_transient + spec.failed_rejected + spec.failed_untyped,
            "peppol_sending": spec.sending,
            "peppol_receiving": receiving,
            "team_key": denorm.team_key(team_ids[t] for t in spec.teams),
            "team_names": denorm.join_names(sorted(spec.teams)),
            "integration_names": denorm.join_names(
                [
                    BY_ID[i].short_name
                    for i in ((package,) if package else ()) + ordered_destinations
                ]
            ),
            "version": 1,
            "senders_version": 1,
        },
    )
    for team in spec.teams:
        out.add("client_teams", {"client_id": client_id, "team_id": team_ids[team]})

    domain = f"{_slug(spec.name)}.be"
    user_status = ClientUserStatus.ACTIVE if active else ClientUserStatus.INVITED
    used: set[str] = set()
    for u in range(spec.users):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(SURNAMES)
        local = "".join(ch for ch in first.lower() if ch.isascii() and ch.isalpha()) or "user"
        while local in used:
            local += str(u)
        used.add(local)
        email = f"{local}@{domain}"
        out.add(
            "client_users",
            {
                "id": out.new_id("client_users"),
                "client_id": client_id,
                "name": f"{first} {last}",
                "email": email,
                "email_key": validation.email_key(email),
                "status": (user_status if u < 2 else ClientUserStatus.INVITED).value,
                "invited_at": invited_at or created_at,
            },
        )
    first_email = f"{sorted(used)[0]}@{domain}" if used else ""

    out.add(
        "peppol_registrations",
        {
            "client_id": client_id,
            "participant_id": validation.peppol_participant_id(enterprise),
            "sending": spec.sending,
            "receiving": receiving,
            "registered_elsewhere": spec.elsewhere is not None,
            "other_provider": spec.elsewhere,
            "version": 1,
        },
    )
    lookup = _demo_lookup(client_id, spec, receiving, enterprise, now)
    if lookup is not None:
        out.add("peppol_lookups", lookup)
    for position in range(spec.senders):
        supplier = rng.choice(SUPPLIERS).lower().replace(" ", "").replace(".", "")
        out.add(
            "allowed_senders",
            {
                "client_id": client_id,
                "position": position,
                "email": f"invoices{position or ''}@{supplier}.be",
            },
        )
    out.add(
        "client_integrations",
        {"client_id": client_id, "accounting_package": package, "version": 1},
    )
    for destination in spec.destinations:
        out.add("client_destinations", {"client_id": client_id, "integration_id": destination})

    if spec.accounts >= 0:
        out.add(
            "bank_connections",
            {
                "client_id": client_id,
                "provider": "Codabox",
                "connected_at": (activated_at or now) + timedelta(days=2),
            },
        )
        for a in range(spec.accounts):
            iban, bank, bic = belgian_iban(rng)
            mandate = (
                "active" if a == 0 or rng.random() < 0.8 else rng.choice(("pending", "expired"))
            )
            out.add(
                "bank_accounts",
                {
                    "id": out.new_id("bank_accounts"),
                    "client_id": client_id,
                    "iban": iban,
                    "bic": bic,
                    "bank": bank,
                    "holder": spec.name,
                    "account_type": "current" if a == 0 or rng.random() < 0.6 else "savings",
                    "mandate_status": mandate,
                    "mandate_date": (activated_at or now).date() + timedelta(days=2),
                    "last_statement_date": (
                        today - timedelta(days=rng.randrange(1, 4)) if mandate == "active" else None
                    ),
                },
            )

    complete = active and (spec.invoices_made or rng.random() < 0.5)
    iban, _bank, bic = belgian_iban(rng) if complete else ("", "", "")
    out.add(
        "invoice_settings",
        {
            "client_id": client_id,
            "legal_name": spec.name,
            "street": street,
            "postal_code": postal,
            "city": city,
            "country": "BE",
            "vat_number": vat,
            "enterprise_number": enterprise,
            "iban": iban,
            "bic": bic,
            "email": first_email,
            "phone": _phone(rng) if complete else "",
            "next_number": rng.randrange(2, 400) if spec.invoices_made else 1,
            "number_format": rng.choice(NUMBER_FORMATS),
            "payment_term_days": rng.choice((14, 30, 30, 30, 60)),
            "default_vat_rate": 21 if rng.random() < 0.85 else rng.choice((0, 6, 12)),
            "language": rng.choice(("nl", "nl", "fr", "en")),
            "footer": f"{spec.name} · {vat} · RPR {city}" if complete else "",
            "numbering_locked": spec.invoices_made,
            "version": 1,
        },
    )
    for v in range(spec.vault):
        title = ("Personal tax 2024", "Annual accounts 2024", "VAT listing Q3")[v % 3]
        content = _fake_pdf(title)
        out.add(
            "vault_files",
            {
                "id": out.new_id("vault_files"),
                "client_id": client_id,
                "name": f"{title}.pdf",
                "category": ("tax", "report", "report")[v % 3],
                "size": len(content),
                "content_type": "application/pdf",
                "uploaded_by": STAFF[spec.contact or 0][1],
                "uploaded_at": now - timedelta(days=10 + 7 * v),
                "content": content,
            },
        )


# --- public -------------------------------------------------------------------------------

_INSERT_ORDER = (
    "clients",
    "client_teams",
    "client_users",
    "peppol_registrations",
    "peppol_lookups",
    "allowed_senders",
    "client_integrations",
    "client_destinations",
    "documents",
    "bank_connections",
    "bank_accounts",
    "invoice_settings",
    "vault_files",
)
_CHUNK = 20_000


def _insert(conn: Connection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    target = db.metadata.tables[table]
    for start in range(0, len(rows), _CHUNK):
        conn.execute(target.insert(), list(rows[start : start + _CHUNK]))


def _now_of(today: date) -> datetime:
    return datetime.combine(today, time(9, 0), UTC)


def seed_demo(
    engine: Engine,
    *,
    clients: int = 150,
    seed: int = 0,
    today: date | None = None,
) -> DemoFirm:
    """Fill an empty database with the demo firm (same seed and day, same firm)."""
    if clients < 0:
        raise ValueError("clients must be >= 0")
    today = today or date.today()
    now = _now_of(today)
    rng = random.Random(seed)
    lean = clients > LEAN_ABOVE
    ensure_current(engine)  # migrates an empty database to the newest schema
    firm = DemoFirm(clients=clients)
    with db.write_tx(engine) as conn:
        install_catalogue(conn)
        if conn.scalar(select(func.count()).select_from(db.staff)):
            raise RuntimeError("The database already holds a firm; seed an empty one")
        firm.teams = {name: i + 1 for i, name in enumerate(TEAMS)}
        conn.execute(db.teams.insert(), [{"id": i, "name": name} for name, i in firm.teams.items()])
        # a hash (and a salt) of its own per account, even with the same demo password: equal
        # hashes would tell anyone reading the table who shares a password
        staff_rows = [
            {
                "id": i + 1,
                "name": name,
                "email": email,
                "role": role.value,
                "password_hash": hash_password(DEMO_PASSWORD),
            }
            for i, (email, name, role, _teams) in enumerate(STAFF)
        ]
        conn.execute(db.staff.insert(), staff_rows)
        firm.staff = {email: i + 1 for i, (email, _n, _r, _t) in enumerate(STAFF)}
        conn.execute(
            db.staff_teams.insert(),
            [
                {"staff_id": i + 1, "team_id": firm.teams[team]}
                for i, (_e, _n, _r, teams) in enumerate(STAFF)
                for team in teams
            ],
        )
        staff_ids = list(firm.staff.values())

        bases = rng.sample(range(2_000_000, 20_000_000), clients)
        out = _Rows()
        used: set[str] = set()
        for index in range(clients):
            client_id = index + 1
            spec = SHOWCASE[index] if index < len(SHOWCASE) else random_spec(rng, index, lean)
            if spec.name in used:
                spec = dataclasses.replace(spec, name=unique_name(spec.name, used, index))
            used.add(spec.name)
            if spec.case:
                firm.cases[spec.case] = client_id
            _client_rows(
                rng,
                out,
                client_id,
                spec,
                enterprise_from_base(bases[index]),
                today=today,
                now=now,
                staff_ids=staff_ids,
                team_ids=firm.teams,
            )
        for table in _INSERT_ORDER:
            rows = out.tables.get(table, [])
            if rows:
                _insert(conn, table, rows)
        db.sync_sequences(conn)  # every row above was inserted with its id
        firm.documents = len(out.tables.get("documents", []))
    if engine.dialect.name == "postgresql":
        # The planner's statistics of the firm just loaded: until autovacuum gets to the new
        # rows PostgreSQL plans without them (a client's PATCH took 257 ms instead of 25).
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return firm


def add_documents(
    engine: Engine,
    client_id: int,
    count: int,
    status: DocumentStatus | str = DocumentStatus.FAILED,
    *,
    seed: int = 0,
    today: date | None = None,
    rejected: bool = False,
    untyped: bool = False,
) -> list[int]:
    """Add ``count`` documents of ``status`` to a client (for benchmarks and tests).

    Failed documents are transient failures (a resend succeeds when a package is linked)
    unless ``rejected``, which makes the destination reject them whatever is tried.
    Returns the new ids, in insertion order; the client's Inbox and Failed counts are kept
    in sync.
    """
    status = DocumentStatus(status)
    today = today or date.today()
    rng = random.Random(seed * 1_000_003 + client_id)
    with db.write_tx(engine) as conn:
        package = conn.scalar(
            select(db.client_integrations.c.accounting_package).where(
                db.client_integrations.c.client_id == client_id
            )
        )
        if conn.scalar(select(db.clients.c.id).where(db.clients.c.id == client_id)) is None:
            raise ValueError(f"No client {client_id}")
        first = (conn.scalar(select(func.max(db.documents.c.id))) or 0) + 1
        rows: list[dict[str, Any]] = []
        _document_rows(
            rng,
            client_id,
            count,
            status,
            today=today,
            package=package,
            rows=rows,
            next_id=first,
            failure="rejected" if rejected else "transient",
            untyped=untyped,
        )
        _insert(conn, "documents", rows)
        db.sync_sequences(conn)
        if status is DocumentStatus.INBOX:
            conn.execute(
                update(db.clients)
                .where(db.clients.c.id == client_id)
                .values(inbox_count=db.clients.c.inbox_count + count)
            )
        elif status is DocumentStatus.FAILED:
            conn.execute(
                update(db.clients)
                .where(db.clients.c.id == client_id)
                .values(failed_count=func.coalesce(db.clients.c.failed_count, 0) + count)
            )
    return [row["id"] for row in rows]
