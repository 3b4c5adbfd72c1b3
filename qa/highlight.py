"""The answering phrase inside an answer sentence, for emphasis. A highlight asserts something, so
it is given only where the sentence supports it: a number only when it counts what was asked
about (not "2,300" migrants for "how many died", not "two" countries for "how many meetings"),
always with its unit ("9 hours", "7 million euros"), a quote with both its quote marks; otherwise
nothing."""

from __future__ import annotations

import re

from qa.question import Question, stem
from qa.reranking import MONTHS, NUM_WORDS, person_span, terms_of

_SCALE = r"(?:\s(?:million|billion|trillion|thousand|hundred)\b|\s?(?:m|bn)\b)?"
_NUMBER = re.compile(rf"(?:[$£€¥]\s?)?(?:\d(?:[\d,.]*\d)?|\b(?:{NUM_WORDS})\b){_SCALE}"
                     r"(?:\s?(?:%|per\s?cent|percent))?", re.IGNORECASE)
_UNIT = re.compile(r"\s(?:(?:square|cubic)\s)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|"
                   r"centuries|century|metres?|meters?|kilometres?|kilometers?|km|miles?|feet|foot|inches?|cm|mm|"
                   r"kilograms?|kg|tonnes?|tons?|pounds?|euros?|dollars?|yen|cents?|pence|degrees?|acres?|"
                   r"hectares?|litres?|liters?|gallons?|points?|goals?|votes?|seats?|people|times)\b", re.IGNORECASE)
_MONEY = re.compile(r"[$£€¥]|\b(?:dollars?|pounds?|euros?|yen|cents?|pence)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:1[0-9]{3}|20[0-9]{2})s?")
_DATE = re.compile(rf"\b(?:(?:the\s+)?(?:spring|summer|autumn|fall|winter)\s+of\s+\d{{4}}|"
                   rf"(?:{MONTHS})\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{MONTHS})\s+\d{{4}}|"
                   rf"(?:in\s+)?(?:{MONTHS})\s+\d{{4}}|(?:last|next|this)\s+(?:week|month|year)|"
                   r"(?:in\s+)?(?:1[0-9]{3}|20[0-9]{2})s?)\b", re.IGNORECASE)
_SPAN_OF_TIME = re.compile(r"\b(?:since|for|over)\s[^.,;]{0,80}?\b(?:1[0-9]{3}|20[0-9]{2})\b|"
                           rf"(?:\d+|\b(?:{NUM_WORDS})\b)\s(?:seconds?|minutes?|hours?|days?|"
                           r"weeks?|months?|years?|decades?)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“][^\"“”]{3,}[\"”]")
_FOLLOWING = re.compile(r"\W+(\w+)")
_PLACE = re.compile(r"\b(?:in|at|from|near|into|across|outside)\s+(?:the\s+)?"
                    r"([A-Z][\w'’-]*(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*)")
_CLAUSE_MARKS = (", ", "; ", ": ", ". ", " - ", " – ")  # not "2,300" or "£1.3bn"
_COUNTED = 3  # words after a number that may name what it counts: "2,300 illegal migrants"


def span(question: Question, text: str) -> tuple[int, int] | None:
    """[start, end) of the answering phrase within `text`, or None when nothing stands out safely.
    Where the sentence holds several phrases of the asked kind ("construction starts in March 2027;
    trams run from the autumn of 2029"), the one among the question's own words is chosen."""
    kind = question.expects
    if kind == "quote":
        return _nearest(question, text, [(m.start(), m.end()) for m in _QUOTED.finditer(text)])
    if kind == "money":
        return _nearest(question, text, _money(text))
    if kind == "number":
        return _nearest(question, text, _count(question, text))
    if kind == "duration":
        return _nearest(question, text, [(m.start(), m.end()) for m in _SPAN_OF_TIME.finditer(text)])
    if kind == "date":
        return _nearest(question, text, [(m.start(), m.end()) for m in _DATE.finditer(text)])
    if kind == "person":
        return _person(question, text)
    if kind in ("place", "origin"):
        return _nearest(question, text, _places(question, text))
    return None


def _nearest(question: Question, text: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Of the candidate spans, the one with most of the question's words close before or after it;
    the first of equals."""
    asked = set(question.terms)

    def near(found: tuple[int, int]) -> int:
        # Its clause: "construction begins in March 2027, | and trams will start running in 2029".
        left = max(text.rfind(mark, 0, found[0]) for mark in _CLAUSE_MARKS)
        ends = [at for mark in _CLAUSE_MARKS if (at := text.find(mark, found[1])) >= 0]
        return len(asked & terms_of(text[max(0, left):min(ends, default=len(text))]))

    return max(spans, key=near) if spans else None


def _person(question: Question, text: str) -> tuple[int, int] | None:
    """A name the question does not already give: "who did Ebbers' lawyers call" is not "Ebbers"."""
    given = {w.lower() for n in question.names for w in n.split()}
    at = 0
    while (found := person_span(text[at:])) is not None:
        start, end = found[0] + at, found[1] + at
        if not {w.lower() for w in text[start:end].split()} <= given:
            return start, end
        at = end
    return None


def _places(question: Question, text: str) -> list[tuple[int, int]]:
    """Capitalised runs after "in", "at", "from"... that the question does not already name."""
    given = {w.lower() for n in question.names for w in n.split()}
    return [(m.start(1), m.end(1)) for m in _PLACE.finditer(text)
            if not {w.lower() for w in m.group(1).split()} <= given]


def _numbers(text: str) -> list[re.Match[str]]:
    return [m for m in _NUMBER.finditer(text) if not _YEAR.fullmatch(m.group(0).strip())]


def _money(text: str) -> list[tuple[int, int]]:
    out = []
    for match in _numbers(text):
        end = _with_unit(text, match.end())
        if _MONEY.search(text[match.start():end]):
            out.append((match.start(), end))
    return out


def _count(question: Question, text: str) -> list[tuple[int, int]]:
    """Numbers followed closely by a word of the question ("how many migrants" -> "2,300 migrants"),
    or by a unit when the question asks how long, old, far, big or often."""
    asked, counting = set(question.terms), question.text.lower().startswith("how many")
    # The count must be of what was asked: "2,300 migrants" does not say how many died.
    if counting and len(asked - terms_of(text)) > (1 if len(asked) >= 4 else 0):
        return []
    counted, measured = [], []
    for match in _numbers(text):
        end = match.end()
        word = next((w for w in _words_after(text, end) if stem(w.group(1)) in asked), None)
        if word is not None:
            counted.append((match.start(), word.end()))
        elif (unit := _with_unit(text, end)) > end and not counting:
            measured.append((match.start(), unit))
    return counted or measured


def _words_after(text: str, position: int) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    for word in _FOLLOWING.finditer(text, position):
        if len(out) == _COUNTED or re.search(r"[.;:!?]", text[position:word.start()]):
            break
        out.append(word)
        position = word.end()
    return out


def _with_unit(text: str, end: int) -> int:
    unit = _UNIT.match(text, end)
    return unit.end() if unit else end
