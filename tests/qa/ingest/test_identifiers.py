import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from qa.errors import BadInput
from qa.ingest.identifiers import DOCUMENT_ID, MAX_LENGTH, is_valid, validate_id

GOOD = ["world/europe/2015/calais-officials", "a", "ab", "a.b", ".x", "x.", "...", "a b", "café",
        "000_faad21c899ddfd9f", "news/2026/03/04/mayor", "x" * MAX_LENGTH]
BAD = ["", ".", "..", "a/../b", "a/./b", "../a", "a//b", "/a", "a/", "a\u202eb", "a\u2067b", "a\u200fb", "a?b", "a#b",
       "a%ffb", "a%2Fb", "a\ufffdb", " a", "a ", "a/ b", "a\x00b", "a\nb", "a\x85b", "a\\b", "x" * (MAX_LENGTH + 1),
       # invisible: look-alikes of `ab` and `a/b`, and segments of nothing visible (issue 26)
       "a\u200bb", "\u200b", "a/\u200b/b", "a/\u200b\u200b", "a\u2060b", "a\u00adb", "a\ufeffb", "a\u180eb",
       "a\u200cb", "a\u200db", "a\u034fb", "a\u3164b", "\u2800", "a\ufe0fb", "a\u2062b"]


@pytest.mark.parametrize("document_id", GOOD)
def test_newsroom_ids_are_accepted(document_id: str) -> None:
    assert is_valid(document_id) and validate_id(document_id) == document_id


@pytest.mark.parametrize("document_id", BAD)
def test_ids_a_url_or_a_terminal_would_misread_are_refused(document_id: str) -> None:
    assert not is_valid(document_id)
    with pytest.raises(BadInput, match="invalid document id"):
        validate_id(document_id)


def test_the_pattern_means_the_same_to_pydantic_as_to_python() -> None:
    class Body(BaseModel):
        id: str = Field(max_length=MAX_LENGTH, pattern=DOCUMENT_ID)

    for document_id in GOOD:
        assert Body(id=document_id).id == document_id
    for document_id in BAD:
        with pytest.raises(ValidationError):
            Body(id=document_id)
    assert "(?=" not in DOCUMENT_ID and "(?<" not in DOCUMENT_ID and re.compile(DOCUMENT_ID)  # no look-arounds


def test_invisible_characters_json_schema_cannot_name_are_refused_too() -> None:
    tag = "a\U000e0041b"  # a Unicode tag character: shows nothing
    assert not is_valid(tag)
    with pytest.raises(BadInput, match="invisible"):
        validate_id(tag)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=40))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_an_id_is_stored_composed_and_its_decomposed_twin_is_the_same_id(segment: str) -> None:
    # "café" typed with a combining accent was a second document that looked like the first.
    for form in ("NFC", "NFD"):
        twin = unicodedata.normalize(form, segment)
        try:
            stored = validate_id(twin)
        except BadInput:
            continue
        assert stored == unicodedata.normalize("NFC", segment) and is_valid(stored)
        assert validate_id(unicodedata.normalize("NFD", stored)) == stored
