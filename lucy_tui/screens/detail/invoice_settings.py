"""The Invoice Settings tab: what Lucy needs to create invoices for the client (DESIGN §6).

A form over every field of ``InvoiceSettingsUpdate``, checked as the user types with the
same functions the wire model and the server use. ``ctrl+s`` saves with the version that
was loaded: a stale version (412) is never overwritten silently, the user chooses. Nothing
the user typed is lost to a refusal, a fault, a reload or a tab switch without asking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError as ModelValidationError
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TextArea

from lucy_tui.api import validation
from lucy_tui.api.errors import (
    ConflictError,
    LucyError,
    PreconditionFailedError,
    ServerError,
    UnreachableError,
    ValidationError,
)
from lucy_tui.api.models import (
    InvoiceAddress,
    InvoiceSettings,
    InvoiceSettingsUpdate,
    Language,
    VatRate,
)
from lucy_tui.context import Context
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import PaletteCommand
from lucy_tui.screens.detail.base import DetailTab

LOCKED_REASON = "Numbering is locked after the first invoice"
NARROW_WIDTH = 120  # below it the two columns of the form are stacked
NUMBERING_FIELDS = ("next_number", "number_format")

LABELS = {
    "legal_name": "Legal name",
    "street": "Street and number",
    "postal_code": "Postal code",
    "city": "City",
    "country": "Country",
    "vat_number": "VAT number",
    "enterprise_number": "Enterprise number",
    "iban": "IBAN",
    "bic": "BIC",
    "email": "Reply-to email",
    "phone": "Phone",
    "next_number": "Next invoice number",
    "number_format": "Number format",
    "payment_term_days": "Payment term (days)",
    "default_vat_rate": "Default VAT rate",
    "language": "Language",
    "footer": "Footer / legal mention",
}

VAT_RATE_OPTIONS = [(f"{rate.value} %", rate) for rate in sorted(VatRate, reverse=True)]
LANGUAGE_OPTIONS = [
    ("Nederlands (nl)", Language.NL),
    ("Français (fr)", Language.FR),
    ("English (en)", Language.EN),
]


# --- checks: the wire model's and the server's rules (validation), as the user types ----


def _whole_number(what: str, bounds: tuple[int, int], unit: str = "") -> Callable[[str], str]:
    """A number field's text, within the wire model's bounds."""
    return lambda value: str(validation.whole_number(value, what, bounds, unit))


CHECKS: dict[str, Callable[[str], str]] = {
    **validation.INVOICE_SETTINGS_CHECKS,
    **validation.INVOICE_ADDRESS_CHECKS,
    "next_number": _whole_number("Next number", validation.NEXT_NUMBER_RANGE),
    "payment_term_days": _whole_number("Payment term", validation.PAYMENT_TERM_DAYS_RANGE, " days"),
}


def field_of(path: str) -> str:
    """The form field a server error path names: ``address.city`` -> ``city``."""
    return path.rsplit(".", 1)[-1]


def footer_text(value: str) -> str:
    """A footer as the TextArea shows it: its line breaks and tabs kept (the server allows
    them, the TextArea lays them out), every other control character replaced by the
    placeholder (a TextArea draws what it holds as is)."""
    lines = value.replace("\r\n", "\n").split("\n")
    return "\n".join("\t".join(map(printable, line.split("\t"))) for line in lines)


def shown_values(settings: InvoiceSettings) -> dict[str, Any]:
    """What the form's widgets hold for these settings.

    The server's text goes in without control characters (an Input or a TextArea draws
    what it holds as is); saved unchanged, the placeholders replace them on the server too.
    """
    address = settings.address
    return {
        "legal_name": printable(settings.legal_name),
        "street": printable(address.street),
        "postal_code": printable(address.postal_code),
        "city": printable(address.city),
        "country": printable(address.country),
        "vat_number": printable(settings.vat_number),
        "enterprise_number": printable(settings.enterprise_number),
        "iban": printable(validation.format_iban(settings.iban) if settings.iban else ""),
        "bic": printable(settings.bic),
        "email": printable(settings.email),
        "phone": printable(settings.phone),
        "next_number": str(settings.next_number),
        "number_format": printable(settings.number_format),
        "payment_term_days": str(settings.payment_term_days),
        "default_vat_rate": settings.default_vat_rate,
        "language": settings.language,
        "footer": footer_text(settings.footer),
    }


class FieldInput(Input):
    """A form field that, entered, puts the cursor after its value instead of selecting it:
    the first key typed adds to the value rather than replacing it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self.cursor_position = len(self.value)


class InvoiceSettingsTab(DetailTab):
    """The form of DESIGN §6; ``ctrl+s`` saves it with the version loaded."""

    title = "Invoice Settings"

    BINDINGS = [Binding("ctrl+s", "save", "Save settings", id="invoice_settings.save")]

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(ctx, client_id, client_name, id=id)
        self.settings: InvoiceSettings | None = None
        self.version = 0
        self.saving = False
        self._loaded_values: dict[str, Any] = {}
        self._touched: set[str] = set()  # fields the user changed: their errors show
        self._check_all = False  # after a save attempt every field shows its error
        self._server_errors: dict[str, str] = {}  # until the user edits the field

    # --- layout ---------------------------------------------------------------------------

    def compose_tab(self) -> ComposeResult:
        yield Static("", id="inv-status")
        yield Static("", id="inv-message")
        with VerticalScroll(id="inv-form"), Horizontal(id="inv-columns"):
            with Vertical(classes="inv-column"):
                yield Static("Company", classes="inv-heading")
                yield from self._field("legal_name", FieldInput(max_length=200))
                yield from self._field("street", FieldInput())
                with Horizontal(classes="inv-row"):
                    yield from self._field("postal_code", FieldInput(), classes="-short")
                    yield from self._field("city", FieldInput())
                    yield from self._field("country", FieldInput(max_length=2), classes="-tiny")
                with Horizontal(classes="inv-row"):
                    yield from self._field("vat_number", FieldInput(placeholder="BE0123456749"))
                    yield from self._field(
                        "enterprise_number", FieldInput(placeholder="0123.456.749")
                    )
                with Horizontal(classes="inv-row"):
                    yield from self._field(
                        "iban", FieldInput(placeholder="BE71 0961 2345 6769"), classes="-wide"
                    )
                    yield from self._field("bic", FieldInput(placeholder="GKCCBEBB"))
                with Horizontal(classes="inv-row"):
                    yield from self._field(
                        "email", FieldInput(placeholder="invoices@example.be"), classes="-wide"
                    )
                    yield from self._field("phone", FieldInput(placeholder="+32 9 123 45 67"))
            with Vertical(classes="inv-column"):
                yield Static("Invoices", classes="inv-heading")
                with Horizontal(classes="inv-row"):
                    yield from self._field(
                        "next_number", FieldInput(restrict=r"[0-9]*", max_length=6)
                    )
                    yield from self._field(
                        "number_format", FieldInput(placeholder="{year}-{number}"), classes="-wide"
                    )
                yield Static("", id="inv-preview")
                yield Static(LOCKED_REASON + ".", id="inv-locked")
                with Horizontal(classes="inv-row"):
                    yield from self._field(
                        "payment_term_days", FieldInput(restrict=r"[0-9]*", max_length=3)
                    )
                    yield from self._field(
                        "default_vat_rate", Select(VAT_RATE_OPTIONS, allow_blank=False)
                    )
                    yield from self._field("language", Select(LANGUAGE_OPTIONS, allow_blank=False))
                yield from self._field("footer", TextArea(soft_wrap=True))

    def _field(self, name: str, widget: Widget, classes: str = "") -> ComposeResult:
        widget.id = f"inv-{name}"
        with Vertical(classes=f"inv-field {classes}".strip()):
            yield Label(LABELS[name])
            yield widget
            yield Static("", id=f"inv-{name}-error", classes="field-error")

    def on_resize(self) -> None:
        # Too narrow for two columns side by side (80x24): one column, every label and
        # value at its full width; the form scrolls to the field that has focus.
        self.set_class(self.size.width < NARROW_WIDTH, "-narrow")

    def on_mount(self) -> None:
        form = self.query_one("#inv-form")
        form.display = False  # until the settings are loaded
        form.can_focus = False  # tab goes from field to field, not via the scroll area
        self._show_status()

    # --- loading --------------------------------------------------------------------------

    async def fetch(self) -> InvoiceSettings:
        return await self.ctx.session.client.invoice_settings(self.client_id)

    def show(self, data: InvoiceSettings) -> None:
        """The server's settings in every field; typed changes and marks are dropped."""
        self.settings, self.version = data, data.version
        self._loaded_values = shown_values(data)
        self._touched.clear()
        self._server_errors.clear()
        self._check_all = False
        self._put_values(self._loaded_values)
        self._show_lock(data.numbering_locked)
        self.query_one("#inv-form").display = True
        self._set_message("")
        for name in LABELS:
            self._show_field_error(name)
        self._show_preview()
        self._show_status()

    def reload(self) -> None:
        """``ctrl+r``: ask first when it would throw away what the user typed."""
        if not self.has_unsaved_changes():
            super().reload()
            return
        self._ask_discard(
            "Discard your changes to the invoice settings and reload them from the server?",
            then=super().reload,
        )

    def _put_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            widget = self._widget(name)
            if isinstance(widget, Input):
                widget.value = value
                widget.cursor_position = 0  # long values show their start
            elif isinstance(widget, Select):
                widget.value = value
            elif isinstance(widget, TextArea):
                widget.text = value

    def _show_lock(self, locked: bool) -> None:
        for name in NUMBERING_FIELDS:
            widget = self._widget(name)
            widget.disabled = locked
            widget.tooltip = LOCKED_REASON if locked else None
        self.query_one("#inv-locked").display = locked

    # --- the values -----------------------------------------------------------------------

    def _widget(self, name: str) -> Widget:
        return self.query_one(f"#inv-{name}")

    def form_values(self) -> dict[str, Any]:
        """What the widgets hold now, in the shape of ``shown_values``."""
        values: dict[str, Any] = {}
        for name in LABELS:
            widget = self._widget(name)
            if isinstance(widget, Input | Select):
                values[name] = widget.value
            elif isinstance(widget, TextArea):
                values[name] = widget.text
        return values

    def focus_content(self) -> None:
        # The form itself: ctrl+s and the tab numbers work at once; tab enters the fields.
        self.focus()

    def has_unsaved_changes(self) -> bool:
        return self.settings is not None and self.form_values() != self._loaded_values

    def _local_error(self, name: str, values: dict[str, Any]) -> str:
        check = CHECKS.get(name)
        if check is None:
            return ""
        try:
            check(values[name])
        except ValueError as exc:
            return str(exc)
        return ""

    def invalid_fields(self) -> dict[str, str]:
        values = self.form_values()
        errors = {name: self._local_error(name, values) for name in CHECKS}
        return {name: message for name, message in errors.items() if message}

    def _show_field_error(self, name: str) -> None:
        """The server's word on the field if it has one, else the local check's."""
        message = self._server_errors.get(name, "")
        if not message and (self._check_all or name in self._touched):
            message = self._local_error(name, self.form_values())
        self.query_one(f"#inv-{name}-error", Static).update(plain(message))
        self._widget(name).set_class(bool(message), "-invalid")

    # --- as the user types ----------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _field_changed(self, event: Input.Changed | Select.Changed | TextArea.Changed) -> None:
        widget_id = event.control.id or ""
        if not widget_id.startswith("inv-"):
            return
        name = widget_id.removeprefix("inv-")
        # Values put by show() equal the loaded ones: only the user's edits count as touched.
        if self.form_values().get(name) != self._loaded_values.get(name):
            self._touched.add(name)
        self._server_errors.pop(name, None)  # show() clears them first: this is an edit
        self._show_field_error(name)
        if name in NUMBERING_FIELDS:
            self._show_preview()
        self._show_status()

    def _show_preview(self) -> None:
        values = self.form_values()
        preview = self.query_one("#inv-preview", Static)
        try:
            number = int(CHECKS["next_number"](values["next_number"]))
            number_format = CHECKS["number_format"](values["number_format"])
        except ValueError:
            preview.update("Next invoice: — (fix the numbering to see it)")
            return
        year = self.ctx.today.year
        preview.update(
            plain(f"Next invoice: {validation.format_invoice_number(number_format, number, year)}")
        )

    def _show_status(self) -> None:
        if self.settings is None:
            text = ""
        elif self.saving:
            text = "Saving…"
        else:
            state = "Unsaved changes" if self.has_unsaved_changes() else "No unsaved changes"
            text = f"{state} · version {self.version} · ctrl+s save · ctrl+r reload"
        self.query_one("#inv-status", Static).update(text)

    def _set_message(self, text: str, *, kind: str = "error") -> None:
        """The line above the form: ``error`` (red), ``warning`` (orange) or ``info``.

        Plain text: it quotes the server's messages and the values it refused.
        """
        message = self.query_one("#inv-message", Static)
        message.update(plain(text))
        message.display = bool(text)
        for name in ("error", "warning", "info"):
            message.set_class(kind == name, f"-{name}")

    # --- saving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.settings is None or self.saving or self.loading:
            return  # nothing loaded to save against yet, or a save already on its way
        self._check_all = True
        for name in LABELS:
            self._show_field_error(name)
        invalid = {**self.invalid_fields(), **self._server_errors}
        if invalid:
            names = ", ".join(LABELS[name] for name in LABELS if name in invalid)
            self._set_message(f"Not saved: fix {names} first.")
            first = next(name for name in LABELS if name in invalid)
            self._widget(first).focus()
            return
        update = self._update()
        if update is None:
            return
        self.saving = True
        self._set_message("")
        self._show_status()
        self._save(update, self.version)

    def _update(self) -> InvoiceSettingsUpdate | None:
        """The form as the wire model; its own checks are the last word before sending."""
        values = self.form_values()
        try:
            return InvoiceSettingsUpdate(
                legal_name=values["legal_name"],
                # The lines as CHECKS made them: InvoiceAddress's own checks, already run
                # field by field; not run again here, the server has the last word on them.
                address=InvoiceAddress.model_construct(
                    street=CHECKS["street"](values["street"]),
                    postal_code=CHECKS["postal_code"](values["postal_code"]),
                    city=CHECKS["city"](values["city"]),
                    country=CHECKS["country"](values["country"]),
                ),
                vat_number=values["vat_number"],
                enterprise_number=values["enterprise_number"],
                iban=values["iban"],
                bic=values["bic"],
                email=values["email"],
                phone=values["phone"],
                next_number=int(values["next_number"]),
                number_format=values["number_format"],
                payment_term_days=int(values["payment_term_days"]),
                default_vat_rate=values["default_vat_rate"],
                language=values["language"],
                footer=values["footer"],
            )
        except ModelValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error["loc"])
                self._server_errors[field_of(path)] = str(error["msg"]).removeprefix(
                    "Value error, "
                )
            self._mark_rejected("Not saved")
            return None

    @work(exclusive=True, group="invoice-settings-save", exit_on_error=False)
    async def _save(self, update: InvoiceSettingsUpdate, version: int) -> None:
        try:
            saved = await self.ctx.session.client.save_invoice_settings(
                self.client_id, update, version
            )
        except PreconditionFailedError:
            self._stale_version()
        except (ValidationError, ConflictError) as exc:
            for path, message in exc.field_errors.items():
                self._server_errors[field_of(path)] = message
            if exc.code == "numbering_locked":
                # Locked since the form was loaded: say what the values were, to put back.
                self.query_one("#inv-locked").display = True
                for name in NUMBERING_FIELDS:
                    if name in self._server_errors:
                        was = self._loaded_values[name]
                        self._server_errors[name] += f"; it was {was}"
            self._mark_rejected(f"The server refused the settings: {exc.message}")
        except LucyError as exc:
            retry = (
                "Check the connection, then press ctrl+s to try again."
                if isinstance(exc, UnreachableError | ServerError)
                else "Press ctrl+s to try again."
            )
            self._set_message(
                f"Not saved: {exc.message} Everything you typed is kept. {retry}", kind="warning"
            )
            self.ctx.reporter.report_error(exc, "Could not save the invoice settings", quiet=True)
        else:
            self.saving = False
            self.show(saved)
            self.app.notify("Invoice settings saved")
            return
        self.saving = False
        self._show_status()

    def _mark_rejected(self, message: str) -> None:
        """Mark the fields the server (or the wire model) named; keep every value typed."""
        unknown = [path for path in self._server_errors if path not in LABELS]
        details = "; ".join(f"{path}: {self._server_errors.pop(path)}" for path in unknown)
        for name in LABELS:
            self._show_field_error(name)
        named = ", ".join(LABELS[name] for name in LABELS if name in self._server_errors)
        text = message + (f" ({details})" if details else "")
        if named:
            text += f" Fix {named} and press ctrl+s again."
        self._set_message(text)

    # --- someone else saved meanwhile -----------------------------------------------------

    def _stale_version(self) -> None:
        from lucy_tui.screens.prompt import ConfirmScreen

        self._set_message(
            "Not saved: someone else saved these invoice settings since you loaded them. "
            "Your values are kept.",
            kind="warning",
        )

        def answered(load_theirs: bool | None) -> None:
            if load_theirs:
                DetailTab.reload(self)
            else:
                self._adopt_server_version()

        self.app.push_screen(
            ConfirmScreen(
                "Invoice settings changed meanwhile",
                "Someone else saved this client's invoice settings since you loaded them.\n"
                "Load their values (your changes are dropped), or keep yours and save them "
                "over theirs with ctrl+s?",
                yes="Load theirs",
                no="Keep mine",
            ),
            answered,
        )

    @work(exclusive=True, group="invoice-settings-save", exit_on_error=False)
    async def _adopt_server_version(self) -> None:
        """Keep the user's values; the next save overwrites the server's current version."""
        try:
            current = await self.ctx.session.client.invoice_settings(self.client_id)
        except LucyError as exc:
            self._set_message(
                f"Could not fetch the current version: {exc.message} Your values are kept; "
                "press ctrl+s to try again.",
                kind="warning",
            )
            self.ctx.reporter.report_error(exc, "Could not load the invoice settings", quiet=True)
            return
        kept = self.form_values()
        self.settings, self.version = current, current.version
        self._loaded_values = shown_values(current)
        if current.numbering_locked:
            # The numbering cannot change any more: the server's values are the only ones.
            for name in NUMBERING_FIELDS:
                kept[name] = self._loaded_values[name]
            self._put_values({name: kept[name] for name in NUMBERING_FIELDS})
        self._show_lock(current.numbering_locked)
        locked_note = " The numbering is now locked: it shows the server's." * bool(
            current.numbering_locked
        )
        self._set_message(
            f"Kept your values; ctrl+s now saves them over version {current.version}."
            + locked_note,
            kind="info",
        )
        self._show_preview()
        self._show_status()

    # --- leaving with unsaved changes -----------------------------------------------------

    def can_leave(self, then: Callable[[], None]) -> bool:
        if not self.has_unsaved_changes():
            return True
        self._ask_discard("Discard your changes to the invoice settings?", then=then)
        return False

    def _ask_discard(self, question: str, then: Callable[[], None]) -> None:
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.discard_changes()
                then()

        self.app.push_screen(
            ConfirmScreen("Unsaved invoice settings", question, yes="Discard", no="Stay"),
            answered,
        )

    def discard_changes(self) -> None:
        """Back to the values last loaded or saved."""
        if self.settings is not None:
            self.show(self.settings)

    def action_discard(self) -> None:
        self.reload()

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Invoice settings: save", "Save the invoice settings", self.action_save),
            (
                "Invoice settings: discard changes / reload",
                "Load the saved settings from the server again (asks before dropping changes)",
                self.action_discard,
            ),
        ]
