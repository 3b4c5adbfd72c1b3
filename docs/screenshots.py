"""Screenshots of the open widget with three answers, at a desktop and a phone size, for the README;
and of a Markdown article's preview page (added over HTTP, no `format`) after one answer.

    .venv/bin/python docs/screenshots.py           # docs/widget-{desktop,phone}.png, docs/preview-{desktop,phone}.png
    .venv/bin/python docs/screenshots.py preview   # only the preview ones

Runs the real model on the seed article in a temporary folder, and Debian's Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.service import QAService  # noqa: E402
from qa.settings import Settings  # noqa: E402
from tests.api.widget.conftest import CHROMIUM, SIZES, answers  # noqa: E402
from tests.conftest import ADMIN_KEY  # noqa: E402
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


def main(which: str = "all") -> None:
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


if __name__ == "__main__":
    main(*sys.argv[1:2])
