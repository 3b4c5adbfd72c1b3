"""The answering phrase inside an answer sentence, for emphasis. A highlight asserts something, so
it is given only where the sentence supports it: a number only when it counts what was asked
about (not "2,300" migrants for "how many died", not "two" countries for "how many meetings"),
always with its unit ("9 hours", "7 million euros"), a quote with both its quote marks; otherwise
nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.answer.question import Question, stem
from qa.answer.reranking import MONTHS, NUM_WORDS, person_span, terms_of

_SCALE = r"(?:\s(?:million|billion|trillion|thousand|hundred)\b|\s?(?:m|bn)\b)?"
_NUMBER = re.compile(rf"(?:[$£€¥]\s?)?(?:\d(?:[\d,.]*\d)?|\b(?:{NUM_WORDS})\b){_SCALE}"
                     r"(?:\s?(?:%|per\s?cent|percent))?", re.IGNORECASE)
_UNIT = re.compile(r"\s(?:(?:square|cubic)\s)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|"
                   r"centuries|century|metres?|meters?|kilometres?|kilometers?|km|miles?|feet|foot|inches?|cm|mm|"
                   r"kilograms?|kg|tonnes?|tons?|pounds?|euros?|dollars?|yen|cents?|pence|degrees?|acres?|"
                   r"hectares?|litres?|liters?|gallons?|points?|goals?|votes?|seats?|people|times)\b", re.IGNORECASE)
_MONEY = re.compile(r"[$£€¥]|\b(?:dollars?|pounds?|euros?|yen|cents?|pence)\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:1[0-9]{3}|20[0-9]{2})s?")
_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# Bare month names only capitalised: "may" is also a verb.
_MONTH = rf"(?-i:{'|'.join(m.capitalize() for m in MONTHS.split('|'))})"
_DATE = re.compile(rf"\b(?:(?:the\s+)?(?:spring|summer|autumn|fall|winter)\s+of\s+\d{{4}}|"
                   rf"\d{{1,2}}(?:st|nd|rd|th)?(?:\s+(?:and|or|-)\s+\d{{1,2}})?\s+{_MONTH}(?:\s+\d{{4}})?|"
                   rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|"
                   rf"(?:(?:early|late|mid|the\s+end\s+of)[\s-]+)?{_MONTH}(?:\s+\d{{4}})?|"
                   rf"(?:(?:midday|noon|midnight|early|late)\s+on\s+)?(?:last\s+|next\s+|this\s+)?(?:{_DAYS})"
                   r"(?:\s+(?:morning|afternoon|evening|night))?|"
                   r"yesterday|today|tomorrow|tonight|(?:earlier|later)\s+this\s+(?:week|month|year)|"
                   r"(?:last|next|this)\s+(?:week|weekend|month|year|spring|summer|autumn|winter)|"
                   rf"(?:\d+|a|an|{NUM_WORDS})\s+(?:days?|weeks?|months?|years?)\s+ago|"
                   r"(?:in\s+)?(?:1[0-9]{3}|20[0-9]{2})s?)\b", re.IGNORECASE)
_SPAN_OF_TIME = re.compile(r"\b(?:since|for|over)\s[^.,;]{0,80}?\b(?:1[0-9]{3}|20[0-9]{2})\b|"
                           rf"(?:\d+|\b(?:{NUM_WORDS})\b)[\s-](?:seconds?|minutes?|hours?|days?|"
                           r"weeks?|months?|years?|decades?)\b", re.IGNORECASE)
# A quote may run on into the next sentence: then it is open to this sentence's end.
_QUOTED = re.compile(r"[\"“][^\"“”]{3,}(?:[\"”]|$)")
_FOLLOWING = re.compile(r"\W+(\w+)")
_PLACE = re.compile(r"\b(?:in|at|from|near|into|across|outside)\s+(?:the\s+)?"
                    r"([A-Z][\w'’-]*(?:\s+(?:of\s+)?[A-Z][\w'’-]*)*)")
_CLAUSE_MARKS = (", ", "; ", ": ", ". ", " - ", " – ")  # not "2,300" or "£1.3bn"
# Where a clause starts: punctuation, or (kept in the clause) a word that opens one.
# A comma before a capitalised word is a list of names ("The Aviator, Million Dollar Baby"), not a clause.
_CLAUSE_BREAK = re.compile(r"\s*[,;:][\"”’']?\s+(?![A-Z][a-z]+\b(?!\s+(?:said|says)))|\s+[-–—]+\s+|"
                           r"\s+(?=(?:because|since|although|though|while|whereas|but|which|so that|in order to|"
                           r"due to|as a result|after|before|unless|until|despite|amid)\b)")
_CAUSE = re.compile(r"(?:because|since|due to|as a result|so that|in order to|after|amid|as)\b", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"^\W*(?:\w+\s+){0,4}(?:said|says|added|told|argued|claimed|reported|according)\b\W*"
                          r"(?:\w+\W*){0,4}$|^\W*(?:said|says|added)\b", re.IGNORECASE)
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
        return _nearest(question, text, _amount(question, text))
    if kind == "duration":
        return _nearest(question, text, [(m.start(), m.end()) for m in _SPAN_OF_TIME.finditer(text)])
    if kind == "date":
        return _nearest(question, text, [(m.start(), m.end()) for m in _DATE.finditer(text)])
    if kind == "person":
        return _person(question, text)
    if kind in ("place", "origin"):
        return _nearest(question, text, _places(question, text))
    return _clause(question, text)


def _clause(question: Question, text: str) -> tuple[int, int] | None:
    """For "why", a yes-or-no question, "what" or "how": the clause that answers, where the sentence
    has several. "Why": the one a cause word opens ("because ...", "due to ..."), else the one that
    says what the question does not; otherwise the one with most of the question's words (the
    claim a yes or no rests on). Never "he said", and never the whole sentence: that adds nothing."""
    clauses = [c for c in _clauses(text) if not _ATTRIBUTION.search(text[c[0]:c[1]])]
    if len(clauses) < 2:
        return None
    asked = set(question.terms)

    def shared(c: tuple[int, int]) -> int:
        return len(asked & terms_of(text[c[0]:c[1]]))

    if question.expects == "reason":
        because = [c for c in clauses if _CAUSE.match(text, c[0])]
        return because[0] if because else min(clauses, key=shared)
    return max(reversed(clauses), key=shared)  # of equals the later: the subject comes first


def _clauses(text: str) -> list[tuple[int, int]]:
    """Clauses at commas, semicolons, dashes and the words that open one, of three words or more."""
    out, start = [], 0
    for cut in [*_CLAUSE_BREAK.finditer(text), None]:
        end = cut.start() if cut else len(text)
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip(" \"“'‘"))
        body = piece.strip(" \"“”'‘’.?!")
        if len(body.split()) >= 3:
            out.append((start + lead, start + lead + len(body)))
        start = cut.end() if cut else end
    return out


def _nearest(question: Question, text: str, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Of the candidate spans, the one with most of the question's words close before or after it;
    the first of equals."""
    asked = _roots(question.terms)

    def near(found: tuple[int, int]) -> int:
        # Its clause: "construction begins in March 2027, | and trams will start running in 2029".
        left = max(text.rfind(mark, 0, found[0]) for mark in _CLAUSE_MARKS)
        ends = [at for mark in _CLAUSE_MARKS if (at := text.find(mark, found[1])) >= 0]
        return len(asked & _roots(terms_of(text[max(0, left):min(ends, default=len(text))])))

    return max(spans, key=near) if spans else None


def _roots(terms: Iterable[str]) -> set[str]:
    """Stems without a doubled last letter: "running" and "run", "planned" and "plan" (the shared
    stemmer leaves "runn"; changing it would move the learned models' features)."""
    return {t[:-1] if len(t) > 3 and t[-1] == t[-2] and t[-1] not in "lsz" else t for t in terms}


def _person(question: Question, text: str) -> tuple[int, int] | None:
    """A name the question does not already give ("who did Ebbers' lawyers call" is not "Ebbers",
    nor "David Blunkett" for "who is the woman Blunkett fell for"), near the question's words."""
    given = _given(question)
    found, at = [], 0
    while (run := person_span(text[at:])) is not None:
        start, end = run[0] + at, run[1] + at
        if not {w.lower() for w in text[start:end].split()} & given:
            found.append((start, end))
        at = end
    return _nearest(question, text, found)


def _given(question: Question) -> set[str]:
    """The words of the names the question gives, lower case."""
    return {w.lower() for n in question.names for w in n.split()}


def _places(question: Question, text: str) -> list[tuple[int, int]]:
    """Capitalised runs after "in", "at", "from"... that the question does not already name."""
    given = _given(question)
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
    counted, measured = [], []
    for match in _numbers(text):
        end = match.end()
        word = next((w for w in _words_after(text, end) if stem(w.group(1)) in asked), None)
        if word is not None:
            counted.append((match.start(), word.end()))
        elif (unit := _with_unit(text, end)) > end and not counting:
            measured.append((match.start(), unit))
    return counted or measured


def _amount(question: Question, text: str) -> list[tuple[int, int]]:
    """"How much" asks for money or a share where the sentence has one; "how many" falls back to the
    counts in the sentence (not years) when none is followed by the question's own word."""
    asked = question.text.lower()
    if asked.startswith("how much") and (found := _money(text) or _shares(text)):
        return found
    counting = asked.startswith("how many")
    if counting and not _about(question, text):  # the count must be of what was asked
        return []
    counted = _count(question, text)
    if counted or not counting:
        return counted
    return [(m.start(), _with_unit(text, m.end())) for m in _numbers(text)]  # _numbers has no years


def _about(question: Question, text: str) -> bool:
    """Whether the sentence speaks of what is counted, most of the question's words in it (readers
    paraphrase the rest): "2,300 migrants" does not say how many died trying to cross."""
    asked = set(question.terms)
    return 2 * len(asked - terms_of(text)) <= len(asked)


def _shares(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _numbers(text) if m.group(0).endswith(("%", "cent"))]


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
