"""Text from outside, made safe to show: never markup, never a terminal control sequence.

Every string that did not come from this package's own source code (server answers, file
names and contents, error messages, what the user typed) is data. Before it is drawn, put
in a toast, a title, a table cell, a CSV cell or a log line it goes through ``printable``,
and it only ever meets markup as a ``Content`` built here or by ``Content.from_markup`` with
``$variables``, which substitutes text, never markup.
"""

from __future__ import annotations

import re

from textual.content import Content
from textual.markup import escape

PLACEHOLDER = "\N{REPLACEMENT CHARACTER}"

# C0 controls (with tab and newline: a cell or a toast line must stay one line), DEL, C1
# controls (U+0080-U+009F: the 8-bit CSI and OSC among them), the bidi embeddings,
# overrides and isolates that reorder what is shown, and the line/paragraph separators.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def printable(text: object) -> str:
    """``text`` as a string with every control character replaced by a visible placeholder."""
    value = text if isinstance(text, str) else str(text)
    return UNPRINTABLE.sub(PLACEHOLDER, value)


def plain(text: object, style: str = "", *, lines: bool = False) -> Content:
    """Text from outside as a ``Content``: shown literally, brackets and all.

    ``lines`` keeps the line breaks of a message written by the app over several lines
    (a dialog's body); everything else unprintable is still replaced.
    """
    if lines:
        value = "\n".join(printable(line) for line in str(text).split("\n"))
    else:
        value = printable(text)
    return Content.styled(value, style) if style else Content(value)


def escaped(text: object) -> str:
    """Text from outside, ready to sit inside the app's own markup at this one place."""
    return escape(printable(text))


def fill(template: str, **values: object) -> Content:
    """The app's own ``template`` markup with ``$name`` values from outside, as plain text.

    ``fill("Open [b]$name[/]?", name=client.name)`` shows the name literally, in bold.
    """
    return Content.from_markup(template, **{key: printable(value) for key, value in values.items()})
