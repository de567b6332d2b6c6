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

# The keys of DESIGN §5 that work everywhere: (key, action, description). Each is listed
# once: left out when the screen's own keys already name its key or its action.
GLOBAL_KEYS = [
    ("ctrl+p", "command_palette", "Command palette"),
    ("question_mark", "help", "This help"),
    ("escape", "back", "Back / close"),
    ("ctrl+r", "refresh", "Refresh"),
    ("ctrl+q", "quit", "Quit"),
]


def own_bindings(node: object) -> dict[str, str]:
    """The actions bound by lucy-tui's own classes in ``node``'s ancestry, with their
    description: what Textual binds by itself (copy text, page left, focus next...) is not
    the app's to explain."""
    actions: dict[str, str] = {}
    for cls in type(node).__mro__:
        if not cls.__module__.startswith("lucy_tui."):
            continue
        for binding in cls.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding):  # the tooltip: the footer's short word said fully
                action, description = binding.action, binding.tooltip or binding.description
            else:
                action, description = binding[1], binding[2] if len(binding) > 2 else ""
            actions.setdefault(action, description)
    return actions


def describe_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """The app's own keys active on ``screen`` (focused widget first), as (keys,
    description), then the global keys not already listed; each key once."""
    app = screen.app
    seen: set[str] = set()  # keys listed
    actions: set[str] = set()  # actions listed
    merged: dict[str, list[str]] = {}
    owns: dict[int, dict[str, str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        node = active.node
        own = owns.setdefault(id(node), own_bindings(node))
        if binding.action not in own or key in seen:
            continue
        description = own[binding.action] or binding.description
        if not description:
            continue
        seen.add(key)
        actions.add(binding.action.split("(", 1)[0])
        merged.setdefault(description, []).append(app.get_key_display(binding))
    rows = [(" / ".join(dict.fromkeys(keys)), text) for text, keys in merged.items()]
    for key, action, description in GLOBAL_KEYS:
        if key not in seen and action not in actions and description not in merged:
            rows.append((app.get_key_display(Binding(key, action, description)), description))
    return rows


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
        with VerticalScroll(classes="dialog", id="help"):
            yield Static("Keys on this screen", classes="dialog-title")
            yield Static(table)
            if self.extra:
                yield Static(Text(self.extra), id="help-extra")
            yield Static("escape closes this help", classes="muted")
