"""The question understood once: spelling, the turn before, the parse, in one object."""

from qa.answer.conversation import Turn
from qa.answer.spelling import Vocabulary
from qa.answer.understanding import understand

ARTICLE = ("Marta Lindqvist chairs the council's transport committee. She said the tram would run "
           "by the autumn of 2029. The bridge will be closed for six weeks.")
WORDS = Vocabulary.of([ARTICLE])
asked_about: list[str | None] = []


def vocabulary(document_id: str | None) -> Vocabulary:
    asked_about.append(document_id)
    return WORDS


def test_a_first_question_is_corrected_and_parsed_once() -> None:
    u = understand("how long will the brige be closed", "tram", [], vocabulary)
    assert u.text == "how long will the bridge be closed" == u.resolved == u.question.text
    assert u.previous is None and u.focus is None and u.document_id == "tram"
    assert u.question.expects == "duration" and "bridge" in u.question.words


def test_a_follow_up_carries_the_turn_before_into_its_names_and_article() -> None:
    before = Turn("who is Marta Lindqvist", "who is Marta Lindqvist", ARTICLE.split(". ")[0], "tram", 0)
    asked_about.clear()
    u = understand("what did she say", None, [before], vocabulary)
    assert u.previous == before and u.document_id == "tram"  # it stays on the article it follows
    assert "Marta Lindqvist" in u.resolved and "Marta Lindqvist" in u.question.names
    assert u.question.text == "what did she say"  # its words are what was asked, not the referents
    assert u.focus == ("tram", 0)
    # Spelling read all the articles (no article was named); the decision reads the one followed.
    assert asked_about == [None, "tram"]


def test_a_fresh_question_after_a_turn_is_not_a_follow_up() -> None:
    before = Turn("who is Marta Lindqvist", "who is Marta Lindqvist", None, "tram", 0)
    u = understand("will there be a bike lane on the new bridge", "tram", [before], vocabulary)
    assert u.previous is None and u.resolved == u.text and u.focus is None


def test_a_metadata_answer_gives_no_sentence_a_head_start() -> None:
    before = Turn("who wrote this", "who wrote this", "Jane Doe", "tram", -1)
    assert understand("when did she write it", "tram", [before], vocabulary).focus is None


def test_a_name_the_previous_answer_brought_in_may_be_what_a_follow_up_asks_for() -> None:
    article = "Tory spokesman Michael Ancram said lifting the embargo would be irresponsible."
    words = Vocabulary.of([article])
    before = Turn("what do the Tories think of the embargo", "what do the Tories think of the embargo",
                  article, "arms", 0)
    u = understand("who said that", "arms", [before], lambda _: words)
    assert "Michael Ancram" in u.question.names  # the rankers look for him
    assert "Tories" in u.given and "Michael Ancram" not in u.given  # the highlight may mark him
    first = understand("who is Michael Ancram", "arms", [], lambda _: words)
    assert first.given == first.question.names == ("Michael Ancram",)


def test_she_after_a_question_for_a_person_is_the_person_that_answer_gave() -> None:
    article = "Blunkett fell for Kimberly Fortier. Kimberly Fortier married Stephen Quinn in 2001."
    words = Vocabulary.of([article])
    before = Turn("who did Blunkett fall for", "who did Blunkett fall for", "Blunkett fell for Kimberly Fortier.",
                  "love", 0)
    u = understand("who did she marry", "love", [before], lambda _: words)
    assert "Kimberly Fortier" in u.given and "Blunkett" in u.given  # neither is who she married
