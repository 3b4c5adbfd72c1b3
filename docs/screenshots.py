"""Screenshots of the open widget with three answers, at a desktop and a phone size, for the README;
of a Markdown article's preview page (added over HTTP, no `format`) after one answer; and of the
editors' insights page after a week of readers' questions.

    .venv/bin/python docs/screenshots.py           # docs/widget-{desktop,phone}.png, docs/preview-{desktop,phone}.png
    .venv/bin/python docs/screenshots.py preview   # only the preview ones
    .venv/bin/python docs/screenshots.py insights  # only docs/insights.png

Runs the real model on the seed article in a temporary folder, and Debian's Chromium.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.service import QAService  # noqa: E402
from qa.settings import Settings  # noqa: E402
from tests.api.widget.conftest import CHROMIUM, SIZES, answers  # noqa: E402
from tests.conftest import ADMIN_KEY, SEED_ID  # noqa: E402
from tests.helpers import call, serving  # noqa: E402

STORM = """# Storm hits the coast

*By Jane Doe, Weather correspondent*

A storm hit the coast on Sunday night, bringing winds of up to 120 km/h and flooding
the harbour road in Port Ellen.

## Power cuts

About 14,000 homes lost power. Power should be back on by Tuesday evening, the grid
operator said, as crews work through the night to clear **fallen lines**.

## One death

A man died when a tree fell on his car near Bowmore. Police have closed the road
until Wednesday.
"""
QUESTIONS = ["How much money has Britain pledged?", "When did she appear before the committee?"]
# A week of readers' questions about the seed article, some asked again in other words, by day (6 = six days ago).
WEEK = {6: ["Who is the mayor of Calais?", "How many migrants are in Calais?", "How old is Natacha Bouchart?"],
        5: ["what age is natacha bouchart", "how much has britain pledged", "how many migrants are there now"],
        4: ["What did Brokenshire say?", "how old is the calais mayor", "When did the migrants arrive?"],
        3: ["when did the migrants get to calais", "what does cazeneuve want", "How old is Bouchart?"],
        2: ["Is the Eurotunnel closed?", "how many migrants are in calais now", "what did the minister say"],
        1: ["is the eurotunnel shut", "when did the migrants come", "who is brokenshire"],
        0: ["How old is the mayor?", "Is the tunnel closed?", "What is the £12 million for?"]}


def three_answers(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.click(".launch")
    page.locator(".intro .chips button").nth(2).click()  # a suggested question: "Who is Natacha Bouchart?"
    expect(answers(page)).to_have_count(1)
    for i, question in enumerate(QUESTIONS, start=2):
        page.fill("#qa-input", question)
        page.press("#qa-input", "Enter")
        expect(answers(page)).to_have_count(i)
    page.locator("#qa-input").blur()


def preview_answered(page: Page, base_url: str, document_id: str) -> None:
    page.goto(f"{base_url}/preview/{document_id}")
    page.click(".launch")
    page.fill("#qa-input", "When will power be back on?")
    page.press("#qa-input", "Enter")
    expect(answers(page)).to_have_count(1)
    page.locator("#qa-input").blur()


def a_week_of_questions(service: QAService, base_url: str) -> None:
    """Readers' questions over the past week (the recorder's clock set back a day at a time), and a
    thumbs-down on one answer."""
    now = time.time()
    for days, questions in WEEK.items():
        service.insights.clock = lambda days=days: now - days * 86_400  # type: ignore[misc]
        for question in questions:
            status, body = call(base_url + "/ask", "POST", {"question": question, "document_id": SEED_ID})
            assert status == 200, body
    service.insights.clock = time.time
    call(base_url + "/feedback", "POST", {"helpful": False, "answer_id": body["answer_id"]})


def insights_page(page: Page, base_url: str) -> None:
    page.goto(base_url + "/admin/insights?since=7")
    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Open").click()
    expect(page.locator("section svg")).to_be_visible()


def insights(browser: Browser) -> None:
    with tempfile.TemporaryDirectory(prefix="qa-screens-") as folder:
        settings = Settings(data_dir=Path(folder), seeds_dir=ROOT / "seeds", admin_key=ADMIN_KEY, insights=True)
        service = QAService.open(settings)
        try:
            with serving(settings, service) as base_url:
                a_week_of_questions(service, base_url)
                context = browser.new_context(viewport={"width": 1000, "height": 1000}, reduced_motion="reduce")
                page = context.new_page()
                insights_page(page, base_url)
                page.screenshot(path=str(ROOT / "docs" / "insights.png"), full_page=True)
                context.close()
        finally:
            service.close()


def main(which: str = "all") -> None:
    if which == "insights":
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            insights(browser)
            browser.close()
        return
    with tempfile.TemporaryDirectory(prefix="qa-screens-") as folder:
        settings = Settings(data_dir=Path(folder), seeds_dir=ROOT / "seeds", admin_key=ADMIN_KEY)
        service = QAService.open(settings)
        try:
            with serving(settings, service) as base_url, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
                for name, viewport in SIZES.items() if which == "all" else ():
                    context = browser.new_context(viewport=viewport, reduced_motion="reduce")  # type: ignore[arg-type]
                    page = context.new_page()
                    three_answers(page, base_url)
                    page.screenshot(path=str(ROOT / "docs" / f"widget-{name}.png"))
                    context.close()
                status, body = call(base_url + "/documents", "POST", {"text": STORM}, key=ADMIN_KEY)
                assert status == 201, body
                for name, viewport in SIZES.items():
                    # The phone as a phone: its browser honours the page's viewport meta tag.
                    context = browser.new_context(viewport=viewport, reduced_motion="reduce",  # type: ignore[arg-type]
                                                  is_mobile=name == "phone", has_touch=name == "phone")
                    page = context.new_page()
                    preview_answered(page, base_url, body["id"])
                    page.screenshot(path=str(ROOT / "docs" / f"preview-{name}.png"))
                    context.close()
                browser.close()
        finally:
            service.close()
    if which == "all":
        main("insights")


if __name__ == "__main__":
    main(*sys.argv[1:2])
