"""The question answering service: one object that owns the store, the vector index, the
embedder and the conversations, and that the API and the CLI both call."""

from __future__ import annotations

import logging
import math
import re
import shutil
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from index.batching import BatchingEmbedder
from index.embedder import Embedder, load_embedder
from index.errors import CorruptFile
from index.feedback import Feedback
from index.memo import Memo
from index.onnx_encoder import OnnxEmbedder
from index.storage import Storage, VectorSearch
from index.store import DocumentInfo, NewDocument, Store, StoredDocument, read_meta
from index.vectors import Approximation, VectorIndex
from qa import answerability, answers, byline, cache, conversation, question, reranking, retrieval, spelling
from qa.answers import Passage
from qa.errors import BadInput, Conflict, StorageFull
from qa.ingestion import RECIPE, DocumentInput, find_files, prepare, read_file
from qa.relatedness import Relatedness
from qa.segmentation import Segmenter
from qa.settings import Settings

# Feedback, DocumentInfo and StoredDocument are part of this module's interface: the API layer takes them from
# here rather than reaching past `qa` into `index`.
__all__ = ["AskResult", "DocumentInfo", "Feedback", "PutResult", "QAService", "StoredDocument"]
log = logging.getLogger("qa.service")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TOTAL = ""  # not a word: where the document-frequency cache keeps the sentence count


@dataclass(frozen=True)
class AskResult:
    answer: Passage | None
    passages: list[Passage]
    conversation_id: str
    abstention: str | None = None  # why `answer` is None: "not_in_article" or "unresolved_follow_up"
    question: str = ""  # as understood: spelling corrected, a follow-up's referents added


@dataclass(frozen=True)
class Judged:
    """A question's ranked passages and the decision on its best one."""

    answer: Passage | None
    passages: list[Passage]
    confidence: float  # the probability that the first passage answers the question
    evidence: answerability.Evidence | None


@dataclass(frozen=True)
class PutResult:
    document: StoredDocument
    created: bool
    changed: bool = True


@dataclass
class QAService:
    settings: Settings
    embedder: Embedder
    store: Storage
    vectors: VectorSearch
    segmenter: Segmenter = field(default_factory=Segmenter)
    weights: reranking.Weights = field(default_factory=reranking.Weights)
    conversations: conversation.Conversations | conversation.SharedConversations = field(init=False)
    answer_cache: cache.AnswerCache[Judged] = field(init=False)
    owns_embedder: bool = False  # one this service loaded (and so closes), not one passed in
    _write_lock: threading.Lock = field(default_factory=threading.Lock)
    _df_cache: Memo[str, int] = field(default_factory=lambda: Memo(100_000))
    judge: answerability.Model = field(default_factory=answerability.Model.load)
    _vocabularies: Memo[str | None, spelling.Vocabulary] = field(default_factory=lambda: Memo(64))
    relatedness: Relatedness = field(init=False)
    _closing: threading.Event = field(default_factory=threading.Event)
    _warming: threading.Thread | None = None

    def __post_init__(self) -> None:
        s = self.settings
        if s.database_url is not None:  # processes share the database: they share conversations too
            from index.postgres import PostgresStore
            from index.sessions import PostgresSessions

            assert isinstance(self.store, PostgresStore)
            self.conversations = conversation.SharedConversations(
                PostgresSessions(self.store), s.conversation_ttl_seconds, s.max_conversations,
                s.max_conversations_per_client, max_turns=s.conversation_turns)
        else:
            self.conversations = conversation.Conversations(
                s.conversation_ttl_seconds, s.max_conversations, per_client=s.max_conversations_per_client,
                max_turns=s.conversation_turns)
        self.answer_cache = cache.AnswerCache(self.settings.answer_cache_size)
        self.relatedness = Relatedness(self.embedder)

    # --- lifecycle --------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None,
             judge: answerability.Model | None = None) -> QAService:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        owns_embedder = embedder is None
        if embedder is None:
            embedder = load_embedder(encoder_kind(settings), settings.model, settings.threads,
                                     settings.data_dir / "models")
            if settings.encoder_batching:
                embedder = _batching(embedder, settings.threads)
        store, vectors = _open_storage(settings, embedder)
        judge = judge or answerability.Model.load(settings.answerability_model or answerability.MODEL_FILE)
        service = cls(settings=settings, embedder=embedder, store=store, vectors=vectors, owns_embedder=owns_embedder,
                      judge=judge)
        service._prepare_again_if_recipe_changed()
        service._seed_once()
        service._warming = threading.Thread(target=service._learn_stored_words, name="qa-words", daemon=True)
        service._warming.start()
        return service

    def _learn_stored_words(self) -> None:
        """After a restart, embed the stored articles' words in the background, so that the first
        readers' questions do not wait for them (see `Relatedness`)."""
        try:
            for document_id in self.store.document_ids():
                if self._closing.is_set():
                    return
                self.relatedness.learn(w.lower() for w in question.content_words(self.get(document_id).text))
        except Exception as exc:  # a document deleted meanwhile, or the service closed: nothing is lost
            log.debug("stopped learning the stored words: %s", exc)

    def close(self) -> None:
        self._closing.set()
        if self._warming is not None:
            self._warming.join()
        if self.owns_embedder and isinstance(self.embedder, BatchingEmbedder):
            self.embedder.close()
        self.store.close()

    def _prepare_again_if_recipe_changed(self) -> None:
        """Documents stored by an earlier version were indexed under other texts: prepare them
        again from their stored text, once, so old and new ones rank alike. One at a time (a
        large store's texts never sit in memory together); vectors are reused where the embedded
        text is unchanged."""
        if self.store.get_meta("ingest_recipe") == RECIPE:
            return
        ids = self.store.document_ids()
        if ids:
            log.warning("indexing %d stored documents again (ingest recipe %s)", len(ids), RECIPE)
        for document_id in ids:
            doc = self.store.get_document(document_id)
            try:
                self.put(DocumentInput(text=doc.text, id=doc.id, title=doc.title, url=doc.url,
                                       metadata=doc.metadata), refresh=True)
            except BadInput as exc:  # keeps its old indexing rather than keep the service down
                log.warning("document %r kept as indexed before: %s", document_id, exc)
        self.store.set_meta("ingest_recipe", RECIPE)

    def _seed_once(self) -> None:
        if self.store.get_meta("seeded") or not self.settings.seeds_dir.is_dir():
            return
        for path in find_files([self.settings.seeds_dir]):
            self.put(read_file(path), replace_existing=False)
            log.info("ingested seed %s", path.name)
        self.store.set_meta("seeded", "1")

    # --- documents --------------------------------------------------------------------------
    def put(self, doc: DocumentInput, replace_existing: bool = True, refresh: bool = False) -> PutResult:
        """Add a document, or replace the one with the same id. Re-sending identical content
        changes nothing (unless `refresh`); different content under an existing id needs
        `replace_existing`."""
        prepared = prepare(doc, self.segmenter)
        # Checked before the costly embedding, and again under the lock: a concurrent writer may
        # have stored the same id in between.
        unchanged = None if refresh else self._unchanged(prepared, replace_existing)
        if unchanged is not None:
            return unchanged
        texts = [s.embed_text for s in prepared.sentences]
        self._ensure_room(prepared)
        vectors = self._stored_vectors(prepared.id, texts) if refresh else None
        if vectors is None:
            vectors = self.embedder.encode(texts)
        with self._write_lock:
            unchanged = None if refresh else self._unchanged(prepared, replace_existing)
            if unchanged is not None:
                return unchanged
            existed = self.store.has_document(prepared.id)
            removed, added = self.store.put_document(prepared, vectors)
            self.vectors.remove(removed)
            self.vectors.add(added, vectors)
            self._save_vectors()
        # The article's words are embedded now, once, rather than while a reader waits for an answer.
        self.relatedness.learn(w.lower() for w in question.content_words(prepared.text))
        return PutResult(self.store.get_document(prepared.id), created=not existed)

    def _ensure_room(self, prepared: NewDocument) -> None:
        """Refuse a write (507, nothing stored) that would leave less than `min_free_bytes` free:
        checked before anything is written, rather than found out half way. The estimate counts
        the text in the database and its lexical index, the vectors, and a fresh copy of the
        vector file beside the old one. PostgreSQL's disk is the database server's: not checked."""
        if self.settings.database_url is not None:
            return
        text_bytes = len(prepared.text.encode("utf-8", "surrogatepass"))
        vector_bytes = len(prepared.sentences) * self.embedder.dim * 4
        vector_file = self.settings.data_dir / "vectors.faiss"
        need = 4 * text_bytes + 2 * vector_bytes + (vector_file.stat().st_size if vector_file.exists() else 0)
        if shutil.disk_usage(self.settings.data_dir).free - need < self.settings.min_free_bytes:
            raise StorageFull(f"not enough free disk for this document (about {need} bytes, keeping "
                              f"{self.settings.min_free_bytes} free); nothing was stored")

    def _stored_vectors(self, document_id: str, texts: list[str]) -> np.ndarray | None:
        """The stored vectors, when they were embedded from exactly these texts: a refresh that
        changed only what the lexical index sees embeds nothing again."""
        stored, vectors = self.store.embedded(document_id)
        return vectors if stored == texts else None

    def _unchanged(self, prepared: NewDocument, replace_existing: bool) -> PutResult | None:
        if not self.store.has_document(prepared.id):
            return None
        current = self.store.get_document(prepared.id)
        if current.checksum == prepared.checksum and current.url == prepared.url:
            return PutResult(current, created=False, changed=False)
        if not replace_existing:
            raise Conflict(f"document {prepared.id!r} exists with other content; use PUT to replace it")
        return None

    def delete(self, document_id: str) -> None:
        with self._write_lock:
            self.vectors.remove(self.store.delete_document(document_id))
            self._save_vectors()

    def get(self, document_id: str) -> StoredDocument:
        return self.store.get_document(document_id)

    def documents(self) -> list[DocumentInfo]:
        return self.store.list_documents()

    def record_feedback(self, item: Feedback) -> int:
        """Store a reader's verdict; past `feedback_max_rows` the oldest rows make room, so
        feedback can never fill the disk."""
        return self.store.add_feedback(item, keep=self.settings.feedback_max_rows)

    def _save_vectors(self) -> None:
        try:
            self.vectors.save(self.settings.data_dir, self.embedder.name, self.store.generation())
        except StorageFull:
            # The write is committed in the database and served from memory: that is its true outcome.
            # The vector file is now older than the database, so the next start rebuilds it from there.
            log.error("the vector index file could not be saved (disk full); it is rebuilt at the next start")

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
        text = spelling.correct(text, self.vocabulary(document_id))
        resolved = conversation.resolve(text, convo.turns)
        previous = convo.turns[-1] if resolved != text else None
        if previous is not None and document_id is None:
            document_id = previous.document_id  # a follow-up stays on the article it follows
        if previous is None:
            key = cache.key_for(text, document_id, top_k, self.store.generation())
            judged = self.answer_cache.get(key) or self.judge_question(text, text, document_id, top_k, None)
            self.answer_cache.put(key, replace(judged, evidence=None))  # the candidates need not be kept
        else:
            judged = self.judge_question(text, resolved, document_id, top_k, previous)
        answer = judged.answer
        why = None if answer else conversation.abstention(text, resolved, convo.turns)
        self.conversations.record(convo, conversation.Turn(
            text, resolved, answer.text if answer else None, answer.document_id if answer else document_id,
            answer.sentence_index if answer else None))
        return AskResult(answer=answer, passages=judged.passages, conversation_id=convo.id, abstention=why,
                         question=resolved)

    def vocabulary(self, document_id: str | None) -> spelling.Vocabulary:
        """The words of the searched articles, read once per store generation."""
        with self.store.lock:
            return self._vocabularies.get(self.store.generation(), document_id, lambda: spelling.Vocabulary.of(
                self.store.get_document(d).text for d in ([document_id] if document_id else self.store.document_ids())))

    def judge_question(self, text: str, resolved: str, document_id: str | None, top_k: int,
                       previous: conversation.Turn | None) -> Judged:
        if (from_page := byline.answer(text, document_id, self.store)) is not None:
            return Judged(from_page, [from_page], 1.0, None)
        # Counted while it is answered: the encoder takes both cores only for a lone question.
        load = self.embedder.load if isinstance(self.embedder, BatchingEmbedder) else nullcontext()
        with load:
            # The vector first, BM25 after (under the lock): see docs/decisions.md.
            query_vector = self.embedder.encode([resolved])[0]
            asked = question.parse(text)
            vocabulary = self.vocabulary(document_id)
            # One consistent view of the store while the answer is put together: a concurrent
            # replace or delete must not remove a sentence between finding it and quoting it.
            with self.store.lock:
                q, idf = self._focus(asked, resolved)
                ranked = self._rank(q, idf, resolved, query_vector, document_id, previous)
                return self._decide(q, idf, ranked, document_id, top_k, vocabulary)

    def _checked(self, text: str, document_id: str | None) -> str:
        # Control characters carry no meaning in a question, and PostgreSQL cannot store NUL.
        text = " ".join(_CONTROL.sub(" ", text).split())
        if not text:
            raise BadInput("the question is empty")
        if document_id is not None:
            self.store.get_document(document_id)  # raises DocumentNotFound
        return text

    def _focus(self, asked: question.Question, resolved: str) -> tuple[question.Question, dict[str, float]]:
        # Words come from what was asked; the referents a follow-up brought in count as names, so a
        # sentence that says "he" next to one naming him is not beaten by the previous answer.
        names = question.parse(resolved).names if resolved != asked.text else asked.names
        q = replace(asked, names=names)
        return q, self._idf(q)

    def _rank(self, q: question.Question, idf: dict[str, float], resolved: str, query_vector: np.ndarray,
              document_id: str | None, previous: conversation.Turn | None) -> list[retrieval.Candidate]:
        candidates = retrieval.gather(self.store, self.vectors, query_vector, resolved,
                                      self.settings.candidate_depth, document_id)
        focus = None
        # A metadata answer ("who wrote this?") has no sentence (-1): it gives no sentence a head start.
        at = previous.sentence_index if previous is not None else None
        if previous is not None and previous.document_id and at is not None and at >= 0:
            focus = (previous.document_id, at)
        return reranking.rerank(q, candidates, self.weights, idf, focus)

    def _decide(self, q: question.Question, idf: dict[str, float], ranked: list[retrieval.Candidate],
                document_id: str | None, top_k: int, vocabulary: spelling.Vocabulary) -> Judged:
        if not ranked:
            return Judged(None, [], 0.0, None)
        missing = answers.missing_names(self.store, q, document_id)
        evidence = answerability.Evidence(reranking.Asked.of(q, idf), ranked, vocabulary, len(missing),
                                          self.relatedness)
        chosen, confidence = self.judge.choose(evidence)
        ranked = [ranked[chosen], *ranked[:chosen], *ranked[chosen + 1:]]
        threshold = self.settings.min_confidence if self.settings.min_confidence is not None else self.judge.threshold
        shown = confidence >= threshold and answers.names_known(missing, q)
        passages = [answers.to_passage(self.store, c, q if shown and i == 0 else None, confidence if i == 0 else None)
                    for i, c in enumerate(ranked[:top_k])]
        return Judged(passages[0] if shown else None, passages, confidence, evidence.at(chosen))

    def _idf(self, q: question.Question) -> dict[str, float]:
        counts, total = self._frequencies(list(q.words))
        return {t: math.log(1 + total / (1 + counts[w])) for t, w in zip(q.terms, q.words, strict=True)}

    def _frequencies(self, words: list[str]) -> tuple[dict[str, int], int]:
        """Sentence counts per word, remembered until the next write: one query per new word,
        not per question."""
        known = self._df_cache.at(self.store.generation())
        missing = [w for w in words if w not in known]
        if missing or _TOTAL not in known:
            counts, total = self.store.document_frequencies(missing)
            known.update(counts)
            known[_TOTAL] = total
        return {w: known[w] for w in words}, known[_TOTAL]

    # --- bulk writes (qa.bulk) --------------------------------------------------------------
    def put_prepared(self, items: list[tuple[NewDocument, np.ndarray]], save: bool = True) -> list[bool]:
        """Store documents already prepared and embedded (by `qa.bulk`), in one transaction; whether
        each was new. `save=False` leaves the vector file for a later call: saved once per run, not
        once per batch (a stale file is rebuilt from the store at the next start, so nothing is lost)."""
        for doc, _ in items:
            self._ensure_room(doc)
        with self._write_lock:
            created = [not self.store.has_document(doc.id) for doc, _ in items]
            many = getattr(self.store, "put_documents", None)  # PostgreSQL: one document at a time
            done = many(items) if many else [self.store.put_document(d, v) for d, v in items]
            for (removed, added), (_, vectors) in zip(done, items, strict=True):
                self.vectors.remove(removed)
                self.vectors.add(added, vectors)
            if save:
                self._save_vectors()
        return created


def encoder_kind(settings: Settings) -> str:
    """The backend `auto` stands for: int8 (the encoder about twice as fast; squad_dev P@1 0.684
    against 0.688), unless the store holds the full-precision model's vectors, which are kept
    rather than embedded again at start-up."""
    if settings.embedder != "auto":
        return settings.embedder
    if settings.database_url is not None:
        from index.postgres import read_meta as read_postgres_meta

        stored = read_postgres_meta(settings.database_url.get_secret_value(), "vector_model")
    else:
        stored = read_meta(settings.database_path, "vector_model")
    return "onnx" if stored == settings.model else "onnx-int8"


def _batching(embedder: Embedder, threads: int) -> BatchingEmbedder:
    """Micro-batching, with a one-thread twin of an ONNX encoder for when others are answered meanwhile."""
    one_core = embedder.with_threads(1) if isinstance(embedder, OnnxEmbedder) and threads != 1 else None
    return BatchingEmbedder(embedder, shared=one_core)


def _open_storage(settings: Settings, embedder: Embedder) -> tuple[Storage, VectorSearch]:
    if settings.database_url is not None:
        from index.postgres import PostgresStore, PostgresVectors  # psycopg only when configured

        pg = PostgresStore(settings.database_url.get_secret_value(), embedder.dim)
        if pg.get_meta("vector_model") != embedder.name:
            _reembed(pg, embedder)
        return pg, PostgresVectors(pg)
    store = Store(settings.database_path)
    approximation = Approximation(settings.ann_threshold, settings.ann_nprobe)
    return store, _load_vectors(store, embedder, settings.data_dir, approximation)


def _reembed(store: Storage, embedder: Embedder, index: VectorIndex | None = None) -> None:
    """Vectors from another model are useless: embed every stored sentence again."""
    if store.count_sentences():
        log.warning("re-embedding the stored sentences with %s", embedder.name)
    for sentence_ids, texts in store.iter_embed_texts():
        matrix = embedder.encode(texts)
        store.replace_vectors(sentence_ids, matrix)
        if index is not None:
            index.add(sentence_ids, matrix)
    store.set_meta("vector_model", embedder.name)


def _load_vectors(store: Store, embedder: Embedder, directory: Path, approximation: Approximation) -> VectorIndex:
    try:
        return VectorIndex.load(directory, embedder.name, embedder.dim, store.generation(), approximation)
    except CorruptFile as exc:
        if store.count_sentences():  # a new, empty store has no index yet: nothing to warn about
            log.warning("rebuilding the vector index from the stored sentences: %s", exc)
    index = VectorIndex(embedder.dim, approximation=approximation)
    if store.get_meta("vector_model") == embedder.name:
        for ids, matrix in store.iter_vectors(embedder.dim):
            index.add(ids, matrix)
    else:
        _reembed(store, embedder, index)
    index.save(directory, embedder.name, store.generation())
    return index
