"""Security headers on pages, the widget script and the docs; the docs served without a CDN."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("path", ["/", "/widget.js", "/docs", "/healthz", "/documents"])
def test_every_response_carries_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy or path == "/widget.js" and "default-src 'none'" in policy


def test_errors_carry_them_too(client: TestClient) -> None:
    r = client.get("/documents/nope")
    assert r.status_code == 404 and r.headers["x-content-type-options"] == "nosniff"


def test_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for asset in sources:
        assert client.get(asset).status_code == 200
    # The inline script that starts Swagger UI is allowed by its hash, nothing else inline.
    script = re.search(r"<script>(.*?)</script>", page.text, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    policy = page.headers["content-security-policy"]
    assert f"'sha256-{digest}'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert client.get("/redoc").status_code == 404  # the CDN-only page is gone
