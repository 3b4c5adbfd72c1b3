import pytest

from qa.answer.highlight import span
from qa.answer.question import parse


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


@pytest.mark.parametrize("question,text,phrase", [
    # Dates as news writes them: a weekday, a day and month without a year, a bare month.
    ("When's the deadline to apply?", "Applications close on 3 February and results follow in spring.",
     "3 February"),
    ("when does the council vote", "The plan goes to a council vote on Monday before the mayor signs it.", "Monday"),
    ("when did the sale go through", "The sale went ahead in December and the firm was renamed.", "December"),
    ("when do trams start running", "Building starts in March 2027, and the first trams are expected to run "
     "in the autumn of 2029.", "the autumn of 2029"),
    # "How much" is money or a share where the sentence has one; "how many" a count, said otherwise.
    ("How much have the owners offered?", "On Thursday the owners said they would not raise their offer of £4m.",
     "£4m"),
    ("how much of the debt was cancelled", "Creditors agreed to write off 80% of the country's debts.", "80%"),
    ("how many volunteers helped on saturday", "On Saturday, more than 270 people came to help.", "270 people"),
    ("how long did the dispute go on for", "The town is recovering from a 14-year dispute over the land.",
     "14-year"),
    # A quote that runs on into the next sentence.
    ("what did the coach say", 'The coach said: "It was a quality performance from a young side.',
     '"It was a quality performance from a young side.'),
    # "Who": not a name the question gives, even by surname alone.
    ("Who is the woman Hartley fell for?", "Tom Hartley has spoken of his love for publisher Anna Berg.",
     "Anna Berg"),
])
def test_phrases_as_readers_ask_and_news_writes(question: str, text: str, phrase: str) -> None:
    found = span(parse(question), text)
    assert found is not None and text[found[0]:found[1]] == phrase


@pytest.mark.parametrize("question,text,clause", [
    # "Why": the clause a cause word opens.
    ("why did he stop acting", "He said he stopped working a few years ago because he lost his spark for acting.",
     "because he lost his spark for acting"),
    ("why was the match moved", "The match was moved to Friday, due to the storm warnings along the coast.",
     "due to the storm warnings along the coast"),
    # A yes-or-no question: the claim it rests on, not "he said", not the subject's description.
    ("are the police going to break up hunts", "The chief constable told reporters the law would be enforced, "
     "although the police would not break up hunts.", "although the police would not break up hunts"),
])
def test_the_clause_that_answers_why_and_yes_or_no(question: str, text: str, clause: str) -> None:
    found = span(parse(question), text)
    assert found is not None and text[found[0]:found[1]] == clause


@pytest.mark.parametrize("question,text", [
    ("why did the bridge close", "The bridge closed for repairs."),  # one clause: the sentence is the answer
    ("is it raining", "It is raining, he said."),  # only "he said" beside it
    ("what share of voters agreed", "Voters, the poll found, agreed."),  # no clause of three words besides
])
def test_no_clause_is_marked_where_it_would_add_nothing(question: str, text: str) -> None:
    assert span(parse(question), text) is None
