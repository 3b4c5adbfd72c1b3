"""Second stage: rescore the fused candidates with features a reader would use: the words and
names of the question found in the sentence (or just before it), whether the sentence holds the
kind of thing asked for (a number, a date, a person, a quote), and the two rankers' scores."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from qa.answer.question import Question, content_terms
from qa.answer.retrieval import Candidate

NUM_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|" \
             r"hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|several|half"
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})s?\b")
_NUMBER = re.compile(rf"\d|\b({NUM_WORDS})\b", re.IGNORECASE)
MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_DATE = re.compile(rf"\b({MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|"
                   r"today|tomorrow|last (week|month|year)|ago|century|centuries|decade|era|period|"
                   r"\d{1,2}(st|nd|rd|th))\b", re.IGNORECASE)
_MONEY = re.compile(r"[$£€¥]|\b(dollars?|pounds?|euros?|yen|cents?|usd|gbp)\b", re.IGNORECASE)
_QUOTE = re.compile(r"[\"“”]")
_SAID = re.compile(r"\b(said|says|saying|told|tells|stated|added|according to|asked|warned|insisted|"
                   r"argued|claimed|suggested|announced)\b", re.IGNORECASE)
_NAME_RUN = re.compile(r"(\w+\s+)?([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)")
_NOT_PERSON_START = frozenset("The A An In On At But And This That These Those It He She They We If When "
                              "While After Before During Since As For From Of To By With".split())
_PLACE = re.compile(r"\b(in|at|from|near|to|into|across)\s+(the\s+)?[A-Z]")
_ORIGIN = re.compile(r"\bfrom\s+(?:\S+\s+){0,3}?[A-Z]")
_REASON = re.compile(r"\b(because|since|due to|as a result|in order to|so that|so as to|led to|caused|"
                     r"aims? to|aimed at|intended to|designed to)\b", re.IGNORECASE)
_DURATION = re.compile(r"\b(since|for|over)\b[^.,;]{0,80}?\b(\d+|(1[0-9]{3}|20[0-9]{2})|years?|months?|weeks?|"
                       r"days?|decades?|hours?)\b|\d+\s(seconds?|minutes?|hours?|days?|weeks?|months?|years?|"
                       r"decades?)\b", re.IGNORECASE)
_APPOSITION = re.compile(r"(?:['’]s)?,\s(?:the|a|an|who is|who was)\s", re.IGNORECASE)
# "...should be sent to Calais to deter a tide...": an infinitive of purpose answers "why" and "what for".
_PURPOSE = re.compile(r"\bto (?!the\b|a\b|an\b|be\b|his\b|her\b|their\b|its\b)[a-z]{3,}\b")
# A role or title that introduces a name ("Security Minister James Brokenshire", "X, the mayor,").
_ROLE = re.compile(r"\b(minister|secretary|president|mayor|chief|director|head|leader|spokes(?:man|woman|person)|"
                   r"chair(?:man|woman)?|governor|senator|ambassador|officer|commissioner|general|captain|king|"
                   r"queen|prince|founder|editor|professor|judge|manager|coach|member|author|correspondent|"
                   r"reporter|executive|official|mp|ceo)\b|,\s(?:the|a|an)\s", re.IGNORECASE)


@dataclass(frozen=True)
class Weights:
    """The hand-set defaults (from reading misses on the seed article and squad_dev); a learned set
    travels with the answerability model (`qa train --readers`, `Model.ranker`), fitted to the
    features the decision then sees."""
    dense: float = 1.0
    lexical: float = 0.35
    overlap: float = 0.45
    context: float = 0.15
    names: float = 0.25
    kind: float = 0.3
    carry: float = 0.4
    speaker: float = 0.35
    recent: float = 0.2
    phrases: float = 0.3


@dataclass(frozen=True)
class Asked:
    """What every candidate is compared with, worked out once per question rather than once
    per candidate."""
    question: Question
    terms: frozenset[str]
    weight: dict[str, float]
    total: float  # the summed weight of the question's terms
    pairs: frozenset[tuple[str, str]]
    names: tuple[str, ...]  # lower-cased
    speaker: frozenset[str]

    @classmethod
    def of(cls, question: Question, idf: dict[str, float] | None = None) -> Asked:
        terms, weight = frozenset(question.terms), idf or {}
        # fsum: a set's order follows string hashing, which differs from process to process; a plain
        # sum in that order differed in the last bit, and so did the confidence (issue #23).
        return cls(question=question, terms=terms, weight=weight,
                   total=math.fsum(weight.get(t, 1.0) for t in terms), pairs=_pairs(question.text),
                   names=tuple(n.lower() for n in question.names),
                   speaker=terms_of(question.speaker) if question.speaker else frozenset())


def features(asked: Asked, c: Candidate, max_lexical: float) -> dict[str, float]:
    text, terms, expects = c.sentence.text, asked.terms, asked.question.expects
    kind = role_match(asked.question.names, text, c.previous) if expects == "role" else kind_match(expects, text)
    own = terms_of(text)
    around = (terms_of(c.title) | terms_of(c.previous)) - own
    return {
        "dense": c.dense,
        "lexical": c.lexical / max_lexical if max_lexical > 0 else 0.0,
        # Rare words matter more: "occupation" says more than "years".
        "overlap": math.fsum(asked.weight.get(t, 1.0) for t in terms & own) / asked.total if asked.total else 0.0,
        "context": len(terms & around) / len(terms) if terms else 0.0,
        "names": _names(asked.names, text, c.title, c.previous),
        "kind": kind,
        # The question matches the sentence before, and this one holds the kind of thing asked:
        # "...France's interior minister suggested." then "Bernard Cazeneuve's comments came...".
        "carry": kind * (1.0 - kind_match(expects, c.previous)) * _share(terms, c.previous),
        "speaker": _speaker(asked.speaker, text, c.previous),
        # Questions often keep the article's phrasing: "the Apollo 1 fire", "Sun Life Stadium".
        "phrases": len(asked.pairs & _pairs(text)) / len(asked.pairs) if asked.pairs else 0.0,
    }


def rerank(asked: Asked, candidates: list[Candidate], weights: Weights = Weights(),
           focus: tuple[str, int] | None = None) -> list[Candidate]:
    """Order candidates by weighted features. `focus` is (document, sentence index) of the answer a
    follow-up refers back to: "What is it for?" is most likely answered there or next to it."""
    max_lexical = max((c.lexical for c in candidates), default=0.0)
    w = weights.__dict__
    for c in candidates:
        values = features(asked, c, max_lexical)
        values["recent"] = _nearness(c, focus)
        c.features = values
        c.score = sum(w[name] * value for name, value in values.items())
    return sorted(candidates, key=lambda c: c.score, reverse=True)


@lru_cache(maxsize=1 << 16)  # the same candidate sentences come back question after question
def kind_match(expects: str, text: str) -> float:
    if expects == "number":
        # "How many" wants a count; a year alone is not one.
        return 1.0 if _NUMBER.search(_YEAR.sub("", text)) else 0.0
    if expects == "money":
        return 1.0 if _MONEY.search(text) else 0.5 if _NUMBER.search(text) else 0.0
    if expects == "date":
        return 1.0 if _YEAR.search(text) or _DATE.search(text) else 0.0
    if expects == "person":
        return 1.0 if has_person(text) else 0.0
    if expects == "origin":  # "Where do they come from?" wants "from <somewhere>", not a destination
        return 1.0 if _ORIGIN.search(text) else 0.0
    if expects == "place":
        return 1.0 if _PLACE.search(text) else 0.0
    if expects == "reason":
        return 1.0 if _REASON.search(text) else 0.5 if _PURPOSE.search(text) else 0.0
    if expects == "role":
        return 1.0 if _ROLE.search(text) else 0.0
    if expects == "duration":  # "since 2002", "for three years", "9 hours"
        return 1.0 if _DURATION.search(text) else 0.5 if _YEAR.search(text) else 0.0
    if expects == "quote":
        return 1.0 if _QUOTE.search(text) and _SAID.search(text) else 0.5 if _SAID.search(text) else 0.0
    return 0.0


def role_match(names: tuple[str, ...], text: str, previous: str) -> float:
    """"Who is Cazeneuve?": a role next to the name ("interior minister Bernard Cazeneuve",
    "Cazeneuve, the minister,"), or a role in the sentence before one that opens with the name."""
    best = 0.0
    for name in names:
        at = text.find(name.split()[-1])
        if at < 0:
            continue
        before, after = text[max(0, at - 60):at], text[at:at + len(name) + 30]
        if _ROLE.search(before.split(",")[-1]) or _APPOSITION.match(after[len(name.split()[-1]):]):
            return 1.0
        if _ROLE.search(previous) and name.split()[-1] not in previous and at < 40:
            best = 0.7
    return best


def person_span(text: str) -> tuple[int, int] | None:
    """The first run of two or more capitalised words that is not "the English Channel" or "In March"."""
    for match in _NAME_RUN.finditer(text):
        before, run = (match.group(1) or "").strip(), match.group(2)
        if before.lower() != "the" and run.split()[0] not in _NOT_PERSON_START:
            return match.start(2), match.end(2)
    return None


def _nearness(c: Candidate, focus: tuple[str, int] | None) -> float:
    if focus is None or c.sentence.document_id != focus[0]:
        return 0.0
    distance = abs(c.sentence.position - focus[1])
    return 1.0 if distance == 0 else 0.5 if distance == 1 else 0.0


# Cached by text: the same sentences are rescored for question after question.
@lru_cache(maxsize=1 << 16)
def terms_of(text: str) -> frozenset[str]:
    return frozenset(content_terms(text))


@lru_cache(maxsize=1 << 16)
def _pairs(text: str) -> frozenset[tuple[str, str]]:
    terms = content_terms(text)
    return frozenset(zip(terms, terms[1:], strict=False))


def _share(terms: frozenset[str], text: str) -> float:
    return len(terms & terms_of(text)) / len(terms) if terms else 0.0


def has_person(text: str) -> bool:
    """A run of two or more capitalised words that is not "the English Channel" or "In March":
    without a tagger, the cheapest signal that a sentence names somebody."""
    return person_span(text) is not None


def _names(names: tuple[str, ...], text: str, title: str, previous: str) -> float:
    if not names:
        return 0.0
    lower, title, previous = text.lower(), title.lower(), previous.lower()
    score = sum(1.0 if n in lower else 0.5 if n in title or n in previous else 0.0 for n in names)
    return score / len(names)


def _speaker(who: frozenset[str], text: str, previous: str) -> float:
    if not who:
        return 0.0
    here = len(who & terms_of(text)) / len(who)
    before = len(who & terms_of(previous)) / len(who)
    attributed = 1.0 if _SAID.search(text) else 0.0
    quoted = 1.0 if _QUOTE.search(text) else 0.0
    # The speaker named in the sentence beats one named just before a bare quote.
    return max(here * (0.5 * attributed + 0.5 * quoted), 0.6 * before * quoted)
