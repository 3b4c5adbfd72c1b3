"""Issue 26, item 11: behind QA_TRUSTED_PROXIES, one client is one budget however its address is
written, an IPv6 client counts by its /64, and what is not an address is refused."""

from __future__ import annotations

import ipaddress

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from api.addresses import NotAnAddress, budget_key, parse
from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

ASK = {"question": "what did Brokenshire say?"}


def _client(settings: Settings, service: QAService) -> TestClient:
    tuned = settings.model_copy(update={"rate_limit": "1/minute", "trusted_proxies": ["testclient"]})
    return TestClient(create_app(tuned, service))


@pytest.mark.parametrize(("first", "others"), [
    ("2001:db8::1", ["2001:DB8::1", "2001:0db8:0000::1", "2001:db8:0:0:ffff::9", "[2001:db8::1]"]),
    ("1.2.3.4", ["::ffff:1.2.3.4", "::FFFF:102:304", " 1.2.3.4"]),
])
def test_one_client_is_one_budget_however_written(settings: Settings, service: QAService, first: str,
                                                 others: list[str]) -> None:
    with _client(settings, service) as c:
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": first}).status_code == 200
        codes = [c.post("/ask", json=ASK, headers={"X-Forwarded-For": other}).status_code for other in others]
        assert codes == [429] * len(others)
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "2001:db8:0:1::1"}).status_code == 200  # next /64


@pytest.mark.parametrize("forwarded", ["garbage-not-an-ip", "01.2.3.4", "1.2.3.4.5", "", "2001:db8::g"])
def test_a_forwarded_address_that_is_not_one_is_refused(settings: Settings, service: QAService,
                                                        forwarded: str) -> None:
    with _client(settings, service) as c:
        r = c.post("/ask", json=ASK, headers={"X-Forwarded-For": f"9.9.9.9, {forwarded}"})
        if forwarded == "":  # no address added: uvicorn keeps the peer (the test client)
            assert r.status_code == 200
            return
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
        assert "X-Forwarded-For" in r.json()["error"]["message"]


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_and_its_mapped_form_are_one_key(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    assert budget_key(str(address)) == budget_key(str(mapped)) == budget_key(mapped.exploded) == str(address)


@given(st.ip_addresses(v=6), st.integers(0, 2**64 - 1))
def test_every_address_of_a_64_is_one_key(address: ipaddress.IPv6Address, low: int) -> None:
    if address.ipv4_mapped is not None:
        return
    neighbour = ipaddress.IPv6Address((int(address) >> 64 << 64) | low)
    if neighbour.ipv4_mapped is not None:
        return
    assert budget_key(address.exploded.upper()) == budget_key(str(neighbour)) == budget_key(address.compressed)


@given(st.text(max_size=20))
def test_text_is_an_address_only_when_python_reads_one(text: str) -> None:
    try:
        ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        with pytest.raises(NotAnAddress):
            parse(text)
