"""Document ids: the one definition of what an id may be, used by the API's schema and by every
write. Newsroom systems name articles by path (`world/europe/2015/calais-officials`), so `/` is
allowed between segments; ids travel in URL paths, so what a URL or a terminal would misread is not.
"""

from __future__ import annotations

import re
import unicodedata

from qa.errors import BadInput

MAX_LENGTH = 200
# White space as both Python (str.split) and JavaScript (\s) understand it, so both agree.
SPACE = r"\s\x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters that show nothing (zero-width space and joiners, word joiner, soft hyphen, BOM,
# variation selectors, Hangul fillers, the blank Braille pattern...): a question of only these says
# nothing, and an id holding one looks like another id.
INVISIBLE = (r"\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800"
             r"\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb\uffa0")
# Never inside an id: control characters (C0, DEL, C1), the backslash, URL syntax that a path
# cannot carry literally (`?`, `#`, `%`: an id is percent-encoded once, by the client, never
# stored encoded), bidirectional controls that make an id display as another (`a\u202eb`),
# invisible characters (`a\u200bb` looks like `ab`), and U+FFFD, which is what an invalid
# percent-encoding such as `%ff` decodes to. Invisible characters outside the Basic Multilingual
# Plane (Unicode's format characters: tags...) are refused by `is_valid`, which JSON Schema's
# patterns cannot name.
_NEVER = rf"\x00-\x1f\x7f-\x9f\\?#%{INVISIBLE}\u2066-\u2069\ufffd"
_ANY = rf"[^/{_NEVER}]"
_EDGE = rf"[^/{_NEVER}{SPACE}]"  # a segment neither starts nor ends with white space
_EDGE_NOT_DOT = rf"[^/{_NEVER}{SPACE}.]"
# One path segment, but not `.` or `..`: written without look-arounds so that the same pattern
# works in Python, in pydantic's Rust engine and in JSON Schema clients.
_SEGMENT = rf"(?:{_EDGE}{_ANY}+{_EDGE}|{_EDGE_NOT_DOT}{_EDGE}|\.{_EDGE_NOT_DOT}|{_EDGE_NOT_DOT})"
DOCUMENT_ID = rf"^{_SEGMENT}(?:/{_SEGMENT})*$"
_COMPILED = re.compile(DOCUMENT_ID)
RULE = (f"a document id is 1-{MAX_LENGTH} characters: segments separated by single '/', none empty, '.' or '..', "
        "none starting or ending with a space; no control, bidirectional-override or invisible characters "
        "(zero-width space, word joiner...), no '\\', '?', '#' or '%' (percent-encode the id in a URL once; an "
        "invalid encoding such as %ff is refused); it is stored in Unicode's composed form (NFC)")


def normalized(document_id: str) -> str:
    """The id as stored and looked up: composed (NFC), so that `café` typed as `cafe` plus a
    combining accent is the same document, not a look-alike second one."""
    return unicodedata.normalize("NFC", document_id)


def normalized_or_none(document_id: str | None) -> str | None:
    """`normalized` for an optional id. As the outer validator of an optional field, it keeps the
    field's pattern in the published schema (nested inside the optional, FastAPI drops it)."""
    return None if document_id is None else normalized(document_id)


def is_valid(document_id: str) -> bool:
    return (len(document_id) <= MAX_LENGTH and _COMPILED.match(document_id) is not None
            and not any(unicodedata.category(ch) == "Cf" for ch in document_id))


def validate_id(document_id: str) -> str:
    """The id in its stored form, or BadInput."""
    stored = normalized(document_id)
    if not is_valid(stored):
        raise BadInput(f"invalid document id {document_id[:MAX_LENGTH]!r}: {RULE}")
    return stored
