import re

import pytest
from pydantic import BaseModel, Field, ValidationError

from qa.errors import BadInput
from qa.identifiers import DOCUMENT_ID, MAX_LENGTH, is_valid, validate_id

GOOD = ["world/europe/2015/calais-officials", "a", "ab", "a.b", ".x", "x.", "...", "a b", "café",
        "000_faad21c899ddfd9f", "news/2026/03/04/mayor", "x" * MAX_LENGTH]
BAD = ["", ".", "..", "a/../b", "a/./b", "../a", "a//b", "/a", "a/", "a\u202eb", "a\u2067b", "a\u200fb", "a?b", "a#b",
       "a%ffb", "a%2Fb", "a\ufffdb", " a", "a ", "a/ b", "a\x00b", "a\nb", "a\x85b", "a\\b", "x" * (MAX_LENGTH + 1)]


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
