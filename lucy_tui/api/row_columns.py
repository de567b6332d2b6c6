"""The columns of the compact client list, ``GET /client-rows``: the one definition both
sides use. The server answers rows of these (``lucy_server.views``), and
:meth:`~lucy_tui.clients.rows.ClientRow.wire_reader` reads them, by the names the answer's
header gives. No pydantic here: the first paint reads rows without it.
"""

from __future__ import annotations

# A ``ClientSummary``'s fields but ``contact_id`` (the list shows the contact's name).
CLIENT_ROW_COLUMNS = (
    "id",
    "name",
    "enterprise_number",
    "vat_number",
    "contact_name",
    "team_names",
    "status",
    "integrations",
    "peppol_sending",
    "peppol_receiving",
    "peppol_network",
    "peppol_stale",
    "inbox_count",
    "failed_count",
    "plan",
    "trial_ends_on",
    "hidden",
    "version",
)
