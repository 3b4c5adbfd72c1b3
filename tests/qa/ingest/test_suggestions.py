"""Suggested questions derived from an article's own sentences."""

from __future__ import annotations

from qa.ingest.suggestions import suggest


def test_quotes_and_roles_become_questions_about_named_people() -> None:
    sentences = [
        "The Elm Street bridge reopened on Saturday.",
        '"Nobody expected the frame to be in such a poor state," said Helen Marsh, the chief engineer.',
        "Mayor Tomas Berg cut the ribbon.",
        "Anna Novak, who runs a bakery near the bridge, said trade fell by half.",
    ]
    assert suggest(sentences) == ["What did Helen Marsh say?", "Who is Tomas Berg?", "Who is Anna Novak?"]


def test_short_quoted_words_and_unnamed_speakers_are_not_quotes() -> None:
    sentences = [
        'Cazeneuve said they had had a "hard negotiation" and "lots" of meetings.',
        '"It would be very useful to have more policemen here," the minister said.',
    ]
    assert suggest(sentences) == []


def test_one_question_per_person_and_at_most_the_limit() -> None:
    sentences = [
        '"The port will stay open all winter long," said Ada Lund.',
        "Harbour master Ada Lund has run the port since 2010.",
        "Minister James Brokenshire visited.", "Secretary Theresa May did not.", "Chief Ola Berg stayed home.",
    ]
    found = suggest(sentences, limit=3)
    assert found[0] == "What did Ada Lund say?"
    assert "Who is Ada Lund?" not in found and len(found) == 3


def test_speaker_named_after_a_role_drops_the_role() -> None:
    sentence = ('In response, Britain\'s Immigration and Security Minister James Brokenshire said in a statement: '
                '"It is for the French to maintain security on their own soil."')
    assert suggest([sentence]) == ["What did James Brokenshire say?"]


def test_curly_quotes_count_too() -> None:
    assert suggest(["“We will rebuild the old mill within two years,” Maria Okafor told reporters."]) == [
        "What did Maria Okafor say?"]
