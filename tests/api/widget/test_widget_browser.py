"""The widget in a real browser: Playwright driving Debian's Chromium against a live server.
What it always did (answers, follow-ups, keyboard, XSS safety, errors, contrast); the reader-facing
features of issue 17 are in test_widget_product.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.api.widget.conftest import answers, ask, new_context

pytestmark = pytest.mark.browser


def test_ask_follow_up_reload_and_context(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "what did Brokenshire say?")
    expect(answers(page).last).to_contain_text("we will not be sending police to Calais")
    ask(page, "What did the mayor of Calais say?")
    expect(answers(page).last).to_contain_text("Natacha Bouchart")
    ask(page, "When did she appear before the committee?")
    expect(answers(page).nth(2)).to_contain_text("Last week")
    answers(page).nth(2).get_by_role("button", name="Show context").click()
    expect(answers(page).nth(2).locator(".ctx")).to_be_visible()
    page.reload()
    expect(page.locator(".panel")).to_be_visible()  # it was open: it comes back open
    expect(page.locator(".msg.me")).to_have_count(3)
    expect(answers(page).first).to_contain_text("sending police")
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".msg.me")).to_have_count(0)
    expect(answers(page)).to_have_count(0)


def test_payload_in_article_and_answer_stays_inert(page: Page, base_url: str) -> None:
    page.goto(base_url + "/?document=xss")
    page.click(".launch")
    ask(page, "What evil text and link are there?")
    bot = answers(page).last
    expect(bot).to_contain_text("<img src=x")
    assert page.locator(".msg img, .msg a, article img, article a").count() == 0
    bot.get_by_role("button", name="Show context").click()
    assert page.locator(".msg img, .msg a").count() == 0
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
    expect(answers(page).last).to_contain_text("£12 million")
    expect(answers(page).last.locator(".text mark")).to_have_text("£12 million")  # the answering phrase
    expect(page.locator("[aria-live=polite]")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator(".panel")).to_be_hidden()
    expect(page.locator(".launch")).to_be_focused()


def test_unreachable_service_and_rate_limit(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    box = page.locator(".panel").bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.route("**/ask", lambda route: route.abort())
    ask(page, "anything at all?")
    expect(page.locator(".msg.bot").last).to_contain_text("can't be reached")
    page.unroute("**/ask")
    page.route("**/ask", lambda route: route.fulfill(status=429, body="{}"))
    ask(page, "again?")
    expect(page.locator(".msg.bot").last).to_contain_text("Too many questions")


def _luminance(rgb: str) -> float:
    channels = [int(v) / 255 for v in rgb[rgb.index("(") + 1: rgb.index(")")].split(",")[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg: str, bg: str) -> float:
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _colors(page: Page, selector: str) -> list[str]:
    return list(page.locator(selector).first.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_contrast_passes_wcag_aa(browser: Browser, base_url: str, theme: str) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(base_url + "/")
    page.evaluate("t => document.querySelector('[data-qa-widget]').setAttribute('data-theme', t)", theme)
    page.click(".launch")
    expect(page.locator(".intro .chips button")).to_have_count(3)
    ask(page, "How much money has Britain pledged?")
    expect(page.locator(".text mark")).to_have_count(1)
    panel_bg = page.locator(".panel").evaluate("e => getComputedStyle(e).backgroundColor")
    bubble_bg = page.locator(".msg.bot").last.evaluate("e => getComputedStyle(e).backgroundColor")
    color = "e => getComputedStyle(e).color"
    pairs = {
        "launcher": _colors(page, ".launch"),
        "question": _colors(page, ".msg.me"),
        "answer": _colors(page, ".msg.bot:not(.intro)"),
        "highlight": _colors(page, ".text mark"),
        "suggestion": _colors(page, ".chips button"),
        "context link": [page.locator(".meta button").first.evaluate(color), bubble_bg],
        "feedback": [page.locator(".fb").last.evaluate(color), bubble_bg],
        "send": _colors(page, "form button"),
        "title": [page.locator("h2").evaluate(color), panel_bg],
    }
    for name, (fg, bg) in pairs.items():
        assert _contrast(fg, bg) >= 4.5, f"{theme} {name}: {fg} on {bg} is {_contrast(fg, bg):.2f}:1"
    context.close()
