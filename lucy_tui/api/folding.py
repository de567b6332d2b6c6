"""One key for comparing names as people read them: without accents, without case.

Belgian names are French, Dutch and German: "Électricité Dubois" sorts among the E's and
is found by "electricite". Server (the list's order, the ``q`` search) and app (sort and
filter of the loaded list) use the same key.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``text`` without accents and case: "Électricité" -> "electricite", "Straße" -> "strasse"."""
    if text.isascii():  # most names: no decomposition needed
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
