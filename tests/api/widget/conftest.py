"""What the widget's browser tests share: a live server with a few articles, Debian's Chromium
driven by Playwright, pages at a desktop and a phone size, and small helpers."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, sync_playwright

from index.embedders.base import FakeEmbedder
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import ADMIN_KEY, NEUTRAL, ROOT, SEEDS
from tests.helpers import free_port, serving

CHROMIUM = Path("/usr/bin/chromium")

PAYLOAD = 'Evil text <img src=x onerror="window.__pwned=1"> and <a href="javascript:window.__pwned=2">link</a>.'
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
BRIDGE = ROOT / "tests" / "data" / "bridge_reopens.txt"
BRIDGE_URL = "https://news.example/bridge-reopens"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # With an admin key, a test can add an article over HTTP as a newsroom would (Bearer ADMIN_KEY).
    settings = Settings(data_dir=tmp_path_factory.mktemp("browser"), seeds_dir=SEEDS, embedder="fake",
                        answerability_model=NEUTRAL, admin_key=ADMIN_KEY)
    service = QAService.open(settings, FakeEmbedder())
    service.put(DocumentInput(id="xss", title="Payload <script>window.__pwned=3</script>",
                              text=f"The harbour reopened on Monday.\n\n{PAYLOAD}"))
    service.put(DocumentInput(id="bridge", text=BRIDGE.read_text(), url=BRIDGE_URL))
    with serving(settings, service) as url:
        yield url
    service.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists() and os.environ.get("CI") != "true":
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def new_context(browser: Browser, size: str = "desktop") -> BrowserContext:
    # Reduced motion: the widget then scrolls at once rather than smoothly, nothing to wait out.
    return browser.new_context(viewport=SIZES[size], reduced_motion="reduce")  # type: ignore[arg-type]


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, size: str) -> Iterator[Page]:
    """A page at both sizes; a test fails if the page opened an alert (an XSS would)."""
    context = new_context(browser, size)
    pg = context.new_page()
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", refuse)
    yield pg
    assert dialogs == []
    context.close()


def ask(page: Page, question: str) -> None:
    page.fill("#qa-input", question)
    page.press("#qa-input", "Enter")


def answers(page: Page) -> Locator:
    """The widget's replies, without its greeting and the "looking" placeholder."""
    return page.locator(".msg.bot:not(.intro):not(.typing)")


def host_html(base_url: str, attributes: str = "", article: str = "<p>Some article text.</p>") -> str:
    return ("<!doctype html><html lang='en'><head><title>Host</title></head><body><main><h1>Host page</h1>"
            f"{article}</main><script src='{base_url}/widget.js' {attributes}></script></body></html>")


def host_page(page: Page, base_url: str, attributes: str = "", article: str = "<p>Some article text.</p>") -> None:
    """A host page of its own, on the service's origin, with the widget on it."""
    url = f"{base_url}/host-page.html"
    html = host_html(base_url, attributes, article)
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(url)


@contextmanager
def other_origin(html: str) -> Iterator[str]:
    """A real second server on the loopback serving one page: another origin than the service's.
    (A page faked by routing would count as a public one, which Chromium keeps off loopback.)"""
    body = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
