from __future__ import annotations

import pytest

from qa.errors import BadInput
from qa.ingest.cleaning import clean_document
from qa.ingest.segmentation import Segmenter


def test_lists_and_quotes_are_their_own_sentences_and_subheadings_are_not_sentences() -> None:
    raw = ("# Harbour report\n\nThe board met on Tuesday.\n\n- Fees rise by 5%\n- The quay reopens\n\n"
           "> We have no choice\n> said the chair\n\n## Next steps\n\nA vote follows in May.")
    cleaned = clean_document(raw, "md")
    assert cleaned.title == "Harbour report"
    sentences = [s.text for s in Segmenter().split(cleaned.text)]
    assert sentences == ["The board met on Tuesday.", "Fees rise by 5%", "The quay reopens",
                         "We have no choice said the chair", "A vote follows in May."]


def test_a_byline_and_subheadings_are_metadata_and_structure_not_sentences() -> None:
    # The article of issue 24: its byline and "## Power cuts" / "## One death" ranked first for
    # "when will power be back on" and "did anyone die", above the sentences that answer them.
    raw = ("# Storm hits the coast\n\n*By Jane Doe, Weather correspondent*\n\n"
           "A storm hit the coast on Sunday night.\n\n## Power cuts\n\n"
           "Power should be back on by Tuesday evening, the grid operator said.\n\n## One death\n\n"
           "A man died when a tree fell on his car.")
    cleaned = clean_document(raw, "md")
    assert cleaned.title == "Storm hits the coast" and cleaned.metadata == {"author": "Jane Doe"}
    assert [s.text for s in Segmenter().split(cleaned.text)] == [
        "A storm hit the coast on Sunday night.", "Power should be back on by Tuesday evening, the grid operator said.",
        "A man died when a tree fell on his car."]


def test_a_document_of_headings_only_keeps_them_as_its_text() -> None:
    assert clean_document("# Storm hits coast\n\n## Live", "md").text == "Live"
    assert clean_document("# Storm hits coast", "md").text == "Storm hits coast"


def test_inline_markup_is_dropped_and_link_words_kept() -> None:
    cleaned = clean_document("Some **bold**, `code`, _emphasis_ and a [link](http://x.org).", "md")
    assert cleaned.text == "Some bold, code, emphasis and a link."


@pytest.mark.parametrize("raw", ["--- *", "---\n*", "***\n\n- \n\n> ", "![](x.png)", "<!-- only a comment -->"])
def test_markup_only_markdown_is_refused(raw: str) -> None:
    with pytest.raises(BadInput, match="no readable text"):
        clean_document(raw, "md")
