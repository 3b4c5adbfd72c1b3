"""The question answering service: one object that owns the storage backend (store, vectors and
lexical search, `index.backend`), the embedder and the conversations, and that the API and the
CLI both call. It never names a backend: `qa.startup` opens one from the settings."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy as np

from index.embedders.base import Embedder, exact
from index.embedders.batching import BatchingEmbedder
from index.feedback import Feedback
from index.protocols import Backend
from index.types import DocumentInfo, NewDocument, StoredDocument, StoredSentence
from index.wordvectors import WordVectorFile, made_by
from qa import startup
from qa.abandon import checkpoint
from qa.answer import answerability, conversation, spelling
from qa.answer.cache import AnswerCache
from qa.answer.passages import Passage
from qa.answer.pipeline import Answerer, Judged
from qa.answer.relatedness import Relatedness
from qa.answer.understanding import understand
from qa.errors import BadInput, Conflict, StoreError
from qa.ingest.ingestion import DocumentInput
from qa.ingest.segmentation import Segmenter
from qa.ingest.worker import IngestWorker
from qa.insights.report import Insights, outcome_of
from qa.settings import Settings
from qa.startup import encoder_kind

# Feedback, DocumentInfo, StoredDocument and StoredSentence are part of this module's interface: the API
# layer takes them from here rather than reaching past `qa` into `index`.
__all__ = ["AskResult", "DocumentInfo", "Feedback", "Judged", "PutResult", "QAService", "StoredDocument",
           "StoredSentence", "encoder_kind"]
log = logging.getLogger("qa.service")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
WORDS_FILE = "words.npz"  # in QA_DATA_DIR: the articles' word vectors (`index.wordvectors`)


@dataclass(frozen=True)
class AskResult:
    answer: Passage | None
    passages: list[Passage]
    conversation_id: str
    # Why `answer` is None: "uncertain" (then `closest` is the likeliest passage), "not_in_article" or
    # "unresolved_follow_up".
    abstention: str | None = None
    question: str = ""  # as understood: spelling corrected, a follow-up's referents added
    closest: Passage | None = None
    answer_id: str | None = None  # names this answer in feedback, while insights are recorded

    @property
    def outcome(self) -> str:
        return outcome_of(self.answer, self.closest)


@dataclass(frozen=True)
class PutResult:
    document: StoredDocument
    created: bool
    changed: bool = True


@dataclass
class QAService:
    settings: Settings
    embedder: Embedder
    backend: Backend
    decision: InitVar[answerability.Model | None] = None  # None: `settings.answerability_model`, else the shipped one
    segmenter: Segmenter = field(default_factory=Segmenter)
    owns_embedder: bool = False  # one this service loaded (and so closes), not one passed in
    answerer: Answerer = field(init=False)  # the answer path's stages (qa/answer/pipeline.py)
    conversations: conversation.Conversations | conversation.SharedConversations = field(init=False)
    relatedness: Relatedness = field(init=False)
    vocabularies: spelling.Vocabularies = field(init=False)  # the articles' words, for spelling and the decision
    insights: Insights = field(init=False)
    ingest: IngestWorker = field(init=False)  # where a write's costly part runs (qa/ingest/worker.py)
    words: WordVectorFile = field(init=False)  # the articles' word vectors, kept for the next start
    _words_kept: int = 0  # `relatedness.embedded` when they were last kept
    _closing: threading.Event = field(default_factory=threading.Event)
    _warming: threading.Thread | None = None
    # What a start could not do but the service serves without (a seed refused on a small disk):
    # said in the log and in /readyz, so an operator sees it without reading the code.
    problems: list[str] = field(default_factory=list)

    def __post_init__(self, decision: answerability.Model | None) -> None:
        s = self.settings
        shared = self.backend.conversation_store()
        if shared is not None:  # processes share the data: they share conversations too
            self.conversations = conversation.SharedConversations(
                shared, s.conversation_ttl_seconds, s.max_conversations, s.max_conversations_per_client,
                max_turns=s.conversation_turns)
        else:
            self.conversations = conversation.Conversations(
                s.conversation_ttl_seconds, s.max_conversations, per_client=s.max_conversations_per_client,
                max_turns=s.conversation_turns)
        self.ingest = IngestWorker(s.max_document_writes)
        self.vocabularies = spelling.Vocabularies(self.backend)
        # Word vectors by an encoder whose vectors do not depend on their batch: the same question
        # gets the same confidence in every process, right after a start or an hour later.
        encoder = exact(self.embedder)
        self.relatedness = Relatedness(encoder)
        self.words = WordVectorFile(s.data_dir / WORDS_FILE, made_by(encoder))
        decision = decision or answerability.Model.load(s.answerability_model or answerability.MODEL_FILE)
        # The ranking is the one the decision was fitted to (`decision.ranker`).
        self.answerer = Answerer(self.backend, self.embedder, decision, decision.ranker_weights(), self.relatedness,
                                 s.candidate_depth, s.min_confidence, s.closest_confidence,
                                 AnswerCache(s.answer_cache_size))
        # Questions are grouped by the same batch-independent encoder: the same groups in every process.
        self.insights = Insights(self.backend, encoder, enabled=s.insights, max_rows=s.insights_max_rows,
                                 retention_days=s.insights_retention_days)

    # --- lifecycle --------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None,
             decision: answerability.Model | None = None) -> QAService:
        owns_embedder = embedder is None
        embedder, backend = startup.open_parts(settings, embedder)
        service = cls(settings=settings, embedder=embedder, backend=backend, owns_embedder=owns_embedder,
                      decision=decision)
        for problem in (startup.prepare_again_if_recipe_changed(backend, service.put),
                        startup.seed_once(backend, settings.seeds_dir, service.put)):
            if problem is not None:
                service.problems.append(problem)
        service._warming = threading.Thread(target=service._learn_stored_words, name="qa-words", daemon=True)
        service._warming.start()
        return service

    def _learn_stored_words(self) -> None:
        """After a restart, read the word vectors kept by an earlier run and embed only the stored
        articles' words they lack, in the background, so that the first readers' questions do not
        wait for them (see `Relatedness`); then keep what was new for the next start."""
        try:
            self.relatedness.preload(self.words.load())
            for document_id in self.backend.document_ids():
                if self._closing.is_set():
                    return
                self.relatedness.learn_article(self.get(document_id).text)
            self._keep_words()
        except Exception as exc:  # a document deleted meanwhile, or the service closed: nothing is lost
            log.debug("stopped learning the stored words: %s", exc)

    def words_learned(self, timeout: float | None = None) -> bool:
        """Wait (up to `timeout` seconds) for the background learning of the stored articles' words
        that every start begins; whether it is done."""
        if self._warming is not None:
            self._warming.join(timeout)
            return not self._warming.is_alive()
        return True

    def _keep_words(self) -> None:
        """Save the word vectors if words were embedded since they were last saved. A failure
        costs the next start some encoder time, nothing else: it is logged, not raised."""
        embedded = self.relatedness.embedded
        if embedded == self._words_kept:
            return
        try:
            self.words.save(self.relatedness.snapshot())
            self._words_kept = embedded
        except (OSError, StoreError) as exc:
            log.warning("word vectors not kept for the next start: %s", exc)

    def close(self) -> None:
        self._closing.set()
        self.ingest.stop()  # a write still being prepared is not waited for, nor acknowledged
        self.words_learned()  # stops soon: it checks `_closing` between articles
        self._keep_words()
        self.insights.close()
        if self.owns_embedder and isinstance(self.embedder, BatchingEmbedder):
            self.embedder.close()
        self.backend.close()

    # --- documents --------------------------------------------------------------------------
    def put(self, doc: DocumentInput, replace_existing: bool = True, refresh: bool = False) -> PutResult:
        """Add a document, or replace the one with the same id. Re-sending identical content
        changes nothing (unless `refresh`); different content under an existing id needs
        `replace_existing`. A large document is split in `self.ingest`'s child process; the API
        bounds the writes in flight with `self.ingest.slot()`."""
        prepared = self.ingest.prepare(doc, self.segmenter)
        # Checked before the costly embedding, and again under the lock: a concurrent writer may
        # have stored the same id in between.
        unchanged = None if refresh else self._unchanged(prepared, replace_existing)
        if unchanged is not None:
            return unchanged
        texts = [s.embed_text for s in prepared.sentences]
        # Refused (507, nothing stored) before anything is written, rather than found out half way.
        self.backend.check_room(len(prepared.text.encode("utf-8", "surrogatepass")), len(prepared.sentences))
        vectors = self._stored_vectors(prepared.id, texts) if refresh else None
        if vectors is None:
            vectors = self.ingest.embed(self.embedder, texts)
        with self.backend.writing():
            unchanged = None if refresh else self._unchanged(prepared, replace_existing)
            if unchanged is not None:
                return unchanged
            existed = self.backend.has_document(prepared.id)
            self.backend.put_document(prepared, vectors)
        # The article's words are embedded now, once, rather than while a reader waits for an answer.
        self.relatedness.learn_article(prepared.text)
        return PutResult(self.backend.get_document(prepared.id), created=not existed)

    def _stored_vectors(self, document_id: str, texts: list[str]) -> np.ndarray | None:
        """The stored vectors, when they were embedded from exactly these texts: a refresh that
        changed only what the lexical index sees embeds nothing again."""
        stored, vectors = self.backend.embedded(document_id)
        return vectors if stored == texts else None

    def _unchanged(self, prepared: NewDocument, replace_existing: bool) -> PutResult | None:
        if not self.backend.has_document(prepared.id):
            return None
        current = self.backend.get_document(prepared.id)
        if current.checksum == prepared.checksum and current.url == prepared.url:
            return PutResult(current, created=False, changed=False)
        if not replace_existing:
            raise Conflict(f"document {prepared.id!r} exists with other content; use PUT to replace it")
        return None

    def delete(self, document_id: str) -> None:
        self.backend.delete_document(document_id)

    def get(self, document_id: str) -> StoredDocument:
        return self.backend.get_document(document_id)

    def has_document(self, document_id: str) -> bool:
        return self.backend.has_document(document_id)

    def documents(self) -> list[DocumentInfo]:
        return self.backend.list_documents()

    def sentences_of(self, document_id: str) -> list[StoredSentence]:
        """A document's sentences in order, with their offsets in its text."""
        return self.backend.document_sentences(document_id)

    def urls(self, document_ids: list[str]) -> dict[str, str | None]:
        """Each document's `url` (None where it has none), for showing where an answer came from."""
        return self.backend.urls(document_ids)

    def stats(self) -> dict[str, int]:
        """What the store holds: documents, sentences, and sentence vectors the search sees."""
        return {"documents": self.backend.count_documents(), "sentences": self.backend.count_sentences(),
                "vectors": self.backend.vector_count()}

    def record_feedback(self, item: Feedback, answer_id: str | None = None) -> int:
        """Store a reader's verdict; past `feedback_max_rows` the oldest rows make room, so
        feedback can never fill the disk. `answer_id` (from the answer) joins it to the question's
        insight row; it is not kept with the feedback, which may name the conversation."""
        if answer_id is not None:
            self.insights.verdict(answer_id, item.helpful)
        return self.backend.add_feedback(item, keep=self.settings.feedback_max_rows)

    def recent_feedback(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.backend.recent_feedback(limit)

    # --- questions --------------------------------------------------------------------------
    def ask(self, text: str, document_id: str | None = None, top_k: int = 3,
            conversation_id: str | None = None, history: list[tuple[str, str | None]] | None = None,
            client: str = "") -> AskResult:
        """Answer `text`. Earlier turns come from `conversation_id`, or from `history` (pairs of
        question and answer text) for stateless clients such as chat-completion bots. `client`
        (a key or address) bounds how many conversations one caller can hold."""
        text = self._checked(text, document_id)
        convo = self.conversations.get(conversation_id, client)
        # Only the latest turns can be referred back to; older ones would only cost time and memory.
        for past_question, past_answer in (history or [])[-self.settings.conversation_turns:]:
            self.conversations.record(convo, conversation.Turn(past_question, past_question, past_answer, document_id))
        checkpoint()
        understood = understand(text, document_id, convo.turns, self.vocabularies.of)
        judged = self.answerer.answer(understood, top_k)
        answer, closest, document_id = judged.answer, judged.closest, understood.document_id
        why = None if answer else "uncertain" if closest else conversation.abstention(
            understood.text, understood.resolved, convo.turns)
        # What the reader was shown, answer or closest passage, is what a follow-up refers back to.
        shown = answer or closest
        self.conversations.record(convo, conversation.Turn(
            understood.text, understood.resolved, shown.text if shown else None,
            shown.document_id if shown else document_id, shown.sentence_index if shown else None))
        answer_id = self.insights.record(understood.resolved, document_id, answer, closest, why,
                                         judged.confidence if judged.passages else None)
        return AskResult(answer=answer, passages=judged.passages, conversation_id=convo.id, abstention=why,
                         question=understood.resolved, closest=closest, answer_id=answer_id)

    def search(self, text: str, document_id: str | None = None, k: int = 10) -> list[Passage]:
        """The `k` passages that best match `text`, ranked as for an answer but with no decision to
        answer or abstain, and no conversation: for finding which articles speak of something."""
        return self.judged(text, document_id, k).passages

    def judged(self, text: str, document_id: str | None = None, top_k: int = 3) -> Judged:
        """`text` judged with no conversation and no cache, the decision's evidence included: for
        search, and for the benches and tests that look at what the decision saw."""
        text = self._checked(text, document_id)
        return self.answerer.judge(understand(text, document_id, [], self.vocabularies.of), top_k)

    def _checked(self, text: str, document_id: str | None) -> str:
        # Control characters carry no meaning in a question, and PostgreSQL cannot store NUL.
        text = " ".join(_CONTROL.sub(" ", text).split())
        if not text:
            raise BadInput("the question is empty")
        if document_id is not None:
            self.backend.get_document(document_id)  # raises DocumentNotFound
        return text

    # --- bulk writes (qa.ingest.bulk) --------------------------------------------------------------
    def put_prepared(self, items: list[tuple[NewDocument, np.ndarray]], save: bool = True) -> list[bool]:
        """Store documents already prepared and embedded (by `qa.ingest.bulk`), in one transaction; whether
        each was new. `save=False` leaves the vector file for a later call: saved once per run, not
        once per batch (a stale file is rebuilt from the store by its next reader: nothing is lost)."""
        # The batch as a whole: each document fitting on its own said nothing of thirty together.
        self.backend.check_room(sum(len(doc.text.encode("utf-8", "surrogatepass")) for doc, _ in items),
                                sum(len(doc.sentences) for doc, _ in items))
        with self.backend.writing():
            created = [not self.backend.has_document(doc.id) for doc, _ in items]
            self.backend.put_documents(items, save=save)
        return created
