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
_DATE = re.compile(rf"\b(?:(?:{MONTHS})\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+(?:{MONTHS})\s+\d{{4}}|"
                   rf"(?:in\s+)?(?:{MONTHS})\s+\d{{4}}|(?:last|next|this)\s+(?:week|month|year)|"
                   r"(?:in\s+)?(?:1[0-9]{3}|20[0-9]{2})s?)\b", re.IGNORECASE)
_SPAN_OF_TIME = re.compile(r"\b(?:since|for|over)\s[^.,;]{0,80}?\b(?:1[0-9]{3}|20[0-9]{2})\b|"
                           rf"(?:\d+|\b(?:{NUM_WORDS})\b)\s(?:seconds?|minutes?|hours?|days?|"
                           r"weeks?|months?|years?|decades?)\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“][^\"“”]{3,}[\"”]")
_FOLLOWING = re.compile(r"\W+(\w+)")
_COUNTED = 3  # words after a number that may name what it counts: "2,300 illegal migrants"


def span(question: Question, text: str) -> tuple[int, int] | None:
    """[start, end) of the answering phrase within `text`, or None when nothing stands out safely."""
    kind = question.expects
    if kind == "quote":
        match = _QUOTED.search(text)
        return (match.start(), match.end()) if match else None
    if kind == "money":
        return _money(text)
    if kind == "number":
        return _count(question, text)
    if kind == "duration":
        match = _SPAN_OF_TIME.search(text)
        return (match.start(), match.end()) if match else None
    if kind == "date":
        match = _DATE.search(text)
        return (match.start(), match.end()) if match else None
    if kind == "person":
        return person_span(text)
    return None


def _numbers(text: str) -> list[re.Match[str]]:
    return [m for m in _NUMBER.finditer(text) if not _YEAR.fullmatch(m.group(0).strip())]


def _money(text: str) -> tuple[int, int] | None:
    for match in _numbers(text):
        end = _with_unit(text, match.end())
        if _MONEY.search(text[match.start():end]):
            return match.start(), end
    return None


def _count(question: Question, text: str) -> tuple[int, int] | None:
    """A number followed closely by a word of the question ("how many migrants" -> "2,300 migrants"),
    or by a unit when the question asks how long, old, far, big or often."""
    asked, counting = set(question.terms), question.text.lower().startswith("how many")
    # The count must be of what was asked: "2,300 migrants" does not say how many died.
    if counting and len(asked - terms_of(text)) > (1 if len(asked) >= 4 else 0):
        return None
    for match in _numbers(text):
        end = match.end()
        for word in _words_after(text, end):
            if stem(word.group(1)) in asked:
                return match.start(), word.end()
        measured = _with_unit(text, end)
        if measured > end and not counting:
            return match.start(), measured
    return None


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
