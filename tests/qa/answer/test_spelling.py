"""Readers' spelling is read against the articles' own words."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.answer import spelling
from qa.answer.spelling import MAX_CORRECTIONS, Vocabulary, correct

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


def _counting_matches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    matched: list[str] = []
    nearest = spelling._nearest

    def counted(*args: Any) -> Any:
        matched.append(args[-2])  # the lower-cased word, before and after the budget
        return nearest(*args)
    monkeypatch.setattr(spelling, "_nearest", counted)
    return matched


@given(st.lists(st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=6, max_size=14), min_size=1, max_size=60))
@settings(max_examples=50, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_a_question_of_made_up_words_matches_at_most_a_budget_of_them(vocabulary: Vocabulary,
                                                                     words: list[str]) -> None:
    # Each match reads the whole vocabulary: 30 made-up words cost 17 normal answers (issue 26).
    with pytest.MonkeyPatch.context() as patch:
        matched = _counting_matches(patch)
        correct(" ".join(words), vocabulary)
    assert len(matched) <= MAX_CORRECTIONS <= 8 and len(matched) == len(set(matched))


def test_a_typo_repeated_is_matched_once_and_read_every_time(
        vocabulary: Vocabulary, monkeypatch: pytest.MonkeyPatch) -> None:
    matched = _counting_matches(monkeypatch)
    typed = " ".join(["zqxwvbnm"] * 7 + ["officals"] * 3)
    assert correct(typed, vocabulary) == " ".join(["zqxwvbnm"] * 7 + ["officials"] * 3)
    assert matched == ["zqxwvbnm", "officals"]


def test_the_correction_is_the_same_whatever_the_hash_seed() -> None:
    # "singr" is as near "singer" as "sings": which one wins must not depend on the process.
    import subprocess
    import sys

    code = ("from qa.answer.spelling import Vocabulary, correct; "
            "print(correct('singr songs', Vocabulary.of(['The sings of a singer sing to singers.'])))")
    seen = {subprocess.run([sys.executable, "-c", code], env={"PYTHONHASHSEED": str(seed), "PATH": ""},
                           capture_output=True, text=True, check=True).stdout for seed in (1, 2, 3, 4)}
    assert len(seen) == 1
