import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from api.access import RateLimiter
from api.app import create_app
from qa.service import QAService
from qa.settings import Settings

ASK = {"question": "what did Brokenshire say?"}


def _client(settings: Settings, service: QAService, **changes: object) -> TestClient:
    return TestClient(create_app(Settings(**{**settings.model_dump(), **changes}), service))


def test_read_keys_when_configured(settings: Settings, service: QAService) -> None:
    with _client(settings, service, api_keys="k1,k2", cors_origins="https://news.example") as c:
        assert c.post("/ask", json=ASK).status_code == 401
        assert c.post("/ask", json=ASK, headers={"Authorization": "Bearer nope"}).status_code == 403
        assert c.post("/ask", json=ASK, headers={"Authorization": "Bearer k2"}).status_code == 200
        # An Origin header alone is no credential: any script can send one.
        assert c.post("/ask", json=ASK, headers={"Origin": "https://news.example"}).status_code == 401
        assert c.post("/ask", json=ASK, headers={"Origin": "https://evil.example"}).status_code == 401
        chat = {"messages": [{"role": "user", "content": "hi"}]}
        assert c.post("/v1/chat/completions", json=chat).status_code == 401
        assert c.get("/healthz").status_code == 200  # health stays open


@pytest.mark.parametrize("header", ["Bearer k1", "bearer k1", "BEARER   k1 ", "Bearer k1\t"])
def test_read_keys_and_the_admin_key_are_read_from_the_header_alike(settings: Settings, service: QAService,
                                                                    header: str) -> None:
    # One parser (api.deps.bearer): a form a read key is accepted in is accepted for the admin key.
    with _client(settings, service, api_keys="k1", admin_key="k1") as c:
        assert c.post("/ask", json=ASK, headers={"Authorization": header}).status_code == 200
        doc = {"id": "alike", "text": "The ferry sails at noon."}
        assert c.post("/documents", json=doc, headers={"Authorization": header}).status_code == 201
    for wrong in ("Basic k1", "Bearer", "Bearerk1"):
        with _client(settings, service, api_keys="k1", admin_key="k1") as c:
            assert c.post("/ask", json=ASK, headers={"Authorization": wrong}).status_code == 401
            assert c.post("/documents", json={"text": "x"}, headers={"Authorization": wrong}).status_code == 401


def test_rate_limit_answers_429_with_retry_after(settings: Settings, service: QAService) -> None:
    with _client(settings, service, rate_limit="3/minute") as c:
        codes = [c.post("/ask", json=ASK).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = c.post("/ask", json=ASK)
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.json()["error"]["code"] == "rate_limited"

    with _client(settings, service, rate_limit="2/minute", api_keys="k1,k2") as c:
        for key in ("k1", "k1"):
            assert c.post("/ask", json=ASK, headers={"Authorization": f"Bearer {key}"}).status_code == 200
        # Another valid key is another budget.
        assert c.post("/ask", json=ASK, headers={"Authorization": "Bearer k2"}).status_code == 200


def test_forwarded_for_only_from_trusted_proxies(settings: Settings, service: QAService) -> None:
    with _client(settings, service, rate_limit="1/minute") as c:
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
        # Spoofing another address does not buy a new budget from an untrusted peer.
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429
    with _client(settings, service, rate_limit="1/minute", trusted_proxies="testclient") as c:
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 200
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


def test_the_client_is_the_rightmost_address_no_trusted_proxy_added(settings: Settings,
                                                                   service: QAService) -> None:
    # The leftmost address is whatever the client wrote; the proxy appends the one it saw.
    with _client(settings, service, rate_limit="1/minute", trusted_proxies="testclient,10.0.0.0/8") as c:
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "9.9.9.1, 3.3.3.3"}).status_code == 200
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "9.9.9.2, 3.3.3.3"}).status_code == 429
        # Behind two trusted proxies: the address the outer one saw.
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "9.9.9.3, 3.3.3.3, 10.1.2.3"}).status_code == 429
        assert c.post("/ask", json=ASK, headers={"X-Forwarded-For": "9.9.9.3, 4.4.4.4"}).status_code == 200


def test_made_up_bearer_tokens_share_the_client_address_budget(settings: Settings, service: QAService) -> None:
    # Without read keys configured no token is valid; with them, a wrong one is refused: either
    # way a rotating token never buys a new budget.
    with _client(settings, service, rate_limit="2/minute") as c:
        codes = [c.post("/ask", json=ASK, headers={"Authorization": f"Bearer r{i}"}).status_code for i in range(4)]
        assert codes == [200, 200, 429, 429]


def test_a_batch_counts_each_question(settings: Settings, service: QAService) -> None:
    with _client(settings, service, rate_limit="5/minute") as c:
        assert c.post("/ask/batch", json={"questions": [ASK] * 6}).status_code == 429  # 6 > 5
        assert c.post("/ask/batch", json={"questions": [ASK] * 3}).status_code == 200  # 1 + 3
        assert c.post("/ask", json=ASK).status_code == 200  # 5
        assert c.post("/ask", json=ASK).status_code == 429


@pytest.mark.slow  # two interpreters
def test_key_identity_is_the_same_in_every_process() -> None:
    # hash() is salted per process: workers would disagree on who is who.
    code = "from api.access import fingerprint; print(fingerprint('k1'))"
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(seen) == 1 and "k1" not in seen.pop()


def test_limiter_window_slides() -> None:
    limiter = RateLimiter(2, 10.0)
    assert limiter.retry_after("a", 0.0) == 0 and limiter.retry_after("a", 1.0) == 0
    assert limiter.retry_after("a", 2.0) == pytest.approx(8.0)
    assert limiter.retry_after("a", 10.5) == 0  # the first hit left the window


def test_bad_rate_limit_setting_is_rejected() -> None:
    with pytest.raises(ValueError):
        Settings(rate_limit="lots")
