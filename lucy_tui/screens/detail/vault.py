"""The Vault tab: the client's shared files; upload (u), download (d), delete (delete).

Local files are checked before anything is sent (exists, a regular file, an allowed type,
at most 25 MB), mirroring the server's rules so a refusal costs no upload. Disk work runs
in thread workers, network work in async workers; a download is written atomically and
never replaces an existing file unless the user said so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.notifications import SeverityLevel
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from lucy_tui.api.errors import LucyError, NotFoundError, TooLargeError, ValidationError
from lucy_tui.api.models import (
    VAULT_CONTENT_TYPES,
    VAULT_MAGIC,
    VAULT_MAX_BYTES,
    VaultCategory,
    VaultFile,
)
from lucy_tui.api.validation import vault_file_name
from lucy_tui.context import Context
from lucy_tui.local.atomic import write_bytes_atomic
from lucy_tui.local.paths import documents_dir
from lucy_tui.safe_text import plain, printable
from lucy_tui.screens.base import LucyModal, PaletteCommand
from lucy_tui.screens.detail.base import DetailTab, cell
from lucy_tui.widgets.data_table import KeyTable

ALLOWED_TYPES = ", ".join(sorted({suffix.lstrip(".") for suffix in VAULT_CONTENT_TYPES}))
MAX_MB = VAULT_MAX_BYTES // (1024 * 1024)
EMPTY_VAULT = "No files in the vault yet. Press u to upload one."

CATEGORY_LABELS = {
    VaultCategory.TAX: "Tax",
    VaultCategory.REPORT: "Report",
    VaultCategory.LEGAL: "Legal",
    VaultCategory.OTHER: "Other",
}


def human_size(size: int) -> str:
    """A byte count as people read it: 512 B, 12.4 KB, 3.1 MB."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def _local_date(moment: datetime) -> str:
    return (moment.astimezone() if moment.tzinfo else moment).strftime("%d/%m/%Y")


# --- local files --------------------------------------------------------------------------


class LocalFileError(Exception):
    """A local file the vault would refuse; the message says why, for the user."""


@dataclass(frozen=True)
class LocalFile:
    """A local file read and checked, ready to upload."""

    path: Path
    name: str
    content: bytes
    content_type: str
    category: VaultCategory


def local_path(path_text: str) -> Path:
    """The path typed, ``~`` expanded; LocalFileError when it cannot be a path at all."""
    try:
        path = Path(path_text.strip()).expanduser()
        path.exists()  # a NUL byte or an over-long name fail here, not later
    except (RuntimeError, ValueError, OSError) as exc:  # ~nosuchuser, NUL, ENAMETOOLONG
        raise LocalFileError(f"{path_text.strip()!r} is not a usable path: {exc}") from None
    return path


def read_upload(path_text: str, category: VaultCategory) -> LocalFile:
    """Check and read the file at ``path_text`` (``~`` expanded) as the server would.

    Blocking: run it in a thread. Raises LocalFileError with a readable reason.
    """
    path = local_path(path_text)
    if not path.exists():
        raise LocalFileError(f"There is no file at {path}.")
    if path.is_dir():
        raise LocalFileError(f"{path} is a folder: give the path of a file in it.")
    if not path.is_file():
        raise LocalFileError(f"{path} is not a regular file (a device, a pipe, ...).")
    name = path.name
    suffix = path.suffix.lower()
    content_type = VAULT_CONTENT_TYPES.get(suffix)
    if content_type is None:
        kind = f"{suffix} files" if suffix else "Files without an extension"
        raise LocalFileError(f"{kind} cannot go in the vault. Allowed types: {ALLOWED_TYPES}.")
    try:
        vault_file_name(name)  # the server's rule for the name (the text rule of names)
    except ValueError as exc:
        raise LocalFileError(f"{exc}.") from None
    try:
        size = path.stat().st_size
        if size > VAULT_MAX_BYTES:
            raise LocalFileError(_too_large(name, size))
        with path.open("rb") as handle:
            content = handle.read(VAULT_MAX_BYTES + 1)
    except OSError as exc:
        raise LocalFileError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if len(content) > VAULT_MAX_BYTES:  # it grew since it was measured
        raise LocalFileError(_too_large(name, len(content)))
    if not content:
        raise LocalFileError(f"{name} is empty: there is nothing to upload.")
    magic = VAULT_MAGIC.get(suffix)
    if magic and not any(content.startswith(m) for m in magic):
        raise LocalFileError(
            f"{name} is not a real {suffix.lstrip('.').upper()} file (its content says "
            "otherwise). Check that it is the file you meant."
        )
    return LocalFile(path, name, content, content_type, category)


def _too_large(name: str, size: int) -> str:
    return f"{name} is {human_size(size)}; the vault takes files of at most {MAX_MB} MB."


def download_name(name: str) -> str:
    """The server's file name, made safe to use as a local file name.

    No folder part, and no control character: a name is later listed in a terminal.
    """
    base = PurePath(printable(name).replace("\\", "/")).name.strip()
    return base if base and base not in {".", ".."} else "download"


def download_target(path_text: str, name: str) -> Path:
    """Where a download goes: the path typed, or the file's name inside a folder typed (a
    path that ends with ``/`` or names a directory means "into this folder")."""
    target = local_path(path_text)
    into_folder = path_text.rstrip(" ").endswith(("/", os.sep)) or target.is_dir()
    return target / download_name(name) if into_folder else target


# --- the upload dialog --------------------------------------------------------------------


class UploadScreen(LucyModal[LocalFile | None]):
    """Asks for a local path and a category; checks and reads the file before closing.

    A refused file keeps the dialog open with the reason, and the path as typed.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, ctx: Context, client_name: str, path: str = "") -> None:
        super().__init__(ctx)
        self.client_name, self.path = client_name, path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="vault-upload"):
            yield Static(
                plain(f"Upload a file to {self.client_name}'s vault"), classes="dialog-title"
            )
            yield Label("Path of the local file")
            yield Input(
                printable(self.path), placeholder="~/Documents/tax-2025.pdf", id="upload-path"
            )
            yield Static(
                f"Allowed: {ALLOWED_TYPES}; at most {MAX_MB} MB. ~ is your home folder.",
                classes="upload-help",
            )
            yield Label("Category")
            yield Select(
                [(label, category) for category, label in CATEGORY_LABELS.items()],
                value=VaultCategory.OTHER,
                allow_blank=False,
                id="upload-category",
            )
            yield Static("", id="upload-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Upload", variant="primary", id="upload")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#upload-path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#upload")
    def _submit(self) -> None:
        if self.query_one("#upload", Button).disabled:  # a check is already running
            return
        path = self.query_one("#upload-path", Input).value
        if not path.strip():
            self._refuse("Give the path of the file to upload.")
            return
        category = self.query_one("#upload-category", Select).value
        if not isinstance(category, VaultCategory):
            category = VaultCategory.OTHER
        self.query_one("#upload-error", Static).update("Checking the file…")
        self.query_one("#upload", Button).disabled = True
        self._check(path, category)

    @work(thread=True, exclusive=True, group="vault-check", exit_on_error=False)
    def _check(self, path: str, category: VaultCategory) -> None:
        try:
            local = read_upload(path, category)
        except LocalFileError as exc:
            self.app.call_from_thread(self._refuse, str(exc))
            return
        self.app.call_from_thread(self._accept, local)

    def _refuse(self, reason: str) -> None:
        if not self.is_attached:  # cancelled while the file was being checked
            return
        self.query_one("#upload-error", Static).update(plain(reason))
        self.query_one("#upload-path", Input).add_class("-invalid")
        self.query_one("#upload", Button).disabled = False
        self.query_one("#upload-path", Input).focus()

    def _accept(self, local: LocalFile) -> None:
        if self.is_attached:
            self.dismiss(local)

    @on(Input.Changed)
    def _clear_error(self) -> None:
        self.query_one("#upload-error", Static).update("")
        self.query_one("#upload-path", Input).remove_class("-invalid")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


# --- the tab ------------------------------------------------------------------------------


class VaultTab(DetailTab):
    title = "Vault"

    BINDINGS = [
        Binding("u", "upload", "Upload", id="vault.upload"),
        Binding("d", "download", "Download", id="vault.download"),
        Binding("delete", "delete", "Delete", id="vault.delete"),
    ]

    def __init__(
        self, ctx: Context, client_id: int, client_name: str, *, id: str | None = None
    ) -> None:
        super().__init__(ctx, client_id, client_name, id=id)
        self.files: list[VaultFile] = []
        self._retry_path = ""  # the last upload that failed, offered again

    def compose_tab(self) -> ComposeResult:
        yield Static("", id="vault-summary")
        table: DataTable[Any] = KeyTable(id="vault-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Name", key="name")
        table.add_column("Category", key="category")
        table.add_column("Size", key="size")
        table.add_column("Uploaded by", key="uploaded_by")
        table.add_column("Date", key="date")
        yield table
        yield Static(EMPTY_VAULT, id="vault-empty")
        yield Static("", id="vault-status")

    def on_mount(self) -> None:
        self.query_one("#vault-empty").display = False

    # --- loading and showing --------------------------------------------------------------

    async def fetch(self) -> list[VaultFile]:
        return await self.ctx.session.client.vault_files(self.client_id)

    def show(self, data: list[VaultFile]) -> None:
        self._show_files(data)

    def _show_files(self, files: list[VaultFile], *, cursor_on: int | None = None) -> None:
        table = self.query_one("#vault-table", DataTable)
        if cursor_on is None and table.row_count:
            cursor_on = self._highlighted_id()
        self.files = files
        table.clear()
        for file in files:
            table.add_row(
                cell(file.name),
                cell(CATEGORY_LABELS.get(file.category, str(file.category))),
                cell(human_size(file.size), justify="right"),
                cell(file.uploaded_by),
                cell(_local_date(file.uploaded_at)),
                key=str(file.id),
            )
        empty = not files
        table.display = not empty
        self.query_one("#vault-empty").display = empty
        total = sum(file.size for file in files)
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        self.query_one("#vault-summary", Static).update(
            "" if empty else f"{count}, {human_size(total)} in all. Shared with the client."
        )
        if cursor_on is not None:
            for index, file in enumerate(files):
                if file.id == cursor_on:
                    table.move_cursor(row=index)
                    break

    def _highlighted_id(self) -> int | None:
        table = self.query_one("#vault-table", DataTable)
        if not table.row_count or not table.display:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return int(key) if key is not None else None

    def _highlighted(self, verb: str) -> VaultFile | None:
        file_id = self._highlighted_id()
        file = next((f for f in self.files if f.id == file_id), None)
        if file is None:
            self.notify(f"There is no file to {verb}: the vault is empty.", severity="warning")
        return file

    def _status(self, text: str) -> None:
        """The line under the table, as plain text (it names files)."""
        self.query_one("#vault-status", Static).update(plain(text))

    # --- upload ---------------------------------------------------------------------------

    def action_upload(self) -> None:
        self.app.push_screen(
            UploadScreen(self.ctx, self.client_name, self._retry_path), self._upload
        )

    def _upload(self, local: LocalFile | None) -> None:
        if local is not None:
            self._send_file(local)

    @work(group="vault-upload", exit_on_error=False)
    async def _send_file(self, local: LocalFile) -> None:
        self._status(f"Uploading {local.name} ({human_size(len(local.content))})…")
        try:
            uploaded = await self.ctx.session.client.upload_vault_file(
                self.client_id,
                local.name,
                local.content,
                category=local.category,
                content_type=local.content_type,
            )
        except LucyError as error:
            self._status("")
            self._retry_path = str(local.path)  # the next u offers the same path again
            self._upload_refused(local, error)
            return
        self._status("")
        self._retry_path = ""
        self._show_files([uploaded, *self.files], cursor_on=uploaded.id)
        self.focus_content()
        self.notify(
            printable(f"Uploaded {uploaded.name} ({human_size(uploaded.size)}) to the vault."),
            markup=False,
        )

    def _upload_refused(self, local: LocalFile, error: LucyError) -> None:
        if isinstance(error, TooLargeError):
            self.notify(
                printable(f"The server refused {local.name}: it is too large ({error.message})."),
                severity="error",
                timeout=10,
                markup=False,
            )
        elif isinstance(error, ValidationError):
            reason = error.field_errors.get("file") or error.message
            self.notify(
                printable(f"The server refused {local.name}: {reason}. Nothing was uploaded."),
                severity="error",
                timeout=10,
                markup=False,
            )
        else:
            self.ctx.reporter.report_error(
                error, printable(f"Could not upload {local.name}"), retry="Press u to try again."
            )

    # --- download -------------------------------------------------------------------------

    def action_download(self) -> None:
        file = self._highlighted("download")
        if file is None:
            return
        from lucy_tui.screens.prompt import PromptScreen

        default = documents_dir() / download_name(file.name)

        def chosen(path: str | None) -> None:
            if path:
                self._check_target(file, path)

        self.app.push_screen(
            PromptScreen(
                printable(f"Download {file.name}"),
                f"Save {human_size(file.size)} to this file (or folder):",
                str(default),
            ),
            chosen,
        )

    @work(thread=True, group="vault-disk", exit_on_error=False)
    def _check_target(self, file: VaultFile, path_text: str) -> None:
        try:
            target = download_target(path_text, file.name)
        except LocalFileError as error:
            self.app.call_from_thread(self.notify, printable(error), severity="error", markup=False)
            return
        if target.exists() and not target.is_file():
            self.app.call_from_thread(
                self.notify,
                printable(f"Cannot save to {target}: it is not a regular file."),
                severity="error",
                markup=False,
            )
            return
        if not target.parent.is_dir():
            self.app.call_from_thread(self._ask_new_folder, file, target)
            return
        self.app.call_from_thread(self._target_chosen, file, target, target.exists())

    def _ask_new_folder(self, file: VaultFile, target: Path) -> None:
        """The folder of ``target`` does not exist: make it only when the user says so."""
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(create: bool | None) -> None:
            if create:
                self._download(file, target, overwrite=False)
            else:
                self.notify(
                    printable(f"Not downloaded: {target.parent} does not exist."), markup=False
                )

        self.app.push_screen(
            ConfirmScreen(
                "Create the folder?",
                printable(f"{target.parent} does not exist. Create it and save {target.name}?"),
                yes="Create",
                no="Cancel",
            ),
            answered,
        )

    def _target_chosen(self, file: VaultFile, target: Path, exists: bool) -> None:
        if not exists:
            self._download(file, target, overwrite=False)
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(replace: bool | None) -> None:
            if replace:
                self._download(file, target, overwrite=True)
            else:
                self.notify(printable(f"Not downloaded: {target} is kept as it was."), markup=False)

        self.app.push_screen(
            ConfirmScreen(
                "Replace the existing file?",
                printable(f"{target} already exists. Replace it with {file.name} from the vault?"),
                yes="Replace",
                no="Keep it",
            ),
            answered,
        )

    @work(group="vault-download", exit_on_error=False)
    async def _download(self, file: VaultFile, target: Path, *, overwrite: bool) -> None:
        self._status(f"Downloading {file.name}…")
        try:
            content = await self.ctx.session.client.download_vault_file(self.client_id, file.id)
        except LucyError as error:
            self._status("")
            self._file_failed(file, error, "download")
            return
        self._write_download(file, target, content, overwrite)

    @work(thread=True, group="vault-disk", exit_on_error=False)
    def _write_download(
        self, file: VaultFile, target: Path, content: bytes, overwrite: bool
    ) -> None:
        severity: SeverityLevel
        try:
            write_bytes_atomic(target, content, overwrite=overwrite)
        except FileExistsError:
            message = f"{target} appeared meanwhile and was kept. Press d to try again."
            severity = "warning"
        except OSError as exc:
            message = f"Could not save {file.name} to {target}: {exc.strerror or exc}."
            severity = "error"
        else:
            message = f"Saved {file.name} ({human_size(len(content))}) to {target}."
            severity = "information"
        self.app.call_from_thread(self._status, "")
        self.app.call_from_thread(self.notify, printable(message), severity=severity, markup=False)

    # --- delete ---------------------------------------------------------------------------

    def action_delete(self) -> None:
        file = self._highlighted("delete")
        if file is None:
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(delete: bool | None) -> None:
            if delete:
                self._delete(file)

        self.app.push_screen(
            ConfirmScreen(
                printable(f"Delete {file.name}?"),
                printable(
                    f"{file.name} ({human_size(file.size)}, uploaded by {file.uploaded_by} on "
                    f"{_local_date(file.uploaded_at)}) will be deleted from "
                    f"{self.client_name}'s vault, for the client too. This cannot be undone."
                ),
                yes="Delete",
                no="Keep it",
            ),
            answered,
        )

    @work(group="vault-delete", exit_on_error=False)
    async def _delete(self, file: VaultFile) -> None:
        try:
            await self.ctx.session.client.delete_vault_file(self.client_id, file.id)
        except LucyError as error:
            self._file_failed(file, error, "delete")
            return
        self._show_files([f for f in self.files if f.id != file.id])
        self.focus_content()
        self.notify(printable(f"Deleted {file.name} from the vault."), markup=False)

    def _file_failed(self, file: VaultFile, error: LucyError, verb: str) -> None:
        if isinstance(error, NotFoundError):
            self.notify(
                printable(
                    f"{file.name} is no longer in the vault (someone deleted it); the list is "
                    "reloaded."
                ),
                severity="warning",
                markup=False,
            )
            self.reload()
            return
        key = "d" if verb == "download" else "delete"
        self.ctx.reporter.report_error(
            error, printable(f"Could not {verb} {file.name}"), retry=f"Press {key} to try again."
        )

    # --- palette --------------------------------------------------------------------------

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Vault: upload a file", "Upload a local file to the vault", self.action_upload),
            (
                "Vault: download the file",
                "Save the highlighted file to a local path",
                self.action_download,
            ),
            (
                "Vault: delete the file",
                "Delete the highlighted file, after a confirmation",
                self.action_delete,
            ),
            ("Vault: reload", "Load the vault's files again", self.reload),
        ]
