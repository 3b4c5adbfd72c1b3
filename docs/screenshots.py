"""Screenshots of the open widget with three answers, at a desktop and a phone size, for the README.

    .venv/bin/python docs/screenshots.py     # writes docs/widget-desktop.png and docs/widget-phone.png

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
from tests.helpers import serving  # noqa: E402

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


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="qa-screens-") as folder:
        settings = Settings(data_dir=Path(folder), seeds_dir=ROOT / "seeds")
        service = QAService.open(settings)
        try:
            with serving(settings, service) as base_url, sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
                for name, viewport in SIZES.items():
                    context = browser.new_context(viewport=viewport, reduced_motion="reduce")  # type: ignore[arg-type]
                    page = context.new_page()
                    three_answers(page, base_url)
                    page.screenshot(path=str(ROOT / "docs" / f"widget-{name}.png"))
                    context.close()
                browser.close()
        finally:
            service.close()


if __name__ == "__main__":
    main()
