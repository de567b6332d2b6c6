"""The typed client of the Lucy API, its wire models and its errors (no Textual here)."""

import sys

# httpx imports its command line (click, rich.progress, rich.syntax, pygments: about 60% of
# importing httpx) whenever click is installed; the app never runs it, so it is not
# imported (httpx then defines a ``main`` that says the CLI is missing). Before httpx is:
# every import of it in the app comes after this package's.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
