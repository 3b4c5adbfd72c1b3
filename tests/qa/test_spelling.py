"""Readers' spelling is read against the articles' own words."""

import pytest

from qa.spelling import Vocabulary, correct

ARTICLE = ("On Wednesday, France's interior minister suggested that British officials go to Calais. "
           "Bernard Cazeneuve said the talks were hard. In response, Britain's minister James Brokenshire "
           "said police would not be sent. Cazeneuve met officials.")


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return Vocabulary.of([ARTICLE])


@pytest.mark.parametrize("typed,read", [
    ("wat did cazeneuve say", "what did Cazeneuve say"),  # text-speak, a name's capitals
    ("whats brokenshires job", "what is Brokenshire's job"),  # a lost apostrophe
    ("why r british officals in calais", "why are British officials in Calais"),  # a typo
    ("what did france suggest", "what did France suggest"),  # "France's" is evidence for "France"
])
def test_reader_spelling_is_read_as_the_article_writes_it(vocabulary: Vocabulary, typed: str, read: str) -> None:
    assert correct(typed, vocabulary) == read


def test_a_real_word_the_article_lacks_is_never_changed(vocabulary: Vocabulary) -> None:
    # "population" is close to no article word, "died" is close to "said": neither may become one.
    assert correct("what is the population of calais", vocabulary) == "what is the population of Calais"
    assert correct("how many died", vocabulary) == "how many died"


def test_words_of_the_article_are_never_changed(vocabulary: Vocabulary) -> None:
    words = [w for w in ARTICLE.replace(".", " ").replace(",", " ").split()]
    assert correct(" ".join(words), vocabulary) == " ".join(words)


def test_a_capital_at_the_start_of_a_sentence_does_not_make_a_name(vocabulary: Vocabulary) -> None:
    assert correct("in response", vocabulary) == "in response"
