from qa.cleaning import clean_document
from qa.segmentation import Segmenter
from tests.conftest import SEEDS

SEED = next(SEEDS.glob("*.txt"))


def test_offsets_exact_for_every_seed_sentence() -> None:
    text = clean_document(SEED.read_text()).text
    spans = Segmenter().split(text)
    assert len(spans) >= 12
    for s in spans:
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip()
    # Nothing but white space is lost between sentences.
    covered = "".join(text[a.end:b.start] for a, b in zip(spans, spans[1:], strict=False))
    assert covered.strip() == ""


def test_seed_quote_sentence_is_whole() -> None:
    text = clean_document(SEED.read_text()).text
    sentences = [s.text for s in Segmenter().split(text)]
    assert any(s.startswith("In response") and s.endswith('sending police to Calais."') for s in sentences)
    assert any("(S$24.6 million)" in s and s.startswith("Britain's government") for s in sentences)


def test_abbreviations_currency_decimals_quotes_and_paragraphs() -> None:
    text = ('Mr. Smith flew to the U.S. on Monday. He paid S$24.6 million for 3.5 acres. '
            '"We will win," he said. Dr. Jones agreed\n\nNew paragraph here')
    sentences = [s.text for s in Segmenter().split(text)]
    assert sentences == ["Mr. Smith flew to the U.S. on Monday.", "He paid S$24.6 million for 3.5 acres.",
                         '"We will win," he said.', "Dr. Jones agreed", "New paragraph here"]
