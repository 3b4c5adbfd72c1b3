"""Conversations: bounded, expiring memory of earlier turns, used to understand follow-ups
("When did she appear before the committee?") without an external language model."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol

from qa.question import names_in, parse

_REFERRING = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|"
                        r"those|there|then|the same)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    question: str
    resolved: str
    answer_text: str | None
    document_id: str | None
    sentence_index: int | None = None


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
        """The live conversation with that id, or a new one (an unknown or expired id starts afresh
        under a new id, which the caller returns to the client). A client that starts more than
        its share of conversations loses its own oldest, not other readers' ones."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            found = self._items.get(conversation_id) if conversation_id else None
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
            conversation.turns.append(turn)
            del conversation.turns[: -self._max_turns]
            conversation.touched = self._clock()

    def _expire(self, now: float) -> None:
        while self._items:
            oldest = next(iter(self._items.values()))
            if now - oldest.touched <= self._ttl:
                return
            self._drop(oldest.id)


class SessionStore(Protocol):
    def get_conversation(self, conversation_id: str) -> tuple[str, float, str] | None: ...
    def put_conversation(self, conversation_id: str, client: str, touched: float, turns: str) -> None: ...
    def prune_conversations(self, client: str, keep: int, expired_before: float, max_total: int) -> None: ...


class SharedConversations:
    """The same contract as `Conversations`, kept in the database so that any API process can
    answer a follow-up (wall-clock time, as processes on several machines share it)."""

    def __init__(self, sessions: SessionStore, ttl_seconds: float, max_items: int, per_client: int = 0,
                 max_turns: int = 20, clock: Callable[[], float] = time.time) -> None:
        self._sessions, self._ttl, self._max, self._per_client = sessions, ttl_seconds, max_items, per_client
        self._max_turns, self._clock = max_turns, clock

    def get(self, conversation_id: str | None, client: str = "") -> Conversation:
        now = self._clock()
        row = self._sessions.get_conversation(conversation_id) if conversation_id else None
        if row is not None and conversation_id and now - row[1] <= self._ttl:
            return Conversation(id=conversation_id, turns=[Turn(**t) for t in json.loads(row[2])], touched=now,
                                client=row[0])
        found = Conversation(id=uuid.uuid4().hex, touched=now, client=client)
        self._sessions.put_conversation(found.id, client, now, "[]")
        self._sessions.prune_conversations(client, self._per_client, now - self._ttl, self._max)
        return found

    def record(self, conversation: Conversation, turn: Turn) -> None:
        conversation.turns.append(turn)
        del conversation.turns[: -self._max_turns]
        conversation.touched = self._clock()
        self._sessions.put_conversation(conversation.id, conversation.client, conversation.touched,
                                        json.dumps([asdict(t) for t in conversation.turns]))


def is_follow_up(question: str) -> bool:
    q = parse(question)
    return bool(_REFERRING.search(question)) or (not q.names and len(question.split()) <= 4)


def resolve(question: str, turns: list[Turn]) -> str:
    """Append what the previous turn was about to a question that refers back to it."""
    if not turns or not is_follow_up(question):
        return question
    last = turns[-1]
    # Multi-word names in the answer are the likeliest referents of "she" or "they".
    answer_names = [n for n in names_in(last.answer_text or "") if " " in n]
    focus = names_in(last.resolved) + answer_names
    # Without names to carry over, carry the earlier question's words: "What is it for?"
    # Commas keep the names apart: "Calais Natacha Bouchart" would read as one name nobody has.
    extra = ", ".join(dict.fromkeys(focus)) or " ".join(parse(last.question).words)
    return f"{question} {extra}".strip()


_PERSONAL = re.compile(r"\b(he|she|him|her|his|hers|they|them|their|theirs)\b", re.IGNORECASE)


def abstention(question: str, resolved: str, turns: list[Turn]) -> str:
    """Why a question went unanswered, so the reader can be told what to do: a follow-up (read
    with the previous turn, or one saying "she" with no turn before it to say who) is best asked
    again in full; anything else the article does not answer."""
    dangling = not turns and bool(_PERSONAL.search(question)) and not names_in(question)
    return "unresolved_follow_up" if resolved != question or dangling else "not_in_article"
