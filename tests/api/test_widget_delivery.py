"""How widget.js travels: minified, brotli- or gzip-compressed as the browser takes it, with an
ETag and a lifetime so that a news site's second page view fetches nothing (or a bodiless 304), and
HEAD answered."""

from __future__ import annotations

import gzip

import brotli
import pytest
import rjsmin
from fastapi.testclient import TestClient

from api.widget import WIDGET, preferred_coding, widget_asset


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_the_widget_is_compressed_for_a_browser_that_takes_it(client: TestClient, coding: str) -> None:
    source = WIDGET.read_bytes()
    r = client.get("/widget.js", headers={"Accept-Encoding": f"{coding}, deflate"})
    assert r.status_code == 200 and r.headers["content-encoding"] == coding
    assert r.content == widget_asset().plain  # httpx undoes the coding: the minified script
    assert int(r.headers["content-length"]) < len(source) / 3 and "accept-encoding" in r.headers["vary"].lower()
    plain = client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == widget_asset().plain
    assert plain.headers["content-type"].startswith("text/javascript")


def test_brotli_is_preferred_to_gzip_as_browsers_offer_both(client: TestClient) -> None:
    both = client.get("/widget.js", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    gz = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert both.headers["content-encoding"] == "br"
    assert int(both.headers["content-length"]) < int(gz.headers["content-length"])


def test_a_second_page_view_revalidates_to_a_bodiless_304(client: TestClient) -> None:
    first = client.get("/widget.js")
    etag, cache = first.headers["etag"], first.headers["cache-control"]
    assert etag.startswith('W/"') and "public" in cache and "max-age=3600" in cache
    again = client.get("/widget.js", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == cache
    assert client.get("/widget.js", headers={"If-None-Match": '"other", ' + etag.removeprefix("W/")}).status_code == 304
    assert client.get("/widget.js", headers={"If-None-Match": 'W/"stale"'}).status_code == 200


def test_head_answers_with_the_headers_of_get(client: TestClient) -> None:
    got = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    head = client.head("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""
    for name in ("content-length", "content-encoding", "etag", "cache-control", "content-type"):
        assert head.headers[name] == got.headers[name]


def test_what_is_sent_is_the_minified_script() -> None:
    asset = widget_asset()
    source = WIDGET.read_text(encoding="utf-8")
    assert asset.plain == rjsmin.jsmin(source).encode() and len(asset.plain) < len(source.encode())
    assert gzip.decompress(asset.encoded["gzip"]) == brotli.decompress(asset.encoded["br"]) == asset.plain
    assert b"// " not in asset.plain  # comments are for the repository, not every reader's phone
    assert widget_asset() is asset  # minified and compressed once, not per request


@pytest.mark.parametrize("header,expected", [
    ("gzip", "gzip"), ("deflate, gzip;q=0.5", "gzip"), ("GZIP", "gzip"), ("*", "br"), ("br", "br"),
    ("br;q=0.5, gzip", "gzip"), ("br;q=1, *;q=0.1", "br"), ("gzip, br", "br"), ("x-gzip", "gzip"),
    ("gzip;q=0", None), ("identity", None), ("", None), ("deflate", None), ("gzip;q=oops", None),
    ("*;q=0", None), ("br;q=0, *", "gzip"),
])
def test_accept_encoding_is_read_with_its_weights(header: str, expected: str | None) -> None:
    assert preferred_coding(header) == expected


def test_any_stored_article_has_a_preview_page_with_the_widget(client: TestClient, admin: dict[str, str]) -> None:
    text = "The harbour <b>reopened</b> on Monday.\n\nIt cost 4 million euros & more."
    assert client.put("/documents/world/harbour", json={"title": "Harbour <i>reopens</i>", "text": text},
                      headers=admin).status_code == 201
    page = client.get("/preview/world/harbour")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    body = page.text
    assert "<h1>Harbour &lt;i&gt;reopens&lt;/i&gt;</h1>" in body and "<b>" not in body  # escaped, never markup
    assert "The harbour &lt;b&gt;reopened&lt;/b&gt; on Monday." in body and "4 million euros &amp; more." in body
    assert '<script src="/widget.js" data-document-id="world/harbour"' in body  # same origin: no CORS setup
    assert "script-src 'self'" in page.headers["content-security-policy"]  # the page's policy: the widget runs
    assert client.get("/?document_id=world/harbour").text.count("Harbour &lt;i&gt;reopens") == 2  # title, h1
    missing = client.get("/preview/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_browser_asking_for_an_icon_gets_no_error(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 204 and r.content == b"" and "max-age" in r.headers["cache-control"]
