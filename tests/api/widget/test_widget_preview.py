"""A newsroom developer's first try (issue 24): a Markdown article added over HTTP, without a
`format`, opened in its preview page with the widget on it; and a host page without a viewport
meta tag, which the widget names in the console."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.api.widget.conftest import answers, ask, host_html, host_page
from tests.conftest import ADMIN_KEY
from tests.helpers import call

pytestmark = pytest.mark.browser

TITLE = "Storm <b> hits the coast & the harbour"
# Markup inside code spans is text, kept as such: the preview must show it, never run it.
STORM = """# Storm `<b>` hits the coast & the harbour

*By Jane Doe, Weather correspondent*

A storm hit the coast on Sunday night.

## Power cuts

Power should be back on by Tuesday evening, the grid operator said.
The outage map read `<img src=x onerror="window.__pwned=1">` & more for hours.

## One death

A man died when a tree fell on his car.
"""
VIEWPORT_FIX = '<meta name="viewport" content="width=device-width, initial-scale=1">'


@pytest.fixture(scope="module")
def storm(base_url: str) -> Iterator[str]:
    """The article's id, as POST /documents assigned it (no id, no format: the format is sniffed)."""
    status, body = call(base_url + "/documents", "POST", {"text": STORM}, key=ADMIN_KEY)
    assert status == 201, body
    yield str(body["id"])


def test_a_markdown_article_added_over_http_previews_escaped_with_a_widget_that_answers(
        page: Page, base_url: str, storm: str, size: str) -> None:
    page.goto(f"{base_url}/preview/{storm}")
    expect(page).to_have_title(TITLE)
    expect(page.locator("article h1")).to_have_text(TITLE)
    article = page.locator("article")
    expect(article).to_contain_text('The outage map read <img src=x onerror="window.__pwned=1"> & more for hours.')
    assert page.locator("article img, article b").count() == 0  # shown as text, never markup
    text = article.inner_text()
    assert "##" not in text and "`" not in text and "Power cuts" not in text  # Markdown read, not shown
    launch = page.locator(".launch")
    expect(launch).to_be_visible()
    expect(launch).to_have_accessible_name("Ask about this article")
    launch.click()
    ask(page, "When will power be back on?")
    expect(answers(page).last).to_contain_text("Power should be back on by Tuesday evening")
    if size == "phone":  # the preview page has a viewport meta tag: the full-screen sheet
        viewport = page.viewport_size
        assert viewport and page.locator(".panel").bounding_box() == {
            "x": 0, "y": 0, "width": viewport["width"], "height": viewport["height"]}
    else:  # at 1280 px the article stands left of the open panel, not under it
        text_box, panel_box = article.bounding_box(), page.locator(".panel").bounding_box()
        assert text_box and panel_box and text_box["x"] + text_box["width"] <= panel_box["x"]
    assert page.evaluate("window.__pwned") is None


def _warnings(page: Page) -> list[str]:
    found: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "warning":
            found.append(message.text)

    page.on("console", keep)
    return found


def test_a_host_page_without_a_viewport_meta_tag_gets_one_warning_naming_the_fix(page: Page, base_url: str) -> None:
    warnings = _warnings(page)
    host_page(page, base_url)
    expect(page.locator(".launch")).to_be_visible()  # the script ran to its end
    assert len(warnings) == 1, warnings
    assert "no viewport meta tag" in warnings[0] and VIEWPORT_FIX in warnings[0]


def test_pages_with_a_viewport_meta_tag_get_no_warning(page: Page, base_url: str, storm: str) -> None:
    warnings = _warnings(page)
    url = f"{base_url}/tagged-host.html"
    html = host_html(base_url).replace("<head>", '<head><meta name="Viewport" content="width=device-width">')
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    page.goto(url)
    expect(page.locator(".launch")).to_be_visible()
    page.goto(f"{base_url}/preview/{storm}")
    expect(page.locator(".launch")).to_be_visible()
    assert warnings == []
