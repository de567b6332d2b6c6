"""The wire enumerations the client list draws, without pydantic.

They are part of the wire contract (:mod:`lucy_tui.api.models` re-exports them), but live
here so that the first paint of the list (the last session's rows, before the live list
arrives) can build and draw rows without importing pydantic or httpx.
"""

from __future__ import annotations

from enum import StrEnum


class ClientStatus(StrEnum):
    CREATED = "created"
    INVITED = "invited"
    ACTIVE = "active"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Plan(StrEnum):
    TRIAL = "trial"
    INBOX = "inbox"
    BILLING = "billing"
    BUSINESS = "business"
    BUSINESS_PRO = "business_pro"

    @property
    def label(self) -> str:
        return _PLAN_LABELS[self]

    @property
    def has_banking(self) -> bool:
        """Codabox banking comes with Business Pro; a trial runs on Business Pro features."""
        return self in (Plan.TRIAL, Plan.BUSINESS_PRO)


_PLAN_LABELS = {
    Plan.TRIAL: "Trial",
    Plan.INBOX: "Lucy Inbox",
    Plan.BILLING: "Lucy Billing",
    Plan.BUSINESS: "Lucy Business",
    Plan.BUSINESS_PRO: "Lucy Business Pro",
}


class PeppolLookupState(StrEnum):
    UNCHECKED = "unchecked"
    REGISTERED_HERE = "registered_here"
    REGISTERED_ELSEWHERE = "registered_elsewhere"
    NOT_REGISTERED = "not_registered"
    LOOKUP_FAILED = "lookup_failed"

    @property
    def label(self) -> str:
        return PEPPOL_STATE_LABELS[self]


PEPPOL_STATE_LABELS = {
    PeppolLookupState.UNCHECKED: "Not checked yet",
    PeppolLookupState.REGISTERED_HERE: "Registered here",
    PeppolLookupState.REGISTERED_ELSEWHERE: "Registered elsewhere",
    PeppolLookupState.NOT_REGISTERED: "Not registered",
    PeppolLookupState.LOOKUP_FAILED: "Check failed",
}
