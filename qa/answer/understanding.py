"""The first stage of an answer: the question understood once. Spelling is put in the articles'
words, a follow-up is read with the turn before it, and the result is parsed (the kind of answer
wanted, its terms and their surface words, names, speaker) into one `Understood` that every later
stage reads and none parses again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from qa.answer import conversation, spelling
from qa.answer.question import Question, names_in, parse


@dataclass(frozen=True)
class Understood:
    text: str  # as asked, spelling corrected: what the answer cache and the page's metadata read
    resolved: str  # `text` with a follow-up's referents added: what both rankers search with
    question: Question  # `text` parsed; its names include the referents `resolved` brought in
    document_id: str | None  # the article asked about; a follow-up stays on the article it follows
    previous: conversation.Turn | None  # the turn a follow-up refers back to, else None
    vocabulary: spelling.Vocabulary  # the words of the articles searched
    # Names that are not the answer: the reader's own, and those a follow-up points back at
    # (`conversation.referents`). Not every name the previous answer brought in: "who said that"
    # after an answer quoting Michael Ancram asks for him.
    given: tuple[str, ...]

    @property
    def focus(self) -> tuple[str, int] | None:
        """(document, sentence index) of the answer a follow-up refers back to. A metadata answer
        ("who wrote this?") has no sentence (-1): it gives no sentence a head start."""
        at = self.previous.sentence_index if self.previous is not None else None
        if self.previous is None or not self.previous.document_id or at is None or at < 0:
            return None
        return self.previous.document_id, at


VocabularyOf = Callable[[str | None], spelling.Vocabulary]


def understand(text: str, document_id: str | None, turns: Sequence[conversation.Turn],
               vocabulary_of: VocabularyOf) -> Understood:
    """`text` already checked (white space collapsed, not empty); `turns` the conversation so far;
    `vocabulary_of` gives the words of one article (or of all, for None)."""
    corrected = spelling.correct(text, vocabulary_of(document_id))
    asked = parse(corrected)
    resolved = conversation.resolve(corrected, list(turns), asked.names)
    previous = turns[-1] if resolved != corrected else None
    if previous is not None and document_id is None:
        document_id = previous.document_id
    given = asked.names
    if previous is not None:
        given = tuple(dict.fromkeys(given + conversation.referents(corrected, previous)))
    # Words come from what was asked; the referents a follow-up brought in count as names, so a
    # sentence that says "he" next to one naming him is not beaten by the previous answer.
    if resolved != asked.text:
        asked = replace(asked, names=tuple(names_in(" ".join(resolved.split()))))
    return Understood(corrected, resolved, asked, document_id, previous, vocabulary_of(document_id), given)
