"""The widget as readers use it (issue 17), each at 1280x800 and 360x740 unless it concerns one
size: a guided start, the launcher, the phone sheet, jumping to the answer, sources, feedback,
the marked context, abstentions, restoring a chat, the highlight, slow answers, CORS hints and
an axe-core audit."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, FloatRect, Page, Route, expect

from tests.api.widget.conftest import BRIDGE_URL, answers, ask, host_html, host_page, new_context, other_origin

pytestmark = pytest.mark.browser


def _inside(inner: FloatRect | dict[str, float] | None, outer: FloatRect | dict[str, float] | None) -> bool:
    assert inner is not None and outer is not None
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


def _viewport(page: Page) -> dict[str, float]:
    size = page.viewport_size
    assert size is not None
    return {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}


# 1 ---------------------------------------------------------------------------------------------
def test_opens_with_a_greeting_and_the_articles_own_questions(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    expect(page.locator(".intro")).to_contain_text("quoted from the article")
    served = httpx.get(base_url + "/suggestions", params={"document_id": "000_faad21c899ddfd9f"}).json()
    chips = page.locator(".intro .chips button")
    expect(chips).to_have_text([s["question"] for s in served["suggestions"]])
    first = served["suggestions"][0]["question"]
    chips.first.click()
    expect(page.locator(".msg.me").last).to_have_text(first)
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first.locator(".text")).to_be_visible()  # an answer, not an apology


# 2 ---------------------------------------------------------------------------------------------
def test_launcher_has_an_icon_and_a_name_and_toggles_the_panel(page: Page, base_url: str, size: str) -> None:
    page.goto(base_url + "/")
    launcher = page.get_by_role("button", name="Ask about this article")
    expect(launcher.locator("svg").first).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(page.locator(".panel")).to_be_visible()
    if size == "desktop":  # beside the panel, never under it; a second click closes
        expect(launcher).to_have_attribute("aria-expanded", "true")
        panel, button = page.locator(".panel").bounding_box(), launcher.bounding_box()
        assert panel is not None and button is not None and button["y"] >= panel["y"] + panel["height"]
        launcher.click()
    else:  # the sheet covers the launcher: its own close button closes it
        expect(launcher).to_be_hidden()
        page.get_by_role("button", name="Close chat").click()
    expect(page.locator(".panel")).to_be_hidden()
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


# 3 ---------------------------------------------------------------------------------------------
def test_a_phone_gets_a_full_screen_sheet_above_the_keyboard(browser: Browser, base_url: str) -> None:
    context = new_context(browser, "phone")
    page = context.new_page()
    page.goto(base_url + "/")
    page.click(".launch")
    assert page.locator(".panel").bounding_box() == _viewport(page)
    title = page.locator("h2")
    assert title.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"  # one line, never wrapped
    assert _inside(page.locator("#qa-input").bounding_box(), _viewport(page))
    expect(page.locator(".panel")).to_have_attribute("aria-modal", "true")
    page.locator("form button").focus()
    page.keyboard.press("Tab")  # modal: Tab goes round inside the sheet, never to the page behind
    expect(page.get_by_role("button", name="New chat")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.locator("form button")).to_be_focused()
    page.set_viewport_size({"width": 360, "height": 400})  # an on-screen keyboard took the rest
    expect(page.locator(".panel")).to_have_css("height", "400px")
    assert _inside(page.locator("#qa-input").bounding_box(), _viewport(page))
    context.close()


def test_a_desktop_gets_a_card_over_the_page(browser: Browser, base_url: str) -> None:
    context = new_context(browser, "desktop")
    page = context.new_page()
    page.goto(base_url + "/")
    page.click(".launch")
    box = page.locator(".panel").bounding_box()
    assert box is not None and box["width"] <= 380 and box["x"] > 800 and box["height"] <= 520
    context.close()


# 4 ---------------------------------------------------------------------------------------------
def test_jump_shows_the_sentence_uncovered_and_the_mark_clears_on_the_next_question(
        page: Page, base_url: str, size: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "What did Brokenshire say?")
    answers(page).last.get_by_role("button", name="Jump to it in the article").click()
    target = page.locator("[data-qa-marked]")
    expect(target).to_have_count(1)
    expect(target).to_contain_text("we will not be sending police to Calais")
    assert target.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 230, 138)"
    box = target.bounding_box()
    assert _inside(box, _viewport(page))
    panel = page.locator(".panel")
    if size == "phone":
        expect(panel).to_be_hidden()  # the sheet steps aside
    elif panel.is_visible():
        p = panel.bounding_box()
        assert box is not None and p is not None and box["y"] + box["height"] <= p["y"]
    if panel.is_hidden():
        page.click(".launch")
    ask(page, "How much money has Britain pledged?")
    expect(page.locator("[data-qa-marked]")).to_have_count(0)
    assert page.locator("span[data-qa-start]").nth(9).evaluate("e => e.style.backgroundColor") == ""


def test_on_a_desktop_a_sentence_that_fits_above_the_panel_lands_there(browser: Browser, base_url: str) -> None:
    context = new_context(browser, "desktop")
    page = context.new_page()
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "Where did the migrants want to travel?")
    answers(page).last.get_by_role("button", name="Jump to it in the article").click()
    expect(page.locator("[data-qa-marked]")).to_contain_text("who want to travel to Britain")
    expect(page.locator(".panel")).to_be_visible()  # the chat stays open beside it
    box, panel = page.locator("[data-qa-marked]").bounding_box(), page.locator(".panel").bounding_box()
    assert box is not None and panel is not None and box["y"] >= 0 and box["y"] + box["height"] <= panel["y"]
    context.close()


def test_jump_finds_a_sentence_with_a_link_inside_on_a_host_page(page: Page, base_url: str) -> None:
    article = ("<p>Intro.</p><p>Mayor <a href='#berg'>Tomas Berg</a> cut the ribbon at the north end of the "
               "bridge shortly after 9 a.m., watched by about 200 residents.</p><p>Outro.</p>")
    host_page(page, base_url, 'data-document-id="bridge"', article)
    page.click(".launch")
    ask(page, "Who is Tomas Berg?")
    expect(answers(page).last).to_contain_text("cut the ribbon")
    answers(page).last.get_by_role("button", name="Jump to it in the article").click()
    expect(page.locator("[data-qa-marked]")).to_have_count(1)
    expect(page.locator("main p[data-qa-marked]")).to_contain_text("watched by about 200 residents")


# 5 ---------------------------------------------------------------------------------------------
def test_answers_name_their_source_when_the_widget_searches_every_article(page: Page, base_url: str) -> None:
    host_page(page, base_url)  # no data-document-id: every article
    page.click(".launch")
    ask(page, "Who is Anna Novak?")
    source = answers(page).last.locator(".src")
    expect(source).to_contain_text("Old river bridge reopens after two years of repairs")
    link = source.get_by_role("link")
    expect(link).to_have_attribute("href", BRIDGE_URL)
    expect(link).to_have_attribute("rel", "noopener noreferrer")


def test_one_articles_page_shows_no_source_line(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "What did Brokenshire say?")
    expect(answers(page).last.locator(".text")).to_be_visible()
    expect(answers(page).last.locator(".src")).to_have_count(0)


# 6 ---------------------------------------------------------------------------------------------
def test_feedback_is_sent_once_by_keyboard_and_thanked(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "What did Brokenshire say?")
    answer = answers(page).last
    expect(answer.get_by_role("button", name="Not helpful")).to_be_visible()
    answer.get_by_role("button", name="Helpful", exact=True).focus()
    with page.expect_request("**/feedback") as sent:
        page.keyboard.press("Enter")
    body = json.loads(sent.value.post_data or "{}")
    assert body["helpful"] is True and body["question"] == "What did Brokenshire say?"
    assert "sending police" in body["answer"] and body["document_id"] == "000_faad21c899ddfd9f"
    assert body["conversation_id"] and set(body) == {"helpful", "question", "answer", "document_id",
                                                     "conversation_id"}
    expect(answer.locator(".fb")).to_have_text("Thanks for your feedback.")
    expect(answer.get_by_role("button", name="Helpful", exact=True)).to_have_count(0)
    page.reload()
    expect(answers(page).last.locator(".fb")).to_have_text("Thanks for your feedback.")  # not offered again


# 7 ---------------------------------------------------------------------------------------------
def test_context_marks_the_answer_within_it(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    ask(page, "How much money has Britain pledged?")
    answer = answers(page).last
    answer.get_by_role("button", name="Show context").click()
    expect(answer.locator(".ctx mark")).to_have_text(answer.locator(".text").inner_text())
    assert len(answer.locator(".ctx").inner_text()) > len(answer.locator(".ctx mark").inner_text())


# 8 ---------------------------------------------------------------------------------------------
def test_abstentions_say_why_and_offer_the_suggestions_again(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    expect(page.locator(".intro .chips button")).to_have_count(3)
    ask(page, "What is the population of Paris?")
    expect(answers(page).last).to_contain_text("couldn't find that in this article")
    expect(answers(page).last.locator(".chips button")).to_have_count(3)
    page.get_by_role("button", name="New chat").click()
    # The server's reason (tested in tests/api/test_ask.py) comes from its learned decision, which the
    # fake encoder cannot drive: the widget's side is tested with the response the server gives then.
    unresolved: dict[str, Any] = {"answer": None, "passages": [], "conversation_id": "c1",
                                  "abstention": "unresolved_follow_up"}
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="application/json",
                                                      body=json.dumps(unresolved)))
    ask(page, "Why did he sell his bicycle?")
    expect(answers(page).last).to_contain_text("couldn't tell who or what that question refers to")
    page.unroute("**/ask")
    again = answers(page).last.locator(".chips button")
    expect(again).to_have_count(3)
    again.first.click()
    expect(answers(page).last.locator(".text")).to_be_visible()


# 9 ---------------------------------------------------------------------------------------------
def test_a_reloaded_chat_opens_at_its_latest_answer(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    for i, question in enumerate(["What did Brokenshire say?", "How much money has Britain pledged?",
                                  "What did the mayor of Calais say?", "Who is Theresa May?"], start=1):
        ask(page, question)
        expect(answers(page)).to_have_count(i)
    page.reload()
    expect(answers(page)).to_have_count(4)
    log, latest = page.locator(".log").bounding_box(), answers(page).last.bounding_box()
    assert log is not None and latest is not None
    assert _inside(latest, log)  # in view, not scrolled back to the greeting
    assert page.locator(".log").evaluate("e => e.scrollTop") > 0


# 10 --------------------------------------------------------------------------------------------
STUB: dict[str, Any] = {"text": 'The repairs took 9 hours and cost "7 million euros", the council said.', "score": 2.0,
        "document_id": "000_faad21c899ddfd9f", "document_title": "T", "sentence_index": 0, "start": 0,
        "end": 70, "context": "Before. The repairs took 9 hours.", "document_url": None}


def _stub(page: Page, highlight: list[int] | None) -> None:
    reply: dict[str, Any] = {"answer": {**STUB, "highlight": highlight}, "passages": [], "conversation_id": "c",
                             "abstention": None}
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="application/json",
                                                     body=json.dumps(reply)))


@pytest.mark.parametrize("phrase", ["9 hours", '"7 million euros"'])
def test_the_highlight_is_exactly_the_span_the_service_returned(page: Page, base_url: str, phrase: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    start = STUB["text"].index(phrase)
    _stub(page, [start, start + len(phrase)])
    ask(page, "anything")
    expect(answers(page).last.locator(".text mark")).to_have_text(phrase)


def test_no_highlight_when_the_service_returns_none(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    _stub(page, None)
    ask(page, "anything")
    expect(answers(page).last.locator(".text")).to_have_text(STUB["text"])
    expect(answers(page).last.locator(".text mark")).to_have_count(0)


def test_the_closest_passage_is_shown_as_such_without_a_highlight(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    reply: dict[str, Any] = {"answer": None, "closest": {**STUB, "highlight": None}, "passages": [],
                             "conversation_id": "c", "abstention": "uncertain"}
    page.route("**/ask", lambda route: route.fulfill(status=200, content_type="application/json",
                                                     body=json.dumps(reply)))
    ask(page, "how long did the repairs take")
    shown = answers(page).last
    expect(shown.locator(".lead")).to_have_text("The article may not say exactly; this is the closest passage:")
    expect(shown.locator(".text")).to_have_text(STUB["text"])
    expect(shown.locator(".text mark")).to_have_count(0)
    expect(shown.get_by_role("button", name="Show context")).to_be_visible()
    page.reload()  # restored from the stored chat the same way
    expect(answers(page).last.locator(".lead")).to_have_count(1)


# 11 --------------------------------------------------------------------------------------------
def test_a_slow_answer_is_given_up_and_can_be_retried(page: Page, base_url: str) -> None:
    held: list[Route] = []
    page.route("**/ask", lambda route: held.append(route))  # never answered
    host_page(page, base_url, 'data-document-id="000_faad21c899ddfd9f" data-timeout="1"')
    page.click(".launch")
    ask(page, "What did Brokenshire say?")
    retry = page.get_by_role("button", name="Try again")
    expect(retry).to_be_visible()
    expect(page.locator(".typing")).to_have_count(0)
    page.unroute("**/ask")
    retry.click()
    expect(answers(page).last).to_contain_text("sending police")
    expect(retry).to_have_count(0)


# issue 15, item 5 ------------------------------------------------------------------------------
def test_a_blocked_cross_origin_call_names_the_setting_in_the_console(page: Page, base_url: str) -> None:
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    with other_origin(host_html(base_url, 'data-document-id="000_faad21c899ddfd9f"')) as url:
        page.goto(url)  # an origin the service does not allow (QA_CORS_ORIGINS is empty)
        page.click(".launch")
        ask(page, "What did Brokenshire say?")
        expect(page.locator(".msg.bot").last).to_contain_text("can't be reached")
    origin = url.rstrip("/")
    assert any("QA_CORS_ORIGINS" in m and f"({origin})" in m for m in messages), messages
    assert sum("QA_CORS_ORIGINS" in m for m in messages) == 1  # said once, not at every call


# axe-core --------------------------------------------------------------------------------------
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation_in_the_open_widget(
        page: Page, base_url: str, theme: str) -> None:
    page.goto(base_url + "/")
    page.evaluate("t => document.querySelector('[data-qa-widget]').setAttribute('data-theme', t)", theme)
    page.click(".launch")
    expect(page.locator(".intro .chips button")).to_have_count(3)
    ask(page, "What did Brokenshire say?")
    expect(answers(page)).to_have_count(1)
    ask(page, "What is the population of Paris?")
    expect(answers(page)).to_have_count(2)
    answers(page).first.get_by_role("button", name="Show context").click()
    results = Axe().run(page, context="[data-qa-widget]").response
    bad = [f"{v['id']} ({v['impact']}): {v['help']}" for v in results["violations"]
           if v["impact"] in ("serious", "critical")]
    assert bad == [], bad
    assert len(results["passes"]) > 10  # it did look at the widget


def test_a_damaged_stored_chat_starts_afresh(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    key = f"qa-widget:{base_url}:000_faad21c899ddfd9f"
    page.evaluate("k => sessionStorage.setItem(k, JSON.stringify({open: true, messages: [{kind: 'bot', "
                  "text: 'x', answer: {}}]}))", key)
    page.reload()
    page.click(".launch")
    expect(page.locator(".intro")).to_be_visible()
    expect(answers(page)).to_have_count(0)
    ask(page, "What did Brokenshire say?")
    expect(answers(page).last).to_contain_text("sending police")
