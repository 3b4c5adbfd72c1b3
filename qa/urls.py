"""Document urls: the one rule for every way a url gets in (the API's `url`, a JSON document's own
`url`, an archive line, a page's canonical link, a Python caller). A url is shown as a link and
echoed in chat replies, so only http(s) is kept: `javascript:alert(1)` would run in a reader's page.
"""

from __future__ import annotations

import re

from qa.errors import BadInput

MAX_LENGTH = 2000
# Written so that the same pattern works in Python, in pydantic's Rust engine and in JSON Schema.
WEB_URL = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s]+$"
_COMPILED = re.compile(WEB_URL)
RULE = f"a document url is an http:// or https:// address of at most {MAX_LENGTH} characters, without spaces"


def is_web_url(url: str) -> bool:
    # fullmatch: `$` alone would let a trailing line break through.
    return len(url) <= MAX_LENGTH and _COMPILED.fullmatch(url) is not None


def check_url(url: str | None, field: str = "url") -> str | None:
    """The url unchanged (None stays None), or BadInput naming the field."""
    if url is not None and not is_web_url(url):
        raise BadInput(f"invalid `{field}` {url[:100]!r}: {RULE}")
    return url


def web_url_or_none(url: str | None) -> str | None:
    """For a url the page states about itself (a canonical link): kept if it follows the rule,
    otherwise left out; the page is still stored."""
    return url if url is not None and is_web_url(url) else None
