"""Routes: questions, documents, health. Each turns HTTP into one `QAService` call and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AfterValidator, BaseModel
from starlette.convertors import PathConvertor, register_url_convertor

from api.access import FeedbackWriter, Reader, charge, client_identity
from api.deps import Admin, Service
from api.observability import Metrics
from api.schemas import (
    AskRequest,
    AskResponse,
    BatchRequest,
    BatchResponse,
    DocumentBatchIn,
    DocumentBatchOut,
    DocumentCreated,
    DocumentFailure,
    DocumentFull,
    DocumentIn,
    DocumentSummary,
    ErrorResponse,
    FeedbackCreated,
    FeedbackIn,
    PassageOut,
    Suggestion,
    SuggestionsOut,
)
from qa.errors import NotReady
from qa.ingest import suggestions
from qa.ingest.bulk import BulkIngest, Entry
from qa.ingest.identifiers import DOCUMENT_ID, normalized, normalized_or_none
from qa.ingest.ingestion import MAX_METADATA_DEPTH, DocumentInput, metadata_depth
from qa.readiness import Readiness
from qa.service import DocumentInfo, Feedback, QAService
from qa.urls import web_url_or_none

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (401, 403, 404, 409, 413, 422, 429, 503)}
router = APIRouter(responses=ERRORS)
T = TypeVar("T")


class _AnyPath(PathConvertor):
    # Starlette's `path` is ".*", which stops at a line break: "a%0Ab" would be a 404 rather than
    # reach the id check and get its 422.
    regex = r"[\s\S]*"


register_url_convertor("document_path", _AnyPath())
# A path parameter: ids may hold `/` (`world/europe/2015/calais-officials`), sent as is or as %2F.
# Composed (NFC) as ids are stored: `cafe` + a combining accent finds `café`.
DocumentId = Annotated[str, Path(max_length=200, pattern=DOCUMENT_ID,
                                 description="The document id; `/` inside it may be sent as is or as %2F."),
                       AfterValidator(normalized)]


@router.post("/ask", response_model=AskResponse, tags=["questions"], dependencies=[Reader])
def ask(body: AskRequest, service: Service, request: Request) -> Response:
    """Answer a question with the best sentence of the articles, or `answer: null` when they do not answer it."""
    return _json(_answer(body, service, request))


@router.post("/ask/batch", response_model=BatchResponse, tags=["questions"], dependencies=[Reader])
def ask_batch(body: BatchRequest, service: Service, request: Request) -> Response:
    """Many questions in one call (at most 32), answered in order. Each question counts against
    the rate limit: a batch is not a way around it."""
    charge(request, service.settings, len(body.questions) - 1)  # the first was counted on the way in
    return _json(BatchResponse(results=[_answer(q, service, request) for q in body.questions]))


def _answer(body: AskRequest, service: QAService, request: Request) -> AskResponse:
    return answered(body, service, client_identity(request, service.settings), metrics(request))


def answered(body: AskRequest, service: QAService, client: str, counts: Metrics | None) -> AskResponse:
    """One question answered as /ask answers it; the MCP `ask` tool's answer too (`api.mcp`)."""
    result = service.ask(body.question, body.document_id, body.top_k, body.conversation_id, client=client)
    if counts is not None:  # None over stdio (`qa mcp`): no /metrics to count for
        counts.answers.labels(result.outcome).inc()
    response = AskResponse.model_validate(result, from_attributes=True)
    with_urls(service, [*response.passages, *(p for p in (response.answer, response.closest) if p is not None)])
    return response


def with_urls(service: QAService, passages: list[PassageOut]) -> None:
    """Each passage's `document_url`, its article's, in one lookup for them all."""
    urls = service.urls(sorted({p.document_id for p in passages}))
    for passage in passages:
        passage.document_url = web_url_or_none(urls.get(passage.document_id))  # a row stored before the rule


def _json(model: BaseModel) -> Response:
    # Already validated: returned as is, FastAPI would dump it to a dict, validate that against
    # the response model and serialise it again, a third of the time this route spends in the
    # event loop. The decorator's response_model still documents the shape.
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/feedback", status_code=201, response_model=FeedbackCreated, tags=["feedback"],
             dependencies=[Reader, FeedbackWriter])
def feedback(body: FeedbackIn, service: Service) -> FeedbackCreated:
    """Whether an answer helped, for the people running the service to review."""
    item = Feedback(**body.model_dump(exclude={"answer_id"}))
    return FeedbackCreated(id=service.record_feedback(item, body.answer_id))


@router.get("/feedback", dependencies=[Admin], tags=["feedback"])
def list_feedback(service: Service, limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, object]]:
    """The most recent feedback, newest first (admin)."""
    return service.recent_feedback(limit)


@router.post("/documents", status_code=201, response_model=DocumentCreated, dependencies=[Admin],
             tags=["documents"], responses={200: {"model": DocumentCreated, "description": "Already stored as is"}})
def add_document(body: DocumentIn, service: Service, response: Response, request: Request) -> DocumentCreated:
    """Add an article. Re-posting identical content answers 200; other content under an existing id is 409."""
    with service.ingest.slot():  # at most QA_MAX_DOCUMENT_WRITES in flight; more are 503 busy
        result = service.put(_input(body), replace_existing=False)
    metrics(request).writes.labels("create" if result.created else "unchanged").inc()
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return DocumentCreated(id=result.document.id, sentences=result.document.sentence_count)


@router.post("/documents/batch", response_model=DocumentBatchOut, dependencies=[Admin], tags=["documents"])
def add_documents(body: DocumentBatchIn, service: Service, request: Request) -> DocumentBatchOut:
    """Add up to 1000 articles in one call, embedded and written together (several times faster than
    one at a time). Documents stored already with the same content are skipped, so a batch sent again
    after a failure resumes; a document that fails is named in `failures` and the others are stored."""
    entries = [Entry(i + 1, d.id or f"documents[{i}]", _input(d)) for i, d in enumerate(body.documents)]
    with service.ingest.slot():  # counted with single writes: at most QA_MAX_DOCUMENT_WRITES at once
        report = BulkIngest(service, replace_existing=body.replace, isolated=True).run(entries)
    writes = metrics(request).writes
    for label, count in (("create", report.added), ("replace", report.replaced), ("unchanged", report.unchanged)):
        writes.labels(label).inc(count)
    failures = [DocumentFailure(index=f.position - 1, id=body.documents[f.position - 1].id, message=f.message)
                for f in report.failures]
    return DocumentBatchOut(added=report.added, replaced=report.replaced, unchanged=report.unchanged,
                            failed=report.failed, sentences=report.sentences, failures=failures)


@router.put("/documents/{document_id:document_path}", response_model=DocumentCreated, dependencies=[Admin],
            tags=["documents"], responses={201: {"model": DocumentCreated, "description": "Created"}})
def replace_document(document_id: DocumentId, body: DocumentIn, service: Service, response: Response,
                     request: Request) -> DocumentCreated:
    """Create or replace the article with this id (201 when created, 200 when replaced)."""
    with service.ingest.slot():  # at most QA_MAX_DOCUMENT_WRITES in flight; more are 503 busy
        result = service.put(_input(body, document_id))
    metrics(request).writes.labels("create" if result.created else "replace").inc()
    response.status_code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    return DocumentCreated(id=result.document.id, sentences=result.document.sentence_count)


@router.get("/documents", response_model=list[DocumentSummary], tags=["documents"], dependencies=[Reader])
def list_documents(service: Service) -> list[DocumentSummary]:
    return [summary(d) for d in service.documents()]


@router.get("/documents/{document_id:document_path}", response_model=DocumentFull, tags=["documents"],
            dependencies=[Reader])
def get_document(document_id: DocumentId, service: Service) -> DocumentFull:
    doc = service.get(document_id)
    return DocumentFull(**summary(doc).model_dump(), text=_sendable(doc.text))


@router.get("/suggestions", response_model=SuggestionsOut, tags=["documents"], dependencies=[Reader])
def suggested(service: Service,
              document_id: Annotated[str | None, Query(max_length=200, pattern=DOCUMENT_ID),
                                     AfterValidator(normalized_or_none)] = None) -> SuggestionsOut:
    """Questions to start with: the article's own (derived from it at ingest), or without
    `document_id` one from each of the newest articles. What the widget shows when it opens."""
    found: list[tuple[str, DocumentInfo]]
    if document_id is not None:
        doc = service.get(document_id)
        found = [(q, doc) for q in doc.suggestions]
    else:
        found = suggestions.starters(service.documents())
    return SuggestionsOut(suggestions=[Suggestion(question=q, document_id=d.id, document_title=d.title)
                                       for q, d in found])


@router.delete("/documents/{document_id:document_path}", status_code=204, dependencies=[Admin], tags=["documents"])
def delete_document(document_id: DocumentId, service: Service, request: Request) -> Response:
    service.delete(document_id)
    metrics(request).writes.labels("delete").inc()
    return Response(status_code=204)


@router.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
def readyz(service: Service, request: Request) -> dict[str, object]:
    """The model and the index are loaded, in every worker process of the server (503 until
    then). `problems`: what the start could not do but the service answers without (a seed
    refused on a full disk), when there is any."""
    readiness: Readiness | None = request.app.state.readiness
    if readiness is not None and (loading := readiness.loading()):
        raise NotReady(f"{loading} of {readiness.workers} worker processes still loading; retry shortly")
    stats = service.stats()
    ready: dict[str, object] = {"status": "ready", "documents": stats["documents"], "sentences": stats["vectors"],
                                "model": service.embedder.name}
    return {**ready, "problems": service.problems} if service.problems else ready


@router.get("/metrics", tags=["health"], response_class=PlainTextResponse, dependencies=[Reader])
def prometheus(service: Service, request: Request) -> PlainTextResponse:
    """Prometheus metrics: requests and latency per route and status, answers and abstentions,
    document writes, index size, answer cache hits and misses."""
    m = metrics(request)
    # Read from the store at each scrape: `qa ingest` may have written into it from another process.
    stats = service.stats()
    m.sentences.set(stats["sentences"])
    m.documents.set(stats["documents"])
    m.cache.labels("hit").set(service.answerer.cache.hits)
    m.cache.labels("miss").set(service.answerer.cache.misses)
    return PlainTextResponse(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)


def metrics(request: Request) -> Metrics:
    found: Metrics = request.app.state.metrics
    return found


def _input(body: DocumentIn, document_id: str | None = None) -> DocumentInput:
    return DocumentInput(text=body.text, id=document_id or body.id, title=body.title, url=body.url,
                         metadata=body.metadata, format=body.format)


def summary(doc: DocumentInfo) -> DocumentSummary:
    return DocumentSummary(id=_sendable(doc.id), title=_sendable(doc.title), url=web_url_or_none(doc.url),
                           metadata=_sendable(_nested_within_bounds(doc.metadata)), sentences=doc.sentence_count,
                           created_at=datetime.fromtimestamp(doc.created_at, UTC),
                           updated_at=datetime.fromtimestamp(doc.updated_at, UTC),
                           suggestions=_sendable(doc.suggestions))


def _nested_within_bounds(metadata: dict[str, Any]) -> dict[str, Any]:
    """A row stored before metadata depth was checked is sent without its metadata: nested past
    what the response encoder takes, it made the listing fail for everyone."""
    return metadata if metadata_depth(metadata) <= MAX_METADATA_DEPTH else {}


def _sendable(value: T) -> T:
    """The value with any lone surrogate replaced by "?": a row stored before bodies were
    checked must not take a listing down for everyone. Cheap when the text is clean."""
    dumped = json.dumps(value, ensure_ascii=False)
    try:
        dumped.encode("utf-8")
        return value
    except UnicodeEncodeError:
        cleaned: T = json.loads(dumped.encode("utf-8", "replace"))
        return cleaned
