"""The widget in a real browser: Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from index.embedder import FakeEmbedder
from qa.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import SEEDS

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists() and os.environ.get("CI") != "true":
    pytest.skip("Debian's chromium is not installed (apt-get install chromium); CI installs it",
                allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser
PAYLOAD = 'Evil text <img src=x onerror="window.__pwned=1"> and <a href="javascript:window.__pwned=2">link</a>.'


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("browser"), seeds_dir=SEEDS, embedder="fake")
    service = QAService.open(settings, FakeEmbedder())
    service.put(DocumentInput(id="xss", title="Payload <script>window.__pwned=3</script>",
                              text=f"The harbour reopened on Monday.\n\n{PAYLOAD}"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, service), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    service.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield pg
    assert dialogs == []
    context.close()


def ask(page: Page, question: str) -> None:
    page.fill("#qa-input", question)
    page.press("#qa-input", "Enter")


def test_ask_follow_up_reload_and_context(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "what did Brokenshire say?")
    expect(page.locator(".msg.bot").last).to_contain_text("we will not be sending police to Calais")
    ask(page, "What did the mayor of Calais say?")
    expect(page.locator(".msg.bot").last).to_contain_text("Natacha Bouchart")
    ask(page, "When did she appear before the committee?")
    expect(page.locator(".msg.bot").nth(2)).to_contain_text("Last week")
    page.locator(".msg.bot").nth(2).get_by_role("button", name="Show context").click()
    expect(page.locator(".msg.bot").nth(2).locator(".ctx")).to_be_visible()
    page.reload()
    page.click(".launch")
    expect(page.locator(".msg.me")).to_have_count(3)
    expect(page.locator(".msg.bot").first).to_contain_text("sending police")
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".msg")).to_have_count(0)


def test_abstention_is_said_kindly(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "What is the population of Paris?")
    expect(page.locator(".msg.bot").last).to_contain_text("couldn't find that in this article")


def test_payload_in_article_and_answer_stays_inert(page: Page, base_url: str) -> None:
    page.goto(base_url + "/?document=xss")
    page.click(".launch")
    ask(page, "What evil text and link are there?")
    bot = page.locator(".msg.bot").last
    expect(bot).to_contain_text("<img src=x")
    assert page.locator(".msg img, .msg a, article img, article a").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None


def test_keyboard_only_flow(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".launch")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#qa-input")).to_be_focused()
    page.keyboard.type("How much money has Britain pledged?")
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot").last).to_contain_text("£12 million")
    expect(page.locator(".msg.bot mark").last).to_have_text("£12 million")  # the answering phrase
    expect(page.locator("[aria-live=polite]")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(page.locator(".launch")).to_be_focused()


def test_phone_width_and_unreachable_service(browser: Browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.goto(base_url + "/")
    page.click(".launch")
    box = page.locator(".panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.route("**/ask", lambda route: route.abort())
    ask(page, "anything at all?")
    expect(page.locator(".msg.bot").last).to_contain_text("can't be reached")
    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.fulfill(status=429, body="{}"))
    ask(page, "again?")
    expect(page.locator(".msg.bot").last).to_contain_text("Too many questions")
    context.close()


def _luminance(rgb: str) -> float:
    channels = [int(v) / 255 for v in rgb[rgb.index("(") + 1: rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_contrast_passes_wcag_aa(browser: Browser, base_url: str, theme: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/")
    page.evaluate("t => document.querySelector('[data-qa-widget]').setAttribute('data-theme', t)", theme)
    page.click(".launch")
    ask(page, "How much money has Britain pledged?")
    expect(page.locator(".msg.bot mark")).to_have_count(1)
    panel_bg = page.locator(".panel").evaluate("e => getComputedStyle(e).backgroundColor")
    pairs = {
        "launcher": page.locator(".launch").evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"),
        "question": page.locator(".msg.me").first.evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"),
        "answer": page.locator(".msg.bot").last.evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"),
        "highlight": page.locator(".msg.bot mark").evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"),
        "context link": [page.locator(".meta button").first.evaluate("e => getComputedStyle(e).color"),
                         page.locator(".msg.bot").last.evaluate("e => getComputedStyle(e).backgroundColor")],
        "send": page.locator("form button").evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"),
        "title": [page.locator("h2").evaluate("e => getComputedStyle(e).color"), panel_bg],
    }
    for name, (fg, bg) in pairs.items():
        assert _contrast(fg, bg) >= 4.5, f"{theme} {name}: {fg} on {bg} is {_contrast(fg, bg):.2f}:1"
    context.close()
