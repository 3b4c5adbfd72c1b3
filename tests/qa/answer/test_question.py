import pytest

from qa.answer.question import content_terms, parse, stem
from qa.answer.reranking import has_person, kind_match


@pytest.mark.parametrize("text,expects", [
    ("How many migrants are there?", "number"), ("How much did it cost?", "money"),
    ("When was it closed?", "date"), ("In what year did it open?", "date"), ("Who is the mayor?", "person"),
    ("Where is the port?", "place"), ("Where do they come from?", "origin"), ("What did Brokenshire say?", "quote"),
    ("What is it?", "other"), ("who is Cazeneuve", "role"), ("What is Brokenshire's job?", "role"),
    ("Who is France's interior minister?", "person"), ("why does France want officials there", "reason"),
    ("what is the money for", "reason"), ("did the brits agree", "yesno"), ("is the UK sending police?", "yesno"),
    ("what does France want", "quote"),
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


def test_a_role_must_stand_next_to_the_name_asked_about() -> None:
    from qa.answer.reranking import role_match

    assert role_match(("Natacha Bouchart",), "Last week, Calais mayor Natacha Bouchart appeared.", "") == 1.0
    assert role_match(("Cazeneuve",), "Cazeneuve, the minister, spoke.", "") == 1.0
    # The role here is Theresa May's, not Cazeneuve's.
    assert role_match(("Cazeneuve",), "Cazeneuve met British Home Secretary Theresa May.", "") == 0.0
    # A role in the sentence before one that opens with the name.
    assert role_match(("Cazeneuve",), "Cazeneuve's comments came later.", "France's interior minister spoke.") == 0.7


def test_how_long_is_answered_by_a_span_of_time() -> None:
    assert parse("how long have migrants been in Calais").expects == "duration"
    assert kind_match("duration", "home to migrants since authorities closed the centre in 2002") == 1.0
    assert kind_match("duration", "£12 million over three years") == 1.0
    assert kind_match("duration", "The minister spoke.") == 0.0


@pytest.mark.parametrize(("adjective", "country"), [("British", "Britain's"), ("French", "France"),
                                                    ("Dutch", "Netherlands"), ("Americans", "America")])
def test_a_country_adjective_is_the_same_term_as_the_country(adjective: str, country: str) -> None:
    assert stem(adjective) == stem(country)
    assert stem("Britain") != stem("France")


def test_a_sentence_naming_the_country_accounts_for_its_adjective() -> None:
    asked = parse("What did the British government respond?")
    assert set(asked.terms) <= set(content_terms("Britain's government responded that it was not possible."))
