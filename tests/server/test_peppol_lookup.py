"""The Peppol lookup against a local SML (DNS, NAPTR) and local SMPs (HTTP): every outcome.

No test here reaches the internet: the DNS server and the SMPs run on 127.0.0.1
(tests/peppol_fakes.py) and the settings point the lookup at them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from lucy_server.peppol.lookup import lookup_company
from lucy_server.peppol.settings import (
    PRODUCTION_SML_ZONE,
    PeppolSettings,
    SettingError,
)
from lucy_server.peppol.sml import (
    LookupFailed,
    apply_regexp,
    participant_dns_name,
    participant_hash,
    smp_location,
)
from lucy_server.peppol.smp import invoice_path, participant_path
from lucy_tui.api.models import PeppolLookupState as State
from tests.peppol_fakes import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    OWN_SMP,
    FakeSml,
    FakeSmp,
)

NUMBER = "0123.456.749"
P0208 = "0208:0123456749"
P9925 = "9925:BE0123456749"


@pytest.fixture
def network() -> Iterator[tuple[FakeSml, FakeSmp]]:
    with FakeSml() as sml, FakeSmp() as smp:
        yield sml, smp


def lookup(sml: FakeSml, **changes: object):  # type: ignore[no-untyped-def]
    return asyncio.run(lookup_company(NUMBER, sml.settings(**changes)))


# --- the SML's name and record ------------------------------------------------------------


def test_the_dns_name_follows_the_test_vector() -> None:
    assert participant_hash("0088:123abc") == "y7dzfxaf3d4cjz4kcgrxtec6twvcga4ky7zwa5boif6mswd4tdrq"
    assert participant_hash("0088:123ABC") == participant_hash("0088:123abc")
    assert (
        participant_dns_name("0088:123abc", PRODUCTION_SML_ZONE)
        == "y7dzfxaf3d4cjz4kcgrxtec6twvcga4ky7zwa5boif6mswd4tdrq.iso6523-actorid-upis."
        "edelivery.tech.ec.europa.eu"
    )


def test_naptr_regexp_gives_the_smp_url() -> None:
    assert apply_regexp("!^.*$!https://smp.example.com!", "x.zone") == "https://smp.example.com"
    assert apply_regexp("!^(.*)$!https://\\1.smp!", "abc") == "https://abc.smp"
    for bad in ("", "!^.*$!", "a^.*$ahttpsa", "!(!x!"):
        with pytest.raises(LookupFailed):
            apply_regexp(bad, "x")


def test_an_smp_must_be_https_unless_plain_http_is_allowed() -> None:
    strict = PeppolSettings(lookup=True)
    with pytest.raises(LookupFailed, match="https"):
        smp_location("http://smp.example.com", strict)
    with pytest.raises(LookupFailed):
        smp_location("https://smp.example.com\x1b[31m", strict)
    assert smp_location("https://SMP.example.com/", strict).host == "smp.example.com"
    loose = PeppolSettings(lookup=True, allow_http=True)
    assert smp_location("http://127.0.0.1:8080/", loose).host == "127.0.0.1:8080"


def test_settings_from_the_environment() -> None:
    env = {
        "LUCY_PEPPOL_LOOKUP": "on",
        "LUCY_PEPPOL_SML_ZONE": "acc.edelivery.tech.ec.europa.eu.",
        "LUCY_PEPPOL_RESOLVER": "127.0.0.1:5353",
        "LUCY_PEPPOL_OWN_SMP": "https://SMP.lucy.example/",
        "LUCY_PEPPOL_ALLOW_HTTP": "1",
        "LUCY_PEPPOL_CACHE_SECONDS": "60",
    }
    settings = PeppolSettings.from_env(env, lookup_default=False)
    assert settings.lookup and settings.allow_http
    assert settings.sml_zone == "acc.edelivery.tech.ec.europa.eu"
    assert settings.resolver == ("127.0.0.1", 5353)
    assert settings.own_smp == "smp.lucy.example"
    assert settings.cache_seconds == 60
    defaults = PeppolSettings.from_env({}, lookup_default=True)
    assert defaults.lookup and defaults.sml_zone == PRODUCTION_SML_ZONE
    assert defaults.resolver is None and not defaults.allow_http
    assert PeppolSettings.from_env({}, lookup_default=False).lookup is False
    for name, value in (
        ("LUCY_PEPPOL_LOOKUP", "maybe"),
        ("LUCY_PEPPOL_RESOLVER", "dns.example.com:53"),
        ("LUCY_PEPPOL_RESOLVER", "127.0.0.1:99999"),
        ("LUCY_PEPPOL_SML_ZONE", "bad zone"),
        ("LUCY_PEPPOL_CACHE_SECONDS", "-1"),
    ):
        with pytest.raises(SettingError, match=name):
            PeppolSettings.from_env({name: value}, lookup_default=True)


# --- outcomes -----------------------------------------------------------------------------


def test_registered_elsewhere_names_the_provider_from_the_certificate(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.register(
        P0208, provider="Billit NV", seat="PBE000102", endpoint="https://ap.billit.test/as4"
    )
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.REGISTERED_ELSEWHERE
    assert result.provider == "Billit NV"
    assert result.seat_id == "PBE000102"
    assert result.smp_host == smp.host
    assert result.access_point_url == "https://ap.billit.test/as4"
    assert result.participant_id == P0208
    assert result.message is None
    # the SML was asked the hashed name, the SMP the ServiceGroup then the invoice's metadata
    assert sml.questions == [sml.name(P0208)]
    assert [path.lower() for path in smp.requests] == [
        "/" + participant_path(P0208).lower(),
        "/" + invoice_path(P0208).lower(),
    ]


def test_registered_here_when_the_smp_is_our_own(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    sml.point(P0208, f"https://{OWN_SMP}")
    result = lookup(sml)
    assert result.state is State.REGISTERED_HERE
    assert result.smp_host == OWN_SMP
    assert smp.requests == []  # our own SMP is not asked who we are


def test_not_registered_when_the_sml_has_no_name(network) -> None:  # type: ignore[no-untyped-def]
    sml, _ = network
    result = lookup(sml)
    assert result.state is State.NOT_REGISTERED
    assert sml.questions == [sml.name(P0208), sml.name(P9925)]  # both identifiers asked


def test_a_record_of_another_service_is_not_a_registration(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    sml.point(P0208, smp.url, service="Meta:Other")
    assert lookup(sml).state is State.NOT_REGISTERED


def test_the_vat_number_identifier_is_tried_too(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.register(P9925, provider="Unifiedpost SA", seat="PBE000203")
    sml.point(P9925, smp.url)
    result = lookup(sml)
    assert result.state is State.REGISTERED_ELSEWHERE
    assert result.participant_id == P9925
    assert result.provider == "Unifiedpost SA"


def test_a_dns_timeout_fails_and_is_not_taken_for_not_registered(network) -> None:  # type: ignore[no-untyped-def]
    sml, _ = network
    sml.mute(P0208)
    result = lookup(sml)
    assert result.state is State.LOOKUP_FAILED
    assert "DNS timeout" in (result.message or "")


def test_a_dns_timeout_of_one_identifier_with_the_other_registered(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    sml.mute(P0208)
    smp.register(P9925)
    sml.point(P9925, smp.url)
    assert lookup(sml).state is State.REGISTERED_ELSEWHERE


def test_no_dns_server_at_all_fails(network) -> None:  # type: ignore[no-untyped-def]
    sml, _ = network
    result = lookup(sml, resolver=("127.0.0.1", 9))  # nothing listens on the discard port
    assert result.state is State.LOOKUP_FAILED


@pytest.mark.parametrize(
    ("status", "words"), [(500, "answered 500"), (503, "SMP down"), (403, "answered 403")]
)
def test_an_smp_error_fails(network, status: int, words: str) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.answer(participant_path(P0208), status=status, body=b"<html>down</html>")
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.LOOKUP_FAILED
    assert words in (result.message or "")


def test_an_smp_that_does_not_know_the_participant(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    sml.point(P0208, smp.url)  # the SML says this SMP, which answers 404
    result = lookup(sml)
    assert result.state is State.REGISTERED_ELSEWHERE
    assert result.provider is None and result.smp_host == smp.host
    assert "404" in (result.message or "")


def test_an_smp_without_the_bis_billing_invoice(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.register(P0208, invoice=False)
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.REGISTERED_ELSEWHERE
    assert "BIS Billing 3.0" in (result.message or "")


def test_a_slow_smp_fails_with_a_timeout(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.register(P0208)
    smp.answer(participant_path(P0208), body=b"<ServiceGroup/>", delay=1.5)
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.LOOKUP_FAILED
    assert "timeout" in (result.message or "")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<ServiceGroup><unclosed></ServiceGroup>", "not well-formed"),
        (BILLION_LAUGHS, "DTD"),
        (EXTERNAL_ENTITY, "DTD"),
        (b"<html><body>Welcome</body></html>", "not a ServiceGroup"),
        (b"\x00\xff garbage", "not well-formed"),
    ],
    ids=["malformed", "entity-expansion", "external-entity", "html", "binary"],
)
def test_malformed_or_hostile_xml_fails(network, body: bytes, words: str) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.answer(participant_path(P0208), body=body)
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.LOOKUP_FAILED
    assert words in (result.message or "")
    assert "root:" not in (result.message or "")  # no file was read


def test_hostile_service_metadata_fails(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.register(P0208)
    smp.answer(invoice_path(P0208), body=BILLION_LAUGHS)
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.LOOKUP_FAILED
    assert "ServiceMetadata" in (result.message or "")


def test_an_answer_too_large_fails(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.answer(participant_path(P0208), body=b"<ServiceGroup>" + b" " * 600_000)
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.LOOKUP_FAILED
    assert "larger" in (result.message or "")


def test_a_certificate_without_organisation_keeps_the_seat_id(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.register(P0208, provider=None, seat="PBE000999")
    sml.point(P0208, smp.url)
    result = lookup(sml)
    assert result.state is State.REGISTERED_ELSEWHERE
    assert result.provider is None
    assert result.seat_id == "PBE000999"
    assert "no organisation" in (result.message or "")


def test_plain_http_smps_are_refused_by_default(network) -> None:  # type: ignore[no-untyped-def]
    sml, smp = network
    smp.register(P0208)
    sml.point(P0208, smp.url)
    result = lookup(sml, allow_http=False)
    assert result.state is State.LOOKUP_FAILED
    assert "https" in (result.message or "")
    assert smp.requests == []
