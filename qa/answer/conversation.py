"""Conversations: bounded, expiring memory of earlier turns, used to understand follow-ups
("When did she appear before the committee?") without an external language model."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

from index.errors import StoreError
from index.protocols import ConversationStore
from qa.answer.question import MAX_CHARS, names_in, parse

log = logging.getLogger("qa.answer.conversation")

# What a follow-up carries over, bounded so that its cost does not grow with the history: a few
# names or words of the previous turn, each short, read from a bounded slice of that turn.
MAX_CARRIED = 6
MAX_CARRIED_CHARS = 60  # of each
TURN_CHARS = MAX_CHARS  # of each text a kept turn holds: the longest question; answers are clipped to it

_REFERRING = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|"
                        r"those|there|then|the same)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    question: str
    resolved: str
    answer_text: str | None
    document_id: str | None
    sentence_index: int | None = None


def clipped(turn: Turn) -> Turn:
    """The turn as kept: its texts bounded, so stored conversations are bounded in characters."""
    return replace(turn, question=turn.question[:TURN_CHARS], resolved=turn.resolved[:TURN_CHARS],
                   answer_text=turn.answer_text[:TURN_CHARS] if turn.answer_text else turn.answer_text)


@dataclass
class Conversation:
    id: str
    turns: list[Turn] = field(default_factory=list)
    touched: float = 0.0
    client: str = ""


class Conversations:
    def __init__(self, ttl_seconds: float, max_items: int,
                 clock: Callable[[], float] = time.monotonic, max_turns: int = 20, per_client: int = 0) -> None:
        self._ttl = ttl_seconds
        self._max = max_items
        self._per_client = per_client  # 0 = no bound per client
        self._counts: Counter[str] = Counter()
        self._max_turns = max_turns
        self._clock = clock
        self._items: OrderedDict[str, Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, conversation_id: str | None, client: str = "") -> Conversation:
        """The live conversation with that id, if `client` started it, or a new one (an unknown,
        expired or another client's id starts afresh under a new id, which the caller returns).
        A client that starts more than its share of conversations loses its own oldest, not
        other readers' ones."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            found = self._items.get(conversation_id) if conversation_id else None
            if found is not None and found.client != client:
                found = None  # another client's: a fresh one, which neither reveals nor touches it
            if found is None:
                if self._per_client and self._counts[client] >= self._per_client:
                    self._drop(next(k for k, c in self._items.items() if c.client == client))
                found = Conversation(id=uuid.uuid4().hex, client=client)
                self._items[found.id] = found
                self._counts[client] += 1
            self._items.move_to_end(found.id)
            found.touched = now
            while len(self._items) > self._max:
                self._drop(next(iter(self._items)))
            return found

    def _drop(self, conversation_id: str) -> None:
        gone = self._items.pop(conversation_id)
        self._counts[gone.client] -= 1
        if self._counts[gone.client] <= 0:
            del self._counts[gone.client]

    def record(self, conversation: Conversation, turn: Turn) -> None:
        with self._lock:
            conversation.turns.append(clipped(turn))
            del conversation.turns[: -self._max_turns]
            conversation.touched = self._clock()

    def _expire(self, now: float) -> None:
        while self._items:
            oldest = next(iter(self._items.values()))
            if now - oldest.touched <= self._ttl:
                return
            self._drop(oldest.id)


class SharedConversations:
    """The same contract as `Conversations`, kept in the database so that any API process can
    answer a follow-up (wall-clock time, as processes on several machines share it)."""

    def __init__(self, store: ConversationStore, ttl_seconds: float, max_items: int, per_client: int = 0,
                 max_turns: int = 20, clock: Callable[[], float] = time.time) -> None:
        self._store, self._ttl, self._max, self._per_client = store, ttl_seconds, max_items, per_client
        self._max_turns, self._clock = max_turns, clock

    def get(self, conversation_id: str | None, client: str = "") -> Conversation:
        now = self._clock()
        row = self._store.get_conversation(conversation_id) if conversation_id else None
        # Another client's conversation is as good as unknown: a fresh one, revealing nothing.
        if row is not None and conversation_id and now - row[1] <= self._ttl and row[0] == client:
            return Conversation(id=conversation_id, turns=[Turn(**t) for t in json.loads(row[2])], touched=now,
                                client=row[0])
        found = Conversation(id=uuid.uuid4().hex, touched=now, client=client)
        self._store.put_conversation(found.id, client, now, "[]")
        try:
            self._store.prune_conversations(client, self._per_client, now - self._ttl, self._max)
        except StoreError as exc:  # housekeeping never fails a read; the next question trims again
            log.warning("conversation trim skipped: %s", exc)
        return found

    def record(self, conversation: Conversation, turn: Turn) -> None:
        conversation.turns.append(clipped(turn))
        del conversation.turns[: -self._max_turns]
        conversation.touched = self._clock()
        self._store.put_conversation(conversation.id, conversation.client, conversation.touched,
                                        json.dumps([asdict(t) for t in conversation.turns]))


# "Will there be a bike lane?", "is there a plan": "there" that points nowhere, unlike "was he there".
_EXISTENTIAL = re.compile(r"\bthere\s+(?:is|are|was|were|be|been|will|would|has|have|had|'s|’s)\b|"
                          r"\b(?:is|are|was|were|will|would|be|has|have|had)\s+there\b", re.IGNORECASE)


def is_follow_up(question: str, names: tuple[str, ...] | None = None) -> bool:
    """`names`: the question's names, when the caller has parsed it already."""
    names = parse(question).names if names is None else names
    return bool(_REFERRING.search(_EXISTENTIAL.sub(" ", question))) or (not names and len(question.split()) <= 4)


def resolve(question: str, turns: list[Turn], names: tuple[str, ...] | None = None) -> str:
    """Append what the previous turn was about to a question that refers back to it: at most
    MAX_CARRIED short names (or words), whatever the length of the history."""
    if not turns or not is_follow_up(question, names):
        return question
    last = turns[-1]
    # Multi-word names in the answer are the likeliest referents of "she" or "they".
    answer_names = [n for n in names_in((last.answer_text or "")[:TURN_CHARS]) if " " in n]
    focus = names_in(last.resolved[:TURN_CHARS]) + answer_names
    # "It" and "that" stand for what was asked about, not for a person: carry the earlier
    # question's words too ("What is it for?" after "How much money has Britain pledged?").
    words = [] if focus and _PERSONAL.search(question) else list(parse(last.question[:TURN_CHARS]).words)
    carried = list(dict.fromkeys(focus + [w for w in words if w not in " ".join(focus)]))
    # A run of capitalised words can be a whole sentence long: its first few words stand for it.
    extra = list(dict.fromkeys(" ".join(c.split()[:4])[:MAX_CARRIED_CHARS] for c in carried))[:MAX_CARRIED]
    # Commas keep names apart: "Calais Natacha Bouchart" would read as one name nobody has.
    return f"{question} {', '.join(extra)}".strip()


_PERSONAL = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|theirs)\b", re.IGNORECASE)


def referents(question: str, last: Turn) -> tuple[str, ...]:
    """The names of the turn before that a follow-up points back at, and so does not ask for: those
    of the question before ("he" after "what did Blunkett say"), and, where that question asked for
    a person, those its answer gave ("who did she marry" after "who is Blunkett's lover"). Other
    names of that answer may be what the follow-up asks for ("who said that")."""
    names = names_in(last.resolved[:TURN_CHARS])
    if _PERSONAL.search(question) and parse(last.resolved[:TURN_CHARS]).expects in ("person", "role"):
        names += [n for n in names_in((last.answer_text or "")[:TURN_CHARS]) if " " in n]
    return tuple(dict.fromkeys(names))


def abstention(question: str, resolved: str, turns: list[Turn]) -> str:
    """Why a question went unanswered, so the reader can be told what to do: one saying "she" with
    no turn before it to say who is best asked again in full; anything else, a follow-up read
    with the turn before included, the article does not answer."""
    dangling = not turns and bool(_PERSONAL.search(question)) and not names_in(question)
    return "unresolved_follow_up" if dangling and resolved == question else "not_in_article"
