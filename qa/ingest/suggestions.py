"""Suggested questions: two or three questions an article plainly answers, derived from its own
sentences when it is ingested, so a reader opening the widget sees where to start.

Only shapes that one sentence answers outright are suggested: what a named person said (a quote
attributed to them) and who a named person is (a role stated next to the name). A suggestion the
service then answers with "I couldn't find that" would cost the reader's trust at once, so
nothing is guessed: an article without quotes or roles gets fewer suggestions, or none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.types import DocumentInfo

LIMIT = 3
# A person's name: two to four capitalised words ("Natacha Bouchart", "Mary-Ann de Vries" is
# beyond it and simply not suggested), or one capitalised surname where the speaker is attributed.
_CAP = r"[A-Z][a-z'’-]+"
_FULL_NAME = rf"{_CAP}(?: {_CAP}){{1,3}}"
_SPEAKER = rf"{_CAP}(?: {_CAP}){{0,3}}"
_SAY_VERBS = r"said|says|told|added|insisted|warned|explained"
_CURLY = re.compile(r"“[^”]*”")
MIN_QUOTE = 20  # shorter quoted words ("lots", "hard negotiation") are not a statement
# "..., Cazeneuve said" / "James Brokenshire said in a statement: ..." / "..., said Ada Lund".
_SPEAKER_FIRST = re.compile(rf"(?<![\w'’])({_SPEAKER}) (?:{_SAY_VERBS})\b")
_SPEAKER_AFTER = re.compile(rf"\b(?:{_SAY_VERBS}) ({_FULL_NAME})\b")
# A role next to a name: "Calais mayor Natacha Bouchart", "Minister James Brokenshire",
# "Ada Lund, the harbour master, ...".
_ROLES = ("mayor|minister|secretary|president|chancellor|governor|senator|spokesman|spokeswoman|"
          "spokesperson|director|chairman|chairwoman|chair|chief|executive|founder|leader|coach|captain|"
          "professor|judge|manager|officer|commissioner|ambassador|editor|economist|analyst|researcher|"
          "head|master|inspector|superintendent|councillor|mp")
_ROLE = re.compile(rf"(?i:{_ROLES})")
_ROLE_BEFORE = re.compile(rf"\b(?i:{_ROLES}) ({_FULL_NAME})\b")
_ROLE_AFTER = re.compile(rf"\b({_FULL_NAME}), (?:the|a|an|its|his|her|their|who) [a-z][\w'’ -]{{2,60}}?,")
# Capitalised words that begin a name-like run but are not people.
_NOT_PEOPLE = frozenset("The A An In On At But And Last This That It He She They We I Britain British France "
                        "French Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())


def suggest(sentences: list[str], limit: int = LIMIT) -> list[str]:
    """Up to `limit` questions, each about a different person, quotes first (they make the most
    telling answers), in the order the article tells them."""
    found: list[str] = []
    people: set[str] = set()
    for name, question in _candidates(sentences):
        key = name.split()[-1]  # "Cazeneuve" and "Bernard Cazeneuve" are one person
        if key in people or question in found:
            continue
        people.add(key)
        found.append(question)
        if len(found) == limit:
            break
    return found


def _candidates(sentences: list[str]) -> Iterator[tuple[str, str]]:
    for sentence in sentences:
        if (speaker := _speaker(sentence)) is not None:
            yield speaker, f"What did {speaker} say?"
    for sentence in sentences:
        if (person := _person_with_role(sentence)) is not None:
            yield person, f"Who is {person}?"


def _speaker(sentence: str) -> str | None:
    """The named person a quote in the sentence is attributed to, if any."""
    quoted, outside = _split_quotes(sentence)
    if not any(len(q) >= MIN_QUOTE for q in quoted):
        return None
    for pattern in (_SPEAKER_AFTER, _SPEAKER_FIRST):
        for match in pattern.finditer(outside):
            name = _trimmed(match.group(1))
            if name:
                return name
    return None


def _split_quotes(sentence: str) -> tuple[list[str], str]:
    """The quoted passages, and the rest of the sentence (where the speaker is named). Straight
    quote marks pair up in order: between a closing and the next opening mark is not a quote."""
    text = _CURLY.sub(lambda m: '"' + m.group(0)[1:-1].replace('"', "'") + '"', sentence)
    parts = text.split('"')
    return parts[1::2], " ".join(parts[0::2])


def _person_with_role(sentence: str) -> str | None:
    for pattern in (_ROLE_BEFORE, _ROLE_AFTER):
        for match in pattern.finditer(sentence):
            name = _trimmed(match.group(1))
            if name and " " in name:
                return name
    return None


def _trimmed(name: str) -> str:
    """The name without leading words that only look like one ("In Calais", "Britain's")."""
    words = name.split()
    roles = [i for i, w in enumerate(words) if _ROLE.fullmatch(w)]
    if roles:  # "Security Minister James Brokenshire": the name follows the role
        words = words[roles[-1] + 1:]
    while words and (words[0] in _NOT_PEOPLE or words[0].endswith(("'s", "’s"))):
        words.pop(0)
    return " ".join(words)


def starters(documents: list[DocumentInfo], limit: int = LIMIT) -> list[tuple[str, DocumentInfo]]:
    """Questions to start a chat that searches many articles: the first suggestion of each of the
    most recently updated ones (a reader of a news site asks about today's stories)."""
    newest = sorted((d for d in documents if d.suggestions), key=lambda d: d.updated_at, reverse=True)
    return [(d.suggestions[0], d) for d in newest[:limit]]
