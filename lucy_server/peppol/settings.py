"""The Peppol lookup's settings: environment variables, overridden by ``lucy-server serve`` flags.

======================== ============================= ========================================
environment              ``lucy-server serve`` flag    default
======================== ============================= ========================================
LUCY_PEPPOL_LOOKUP       ``--peppol-lookup on|off``    on for ``serve``, off for the embedded demo
LUCY_PEPPOL_SML_ZONE     ``--peppol-sml-zone``         ``edelivery.tech.ec.europa.eu`` (production)
LUCY_PEPPOL_RESOLVER     ``--peppol-resolver``         the system's DNS resolver
LUCY_PEPPOL_OWN_SMP      ``--peppol-own-smp``          none: no SMP counts as Lucy's own
LUCY_PEPPOL_ALLOW_HTTP   ``--peppol-allow-http``       off: SMPs over https only (tests only)
LUCY_PEPPOL_CACHE_SECONDS ``--peppol-cache-seconds``   900: a bulk re-check skips younger results
======================== ============================= ========================================
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

PRODUCTION_SML_ZONE = "edelivery.tech.ec.europa.eu"
TEST_SML_ZONE = "acc.edelivery.tech.ec.europa.eu"
DEFAULT_CACHE_SECONDS = 900
DEFAULT_CONCURRENCY = 8

_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"0", "off", "false", "no"}


class SettingError(ValueError):
    """A Peppol setting cannot be understood; the message names it and says what is expected."""


def parse_switch(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingError(f"{name} must be on or off, not {value!r}")


def parse_resolver(name: str, value: str) -> tuple[str, int]:
    """``host:port`` (or an address alone, port 53; ``[v6]:port`` for IPv6) of a DNS server."""
    text = value.strip()
    host, port_text = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise SettingError(
            f"{name} must be the IP address of a DNS server with an optional :port "
            f"(e.g. 127.0.0.1:5353), not {value!r}"
        ) from None
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingError(f"{name}: the port of {value!r} must be 1 to 65535")
    return host, int(port_text)


def parse_zone(name: str, value: str) -> str:
    zone = value.strip().strip(".").lower()
    labels = zone.split(".")
    if (
        not zone
        or any(not label or len(label) > 63 for label in labels)
        or not all(label.replace("-", "").isalnum() and label.isascii() for label in labels)
    ):
        raise SettingError(
            f"{name} must be a DNS zone such as {PRODUCTION_SML_ZONE}, not {value!r}"
        )
    return zone


def parse_own_smp(name: str, value: str) -> str | None:
    text = value.strip().lower().rstrip("/")
    if "://" in text:
        text = text.split("://", 1)[1].split("/", 1)[0]
    if not text:
        return None
    if any(ch.isspace() or ch in "/?#@" for ch in text) or not text.isascii():
        raise SettingError(f"{name} must be a host name such as smp.example.com, not {value!r}")
    return text


@dataclass(frozen=True)
class PeppolSettings:
    """How (and whether) the server looks participants up on the Peppol network."""

    lookup: bool = False
    sml_zone: str = PRODUCTION_SML_ZONE
    resolver: tuple[str, int] | None = None  # None: the system's resolver
    own_smp: str | None = None  # host (or host:port) of Lucy's own SMP
    allow_http: bool = False
    cache_seconds: int = DEFAULT_CACHE_SECONDS
    concurrency: int = DEFAULT_CONCURRENCY
    dns_timeout: float = 4.0  # seconds for one DNS question (the resolver's lifetime)
    http_timeout: float = 5.0  # seconds for one SMP request
    deadline: float = 12.0  # seconds for one participant's whole lookup

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, lookup_default: bool
    ) -> PeppolSettings:
        """The settings of the environment; ``lookup_default`` when LUCY_PEPPOL_LOOKUP is unset.

        Raises :class:`SettingError` for a value that cannot be understood."""
        env = os.environ if environ is None else environ
        settings = cls(lookup=lookup_default)
        return settings.with_values(
            lookup=env.get("LUCY_PEPPOL_LOOKUP"),
            sml_zone=env.get("LUCY_PEPPOL_SML_ZONE"),
            resolver=env.get("LUCY_PEPPOL_RESOLVER"),
            own_smp=env.get("LUCY_PEPPOL_OWN_SMP"),
            allow_http=env.get("LUCY_PEPPOL_ALLOW_HTTP"),
            cache_seconds=env.get("LUCY_PEPPOL_CACHE_SECONDS"),
        )

    def with_values(
        self,
        *,
        lookup: str | None = None,
        sml_zone: str | None = None,
        resolver: str | None = None,
        own_smp: str | None = None,
        allow_http: str | None = None,
        cache_seconds: str | None = None,
    ) -> PeppolSettings:
        """These settings with the values given as text (None: unchanged)."""
        changes: dict[str, object] = {}
        if lookup is not None and lookup.strip():
            changes["lookup"] = parse_switch("LUCY_PEPPOL_LOOKUP", lookup)
        if sml_zone is not None and sml_zone.strip():
            changes["sml_zone"] = parse_zone("LUCY_PEPPOL_SML_ZONE", sml_zone)
        if resolver is not None:
            changes["resolver"] = (
                parse_resolver("LUCY_PEPPOL_RESOLVER", resolver) if resolver.strip() else None
            )
        if own_smp is not None:
            changes["own_smp"] = parse_own_smp("LUCY_PEPPOL_OWN_SMP", own_smp)
        if allow_http is not None and allow_http.strip():
            changes["allow_http"] = parse_switch("LUCY_PEPPOL_ALLOW_HTTP", allow_http)
        if cache_seconds is not None and cache_seconds.strip():
            text = cache_seconds.strip()
            if not text.isascii() or not text.isdigit():
                raise SettingError(
                    f"LUCY_PEPPOL_CACHE_SECONDS must be a number of seconds, not {cache_seconds!r}"
                )
            changes["cache_seconds"] = int(text)
        return replace(self, **changes)  # type: ignore[arg-type]

    def as_environment(self) -> dict[str, str]:
        """The ``LUCY_PEPPOL_*`` variables that :meth:`from_env` reads back as these settings
        (``lucy-server serve --workers N`` hands its resolved settings to each worker)."""
        resolver = ""
        if self.resolver is not None:
            host, port = self.resolver
            resolver = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        return {
            "LUCY_PEPPOL_LOOKUP": "on" if self.lookup else "off",
            "LUCY_PEPPOL_SML_ZONE": self.sml_zone,
            "LUCY_PEPPOL_RESOLVER": resolver,
            "LUCY_PEPPOL_OWN_SMP": self.own_smp or "",
            "LUCY_PEPPOL_ALLOW_HTTP": "on" if self.allow_http else "off",
            "LUCY_PEPPOL_CACHE_SECONDS": str(self.cache_seconds),
        }

    def describe(self) -> str:
        """One line for the server's log: what is asked, where."""
        if not self.lookup:
            return "Peppol lookups: off (stored results only)"
        resolver = f"{self.resolver[0]}:{self.resolver[1]}" if self.resolver else "system resolver"
        own = self.own_smp or "none set"
        http = ", SMPs over plain http allowed" if self.allow_http else ""
        return f"Peppol lookups: on, SML zone {self.sml_zone} via {resolver}, own SMP {own}{http}"
