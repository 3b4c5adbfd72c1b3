"""Document ids: the one definition of what an id may be, used by the API's schema and by every
write. Newsroom systems name articles by path (`world/europe/2015/calais-officials`), so `/` is
allowed between segments; ids travel in URL paths, so what a URL or a terminal would misread is not.
"""

from __future__ import annotations

import re

from qa.errors import BadInput

MAX_LENGTH = 200
# White space as both Python (str.split) and JavaScript (\s) understand it, so both agree.
SPACE = r"\s\x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Never inside an id: control characters (C0, DEL, C1), the backslash, URL syntax that a path
# cannot carry literally (`?`, `#`, `%`: an id is percent-encoded once, by the client, never
# stored encoded), bidirectional controls that make an id display as another (`a\u202eb`), and
# U+FFFD, which is what an invalid percent-encoding such as `%ff` decodes to.
_NEVER = r"\x00-\x1f\x7f-\x9f\\?#%\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffd"
_ANY = rf"[^/{_NEVER}]"
_EDGE = rf"[^/{_NEVER}{SPACE}]"  # a segment neither starts nor ends with white space
_EDGE_NOT_DOT = rf"[^/{_NEVER}{SPACE}.]"
# One path segment, but not `.` or `..`: written without look-arounds so that the same pattern
# works in Python, in pydantic's Rust engine and in JSON Schema clients.
_SEGMENT = rf"(?:{_EDGE}{_ANY}+{_EDGE}|{_EDGE_NOT_DOT}{_EDGE}|\.{_EDGE_NOT_DOT}|{_EDGE_NOT_DOT})"
DOCUMENT_ID = rf"^{_SEGMENT}(?:/{_SEGMENT})*$"
_COMPILED = re.compile(DOCUMENT_ID)
RULE = (f"a document id is 1-{MAX_LENGTH} characters: segments separated by single '/', none empty, '.' or '..', "
        "none starting or ending with a space; no control or bidirectional-override characters, no '\\', '?', "
        "'#' or '%' (percent-encode the id in a URL once; an invalid encoding such as %ff is refused)")


def is_valid(document_id: str) -> bool:
    return len(document_id) <= MAX_LENGTH and _COMPILED.match(document_id) is not None


def validate_id(document_id: str) -> str:
    if not is_valid(document_id):
        raise BadInput(f"invalid document id {document_id[:MAX_LENGTH]!r}: {RULE}")
    return document_id
