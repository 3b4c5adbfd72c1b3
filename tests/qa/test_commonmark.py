from __future__ import annotations

import pytest

from qa.cleaning import clean_document
from qa.errors import BadInput
from qa.segmentation import Segmenter


def test_lists_quotes_and_headings_are_their_own_sentences() -> None:
    raw = ("# Harbour report\n\nThe board met on Tuesday.\n\n- Fees rise by 5%\n- The quay reopens\n\n"
           "> We have no choice\n> said the chair\n\n## Next steps\n\nA vote follows in May.")
    cleaned = clean_document(raw, "md")
    assert cleaned.title == "Harbour report"
    sentences = [s.text for s in Segmenter().split(cleaned.text)]
    assert sentences == ["The board met on Tuesday.", "Fees rise by 5%", "The quay reopens",
                         "We have no choice said the chair", "Next steps", "A vote follows in May."]


def test_inline_markup_is_dropped_and_link_words_kept() -> None:
    cleaned = clean_document("Some **bold**, `code`, _emphasis_ and a [link](http://x.org).", "md")
    assert cleaned.text == "Some bold, code, emphasis and a link."


@pytest.mark.parametrize("raw", ["--- *", "---\n*", "***\n\n- \n\n> ", "![](x.png)", "<!-- only a comment -->"])
def test_markup_only_markdown_is_refused(raw: str) -> None:
    with pytest.raises(BadInput, match="no readable text"):
        clean_document(raw, "md")
