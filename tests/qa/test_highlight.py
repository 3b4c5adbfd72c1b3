import pytest

from qa.highlight import span
from qa.question import parse


@pytest.mark.parametrize("question,text,phrase", [
    ("What did he say?", 'He said: "We will not send police."', '"We will not send police."'),
    ("How many migrants are there?", "Closed in 2002, it held up to 2,300 migrants.", "2,300 migrants"),
    ("How much money was pledged?", "Britain pledged £12 million over three years.", "£12 million"),
    ("How much did it cost?", "The bridge cost 7 million euros in all.", "7 million euros"),
    ("How long did the search last?", "Divers searched for 9 hours before dawn.", "9 hours"),
    ("How old was he?", "He was 31 years old when he left.", "31 years old"),
    ("When was the game played?", "The game was played on February 7, 2016, at Levi's Stadium.",
     "February 7, 2016"),
    ("Who did she meet?", "He met British Home Secretary Theresa May twice.", "British Home Secretary Theresa May"),
    ("What is it?", "Nothing to mark here.", None),
])
def test_the_whole_answering_phrase_with_its_unit(question: str, text: str, phrase: str | None) -> None:
    found = span(parse(question), text)
    assert (text[found[0]:found[1]] if found else None) == phrase


@pytest.mark.parametrize("question,text", [
    # A number that counts something else is not the answer to "how many".
    ("how many migrants died trying to cross", "The French struggle to cope with up to 2,300 migrants."),
    ("how many meetings did they hold", "He said the two countries had had a hard negotiation."),
    ("How many people were arrested?", "The centre closed in 2002."),
])
def test_no_number_is_highlighted_when_it_counts_something_else(question: str, text: str) -> None:
    assert span(parse(question), text) is None


@pytest.mark.parametrize("question,text,phrase", [
    # Several phrases of the asked kind: the one among the question's words.
    ("when do trams start running", "Construction begins in March 2027, and trams will start running in "
     "the autumn of 2029.", "the autumn of 2029"),
    ("how long will the trip to the centre take", "Buses take 40 minutes today; the tram trip to the centre "
     "will take 14 minutes.", "14 minutes"),
    ("how much will the tram cost", "The council spent £2m on studies, and the tram itself will cost £310m.",
     "£310m"),
    # "Who" asks for someone the question does not already name.
    ("who did Ebbers' lawyers call first", "Ebbers' lawyers first called Cynthia Cooper to the stand.",
     "Cynthia Cooper"),
    ("Where did Yukos file the suit?", "Yukos submitted the suit in Houston, where it filed for bankruptcy.",
     "Houston"),
])
def test_the_phrase_of_the_kind_asked_where_the_question_points(question: str, text: str, phrase: str) -> None:
    found = span(parse(question), text)
    assert found is not None and text[found[0]:found[1]] == phrase
