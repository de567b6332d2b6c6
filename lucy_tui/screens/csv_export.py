"""Writing what a screen shows to a CSV file, as the client list's export does (``e``).

The user is asked for a file name (a default in their documents folder); a file that
exists is replaced only when they say so; the file is written beside its place and moved
in (never half a file, never over one that appeared after the question). Every cell goes
through :func:`~lucy_tui.safe_text.printable`, and one that starts like a formula
(``= + - @``) is quoted with ``'`` so that a spreadsheet shows it as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from textual import work

from lucy_tui.safe_text import printable
from lucy_tui.screens.base import LucyScreen

FORMULA_STARTS = ("=", "+", "-", "@")


def csv_safe(records: Iterable[Sequence[str]]) -> Iterable[list[str]]:
    """Cells a spreadsheet shows as text: no control characters, no formula."""
    for record in records:
        cells = [printable(cell) for cell in record]
        yield ["'" + cell if cell[:1] in FORMULA_STARTS else cell for cell in cells]


def csv_bytes(header: Sequence[str], records: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(csv_safe(records))
    return buffer.getvalue().encode("utf-8")


def counted(count: int, noun: str) -> str:
    """ "1 client", "2 clients": ``noun`` is a plural in s."""
    return f"{count:,} {noun.removesuffix('s') if count == 1 else noun}"


class CsvExport(LucyScreen[None]):
    """A screen that exports: call :meth:`export_csv` with what it shows."""

    def export_csv(
        self,
        title: str,
        default: Path,
        header: Sequence[str],
        records: list[tuple[str, ...]],
        noun: str,
    ) -> None:
        """Ask where, then write ``records`` (``noun``: what a record is, plural)."""
        from lucy_tui.screens.prompt import PromptScreen

        def chosen(path: str | None) -> None:
            if path:
                self._check_export_target(path, tuple(header), records, noun)

        self.app.push_screen(
            PromptScreen(
                title, f"{counted(len(records), noun)} will be written. File:", str(default)
            ),
            chosen,
        )

    @work(thread=True, group="export", exit_on_error=False)
    def _check_export_target(
        self, path_text: str, header: tuple[str, ...], records: list[tuple[str, ...]], noun: str
    ) -> None:
        """Off the UI thread (the folder may sit on a slow share): is the name taken?"""
        try:
            target = Path(path_text).expanduser()
            exists = target.exists()
            usable = not exists or target.is_file()
        except (RuntimeError, ValueError, OSError) as exc:  # no such ~user, a NUL byte
            reason = getattr(exc, "strerror", None) or exc
            self.app.call_from_thread(
                self.notify, printable(f"Could not write {path_text}: {reason}"), severity="error"
            )
            return
        if not usable:
            self.app.call_from_thread(
                self.notify,
                printable(f"Cannot export to {target}: it is not a regular file."),
                severity="error",
            )
            return
        self.app.call_from_thread(self._export_target_chosen, target, header, records, noun, exists)

    def _export_target_chosen(
        self,
        target: Path,
        header: tuple[str, ...],
        records: list[tuple[str, ...]],
        noun: str,
        exists: bool,
    ) -> None:
        if not exists:
            self._write_export(target, header, records, noun, overwrite=False)
            return
        from lucy_tui.screens.prompt import ConfirmScreen

        def answered(replace: bool | None) -> None:
            if replace:
                self._write_export(target, header, records, noun, overwrite=True)
            else:
                self.notify(printable(f"Not exported: {target} is kept as it was."))

        self.app.push_screen(
            ConfirmScreen(
                "Replace the existing file?",
                printable(
                    f"{target} already exists. "
                    f"Replace it with the {counted(len(records), noun)} shown?"
                ),
                yes="Replace",
                no="Keep it",
            ),
            answered,
        )

    @work(thread=True, group="export", exit_on_error=False)
    def _write_export(
        self,
        path: Path,
        header: tuple[str, ...],
        records: list[tuple[str, ...]],
        noun: str,
        *,
        overwrite: bool,
    ) -> None:
        from lucy_tui.local.atomic import write_bytes_atomic

        try:
            write_bytes_atomic(path, csv_bytes(header, records), overwrite=overwrite)
        except FileExistsError:
            self.app.call_from_thread(
                self.notify,
                printable(f"{path} appeared meanwhile and was kept. Export again to replace it."),
                severity="warning",
            )
            return
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte (pasted) in the path
            reason = getattr(exc, "strerror", None) or exc
            self.app.call_from_thread(
                self.notify, printable(f"Could not write {path}: {reason}"), severity="error"
            )
            return
        self.app.call_from_thread(
            self.notify, printable(f"Exported {counted(len(records), noun)} to {path}")
        )
