"""Help: every key of the screen the user came from, and the filter language."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from lucy_tui.safe_text import printable
from lucy_tui.screens.base import Dialog

FILTER_HELP = """\
Filter (/): words match name, enterprise or VAT number, contact, team, integrations.
  status:created|invited|active   team:north   plan:trial|inbox|billing|business|pro
  peppol:off|on|send|receive      inbox:>0     failed:>0    trial:<30d     contact:ann
  peppol:elsewhere|here|unregistered|unchecked|stale (the network)    fav
All terms must match. enter returns to the list keeping the filter; escape clears it."""

GLOBAL_KEYS = [
    ("ctrl+p", "Command palette"),
    ("?", "This help"),
    ("escape", "Back / close"),
    ("ctrl+r", "Refresh"),
    ("ctrl+q", "Quit"),
]


def describe_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """The keys active on ``screen`` (focused widget first), as (keys, description)."""
    seen: set[str] = set()
    rows: list[tuple[str, str]] = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        description = binding.description or binding.action.replace("_", " ")
        if not description or key in seen:
            continue
        seen.add(key)
        rows.append((screen.app.get_key_display(binding), description))
    merged: dict[str, list[str]] = {}
    for keys, description in rows:
        merged.setdefault(description, []).append(keys)
    return [(" / ".join(dict.fromkeys(keys)), description) for description, keys in merged.items()]


class HelpScreen(Dialog[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, screen: Screen[object], extra: str = "") -> None:
        super().__init__()
        self.keys = describe_keys(screen)
        self.extra = extra

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        # Keys come from the user's keymap and descriptions from code: both are text.
        for keys, description in self.keys:
            table.add_row(Text(printable(keys)), Text(printable(description)))
        table.add_section()
        for keys, description in GLOBAL_KEYS:
            if description not in {d for _, d in self.keys}:
                table.add_row(Text(keys), Text(description))
        with VerticalScroll(classes="dialog", id="help"):
            yield Static("Keys on this screen", classes="dialog-title")
            yield Static(table)
            if self.extra:
                yield Static(Text(self.extra), id="help-extra")
            yield Static("escape closes this help", classes="muted")
