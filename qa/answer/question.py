"""What a question asks for: its type, its content words, the names it mentions, its speaker."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from index.lexical import STOPWORDS
from qa.answer.demonyms import COUNTRY_OF

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
# Capitalised words, joined by the particles that sit inside names ("Duke of York", "van Gogh").
_NAME = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:(?:of|de|la|du|da|van|von|der)\s+)?[A-Z][\w’'.-]*)*")
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")
# A capitalised first word is often just the start of the question ("Despite the ...", "If Roman ...").
_LEADING = frozenset("despite during after before although though because if since upon following besides "
                     "unlike like according apart aside along among amid within without".split())
_SAY = re.compile(r"^(?:what|how) (?:did|does|do|has|have|had|will|would) (.+?) (?:say|said|tell|told|"
                  r"claim|state|announce|argue|suggest|think|mean|want|wanted|propose|demand|hope|plan|ask)\b",
                  re.IGNORECASE)
# "Who is Cazeneuve?" asks for the role that names him, not for another person.
_ROLE_WORDS = frozenset("job role title position post occupation".split())
_WHO_IS = re.compile(r"^(?:who|what) (?:is|was|are|were) (.+?)\W*$", re.IGNORECASE)
QUESTION_WORDS = frozenset("who whom whose what when where why how which whats does did do is are was "
                           "were can could should would will has have had many much".split())

EXPECTS = [
    (re.compile(r"^how (many|much)\b.*\b(cost|money|paid|pay\w*|spen[dt]\w*|worth|price|pledge\w*|fund\w*|"
                r"budget|invest\w*)", re.I), "money"),
    (re.compile(r"^how long\b", re.I), "duration"),
    (re.compile(r"^how (many|much)\b", re.I), "number"),
    (re.compile(r"^(how (long|old|far|big|large|tall|often))\b", re.I), "number"),
    (re.compile(r"^(when\b|what (year|date|day|month|time|century|decade)\b|in what year\b|"
                r"in which year\b|what year\b)", re.I), "date"),
    (re.compile(r"^(who|whom|whose)\b", re.I), "person"),
    (re.compile(r"^where\b.*\bfrom\b", re.I), "origin"),
    (re.compile(r"^where\b", re.I), "place"),
    (re.compile(r"^(why)\b|^what\b.*\bfor\W*$|^what\b.*\b(purpose|reason|aim)\b", re.I), "reason"),
    (re.compile(r"^(did|does|do|is|are|was|were|will|would|has|have|had|can|could|should)\b", re.I), "yesno"),
]


MAX_CHARS = 2000  # the longest question accepted: the API's limit, and what a conversation keeps of a turn


@dataclass(frozen=True)
class Question:
    text: str
    expects: str
    terms: tuple[str, ...]
    names: tuple[str, ...]
    speaker: str | None
    words: tuple[str, ...] = ()  # the surface forms of `terms`, in the same order


@functools.lru_cache(maxsize=1 << 16)  # a news vocabulary repeats (docs/decisions.md)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'migrants' with 'migrant', 'closed' with 'close'."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    # "British" and "Britain" are one term; then stemmed as any word ("Dutch", "Netherlands").
    word = COUNTRY_OF.get(word) or COUNTRY_OF.get(word[:-1] if word.endswith("s") else word) or word
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 1]


@functools.lru_cache(maxsize=65536)
def content_terms(text: str) -> tuple[str, ...]:
    """Stemmed content words. Cached: the same sentences are rescored for many questions, and
    this was the reranker's hottest line."""
    return tuple(stem(w) for w in content_words(text))


def parse(text: str) -> Question:
    text = " ".join(text.split())
    expects = next((kind for pattern, kind in EXPECTS if pattern.search(text)), "other")
    say = _SAY.search(text)
    if say:
        expects = "quote"
    elif _asks_role(text):
        expects = "role"
    pairs = {stem(w): w for w in reversed(content_words(text)) if w.lower() not in QUESTION_WORDS}
    terms = tuple(dict.fromkeys(t for t in content_terms(text) if t in pairs))
    return Question(text=text, expects=expects, terms=terms, names=tuple(names_in(text)),
                    speaker=say.group(1) if say else None, words=tuple(pairs[t] for t in terms))


def names_in(text: str) -> list[str]:
    """Capitalised words and runs of them, except a sentence-initial question word."""
    names: list[str] = []
    for match in _NAME.finditer(text):
        words = match.group(0).split()
        if match.start() == 0 and words and (words[0].lower() in _LEADING or words[0].lower() in STOPWORDS):
            words = words[1:]
        # "Westwood One's Super Bowl" is two names.
        for part in _POSSESSIVE.split(" ".join(w for w in words if w.lower() not in QUESTION_WORDS)):
            name = part.strip().rstrip(".")
            if name and name[0].isupper():
                names.append(name)
    return [n for n in dict.fromkeys(names) if n.lower() not in STOPWORDS]


def _asks_role(text: str) -> bool:
    """"Who is Cazeneuve?" and "Who was James Brokenshire?": every word after the verb is a name."""
    match = _WHO_IS.match(text)
    if match is None:
        return False
    named = {w.lower() for n in names_in(match.group(1)) for w in n.split()}
    words = [_POSSESSIVE.sub("", w.lower()) for w in content_words(match.group(1))]
    return bool(named) and all(w in named or w.rstrip("s") in named or w in _ROLE_WORDS for w in words)
