import pytest

from qa.question import parse
from qa.reranking import answer_span, has_person, kind_match


@pytest.mark.parametrize("text,expects", [
    ("How many migrants are there?", "number"), ("How much did it cost?", "money"),
    ("When was it closed?", "date"), ("In what year did it open?", "date"), ("Who is the mayor?", "person"),
    ("Where is the port?", "place"), ("Where do they come from?", "origin"), ("What did Brokenshire say?", "quote"),
    ("What is it?", "other"),
])
def test_question_kinds(text: str, expects: str) -> None:
    assert parse(text).expects == expects


def test_names_and_speaker() -> None:
    q = parse("What did the Calais mayor say about Theresa May?")
    assert q.speaker == "the Calais mayor"
    assert "Calais" in q.names and "Theresa May" in q.names
    assert parse("Who is France's interior minister?").names == ("France",)


def test_kind_match_tells_counts_from_years() -> None:
    assert kind_match("number", "up to 2,300 migrants") == 1.0
    assert kind_match("number", "closed in 2002") == 0.0
    assert kind_match("date", "closed in 2002") == 1.0


def test_person_detector_skips_places_with_articles() -> None:
    assert has_person("talks with Home Secretary Theresa May")
    assert not has_person("hoping to cross the English Channel")


@pytest.mark.parametrize("expects,text,phrase", [
    ("quote", 'He said: "We will not send police."', "We will not send police."),
    ("number", "Closed in 2002, it held up to 2,300 migrants.", "2,300"),
    ("money", "Britain pledged £12 million over three years.", "£12 million"),
    ("date", "The game was played on February 7, 2016, at Levi's Stadium.", "February 7, 2016"),
    ("person", "He met British Home Secretary Theresa May twice.", "British Home Secretary Theresa May"),
    ("other", "Nothing to mark here.", None),
])
def test_answer_span(expects: str, text: str, phrase: str | None) -> None:
    span = answer_span(expects, text)
    assert (text[span[0]:span[1]] if span else None) == phrase
