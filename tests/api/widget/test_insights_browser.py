"""The editors' insights page in Chromium, as an editor meets it: readers ask on an article's
preview page and one gives a thumbs down; the page shows nothing until the admin key is given in
its form, then each article's chart of outcomes, its unanswered questions grouped, and the answer
marked unhelpful; the session holds across a filter; signing out ends it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from index.embedders.base import FakeEmbedder
from qa.service import QAService
from qa.settings import Settings
from tests.api.widget.conftest import answers, ask, new_context
from tests.conftest import ADMIN_KEY, NEUTRAL, SEED_ID, SEEDS
from tests.helpers import call, serving

pytestmark = pytest.mark.browser
ASKED = ["How old is the mayor?", "how old is the mayor", "HOW OLD IS THE MAYOR?", "Is <i>the ferry</i> free?"]


@pytest.fixture(scope="module")
def insights_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Nothing clears the answer cut-off and everything clears the closest one: every question gets
    # the closest passage, with its thumbs up and down, and counts as not answered.
    settings = Settings(data_dir=tmp_path_factory.mktemp("insights") / "data", seeds_dir=SEEDS, embedder="fake",
                        answerability_model=NEUTRAL, admin_key=ADMIN_KEY, insights=True, min_confidence=1.0,
                        closest_confidence=0.0)
    service = QAService.open(settings, FakeEmbedder())
    with serving(settings, service) as url:
        for question in ASKED:
            assert call(url + "/ask", "POST", {"question": question, "document_id": SEED_ID})[0] == 200
        yield url
    service.close()


@pytest.fixture
def editor(browser: Browser) -> Iterator[Page]:
    context = new_context(browser)
    yield context.new_page()
    context.close()


def test_an_editor_reads_what_readers_wanted_to_know(editor: Page, insights_url: str, tmp_path: Path) -> None:
    page = editor
    page.goto(f"{insights_url}/preview/{SEED_ID}")
    page.click(".launch")
    ask(page, "Who pays for the ferry?")
    reply = answers(page).last
    with page.expect_response("**/feedback") as sent:
        reply.get_by_role("button", name="Not helpful").click()
    assert sent.value.status == 201 and "answer_id" in (sent.value.request.post_data or "")

    page.goto(f"{insights_url}/admin/insights")
    expect(page.get_by_label("Admin key")).to_be_visible()
    assert "mayor" not in page.content()  # no data before the key
    page.get_by_label("Admin key").fill("not the key")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("alert")).to_have_text("That is not the admin key.")
    page.get_by_label("Admin key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Open").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("What readers wanted to know")
    section = page.locator("section").first
    expect(section.locator("svg rect.closest")).to_have_count(1)  # today's bar: every question got a closest passage
    expect(section.locator("ol > li").first).to_contain_text("3× How old is the mayor?")
    expect(section).to_contain_text("Is <i>the ferry</i> free?")  # shown as text, never markup
    assert section.locator("li i").count() == 0
    expect(section).to_contain_text("Marked unhelpful")
    expect(section).to_contain_text("Who pays for the ferry?")
    page.screenshot(path=str(tmp_path / "insights.png"), full_page=True)

    section.get_by_role("link", name="only this").click()
    expect(page.get_by_role("link", name="all articles")).to_be_visible()  # still signed in
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Admin key")).to_be_visible()
