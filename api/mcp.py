"""The MCP server for agents (Model Context Protocol, the official `mcp` SDK): tools to ask a
question, search the articles, list them and read an article's sentences. On the HTTP app it is
/mcp (streamable HTTP, stateless, JSON responses), behind the same key check, rate limit and body
cap as /ask; `qa mcp` serves the same tools over stdio to a local agent. Each tool is the
`QAService` call a route makes; a failure is an MCP tool error (isError, with the reason)."""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated

from fastapi import HTTPException, Request
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import AfterValidator, BaseModel, Field
from starlette.types import Message, Receive, Scope, Send

from api import errors, observability
from api.access import charge, check_reader, client_identity
from api.routes import answered, metrics, summary, with_urls
from api.schemas import MAX_QUESTION, SOME_TEXT, AskRequest, AskResponse, DocumentSummary, PassageOut
from qa.errors import NotReady, StoreError
from qa.ingest.identifiers import MAX_LENGTH, normalized, normalized_or_none
from qa.service import QAService, StoredSentence
from qa.settings import Settings
from qa.urls import web_url_or_none

ServiceOf = Callable[[], QAService]  # the app's service once loaded, else NotReady
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
INSTRUCTIONS = (
    "Answers come from a fixed set of news articles: each is a sentence quoted from an article, with its "
    "source, never generated text. `ask` answers a question (or says why it cannot); `search_articles` finds "
    "the articles about something; `list_articles` lists them; `get_sentences` reads an article around a place.")

Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION, pattern=SOME_TEXT, description=(
    "The question as a reader would ask it, e.g. \"what did Brokenshire say?\"; typos are corrected."))]
Query = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION, pattern=SOME_TEXT, description=(
    "What to look for: a topic, person, place or event, in words or as a question."))]
OneArticle = Annotated[str | None, Field(max_length=MAX_LENGTH, description=(
    "Only this article (an id from `list_articles` or `search_articles`); leave out for all articles.")),
    AfterValidator(normalized_or_none)]
ArticleId = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH, description=(
    "The article's id (from `list_articles`, `search_articles` or an answer's `document_id`).")),
    AfterValidator(normalized)]


class Sentence(BaseModel):
    sentence_index: int = Field(description="Its place in the article, from 0.")
    start: int = Field(description="Offset of its first character in the article text.")
    end: int = Field(description="Offset just past its last character.")
    text: str


class Sentences(BaseModel):
    document_id: str
    document_title: str
    document_url: str | None
    sentence_count: int = Field(description="Sentences in the whole article.")
    sentences: list[Sentence]


class Found(BaseModel):
    passages: list[PassageOut] = Field(description="The best matching sentence of each article, best first.")


class Listing(BaseModel):
    total: int = Field(description="Articles stored; page through them with `offset`.")
    articles: list[DocumentSummary]


class Tools:
    """The tools, on the service the app loaded (`service()` raises NotReady until then)."""

    def __init__(self, service: ServiceOf) -> None:
        self._service = service

    def ask(self, question: Question, document_id: OneArticle = None,
            top_k: Annotated[int, Field(ge=1, le=50, description="Ranked passages in `passages`.")] = 3,
            conversation_id: Annotated[str | None, Field(max_length=100, description=(
                "The `conversation_id` of an earlier answer, to ask a follow-up (\"and when did she...?\")."))] = None,
            ctx: Context | None = None) -> AskResponse:
        """Answer a question from the news articles with the sentence that answers it, quoted, never
        generated. Returns `answer`: the sentence (`text`, its `context`, `sentence_index`, `start`/`end`
        offsets in the article, `document_id`, `document_title`, `document_url`, `confidence` 0-1). Or
        `answer: null` and `abstention`: `uncertain` (then `closest` is the likeliest passage: say it may
        not answer exactly), `not_in_article` (the articles do not say), or `unresolved_follow_up` (a
        follow-up with no earlier turn saying who or what). Cite the source; never present `closest` as
        the answer."""
        with _tool_errors():
            service = self._service()
            body = AskRequest(question=question, document_id=document_id, top_k=top_k,
                              conversation_id=conversation_id)
            request = _request(ctx)
            client = client_identity(request, service.settings) if request else "local"
            return answered(body, service, client, metrics(request) if request else None)

    def search_articles(self, query: Query, limit: Annotated[int, Field(
            ge=1, le=20, description="Articles to return at most.")] = 5) -> Found:
        """Find which articles speak of a topic, person, place or event (by meaning and by words): the
        best matching sentence of each, best first, with its article's id, title and url. Use it to choose
        an article for `ask` or `get_sentences`; to get an answer, use `ask`."""
        with _tool_errors():
            service = self._service()
            best: dict[str, PassageOut] = {}
            for passage in service.search(query, k=50):  # more than `limit`: several may share an article
                if passage.document_id not in best:
                    shown = PassageOut.model_validate(passage, from_attributes=True)
                    best[passage.document_id] = shown.model_copy(update={"confidence": None})
            passages = list(best.values())[:limit]
            with_urls(service, passages)
            return Found(passages=passages)

    def list_articles(self, offset: Annotated[int, Field(ge=0, description="Articles to skip.")] = 0,
                      limit: Annotated[int, Field(ge=1, le=200, description="Articles to return.")] = 50
                      ) -> Listing:
        """List the stored articles, oldest first: id, title, url, sentence count, when stored, and
        questions each answers (`suggestions`). `total` says how many there are. To find the articles
        about something, use `search_articles`."""
        with _tool_errors():
            documents = self._service().documents()
            return Listing(total=len(documents), articles=[summary(d) for d in documents[offset:offset + limit]])

    def get_sentences(self, document_id: ArticleId,
                      sentence_index: Annotated[int | None, Field(ge=0, description=(
                          "Read around this sentence (an answer's or passage's `sentence_index`)."))] = None,
                      offset: Annotated[int | None, Field(ge=0, description=(
                          "Or around the sentence holding this character offset (a passage's `start`)."))] = None,
                      before: Annotated[int, Field(ge=0, le=20, description="Sentences before it.")] = 2,
                      after: Annotated[int, Field(ge=0, le=20, description="Sentences after it.")] = 2
                      ) -> Sentences:
        """Read an article's sentences around a place in it: give `sentence_index` or a character
        `offset` (not both; neither reads from the start), and how many sentences `before` and `after`.
        For the context of an answer, or to read on from it."""
        if sentence_index is not None and offset is not None:
            raise ToolError("give sentence_index or offset, not both")
        with _tool_errors():
            service = self._service()
            doc, stored = service.get(document_id), service.sentences_of(document_id)
            at = _place(stored, sentence_index, offset)
            window = stored[max(at - before, 0):at + after + 1]
            return Sentences(document_id=doc.id, document_title=doc.title, document_url=web_url_or_none(doc.url),
                             sentence_count=len(stored), sentences=[Sentence(
                                 sentence_index=s.position, start=s.start, end=s.end, text=s.text) for s in window])


def _place(stored: list[StoredSentence], sentence_index: int | None, offset: int | None) -> int:
    """The list position of the sentence asked for: by index, by the offset it holds, or the first."""
    if sentence_index is not None:
        if sentence_index >= len(stored):
            raise ToolError(f"sentence_index {sentence_index} is past the article's last ({len(stored) - 1})")
        return sentence_index
    if offset is None:
        return 0
    # The last sentence starting at or before the offset: one in the gap between two sentences
    # reads from the one before it.
    return max((i for i, s in enumerate(stored) if s.start <= offset), default=0)


def _request(ctx: Context | None) -> Request | None:
    """The HTTP request a tool call came in (None over stdio): whose key, for limits and conversations."""
    try:
        request = ctx.request_context.request if ctx is not None else None
    except ValueError:  # called outside a request (in-process tests)
        return None
    return request if isinstance(request, Request) else None


@contextmanager
def _tool_errors() -> Iterator[None]:
    """A domain error as a tool error with its code and message (`not_found: ...`), which the
    agent reads, rather than the SDK's bare "Error executing tool"."""
    try:
        yield
    except StoreError as exc:
        found = errors.described(exc)
        if found is None:
            raise
        raise ToolError(f"{found[1]}: {found[2]}") from exc


def build(service: ServiceOf) -> MCPServer:
    server: MCPServer = MCPServer("article-qa", title="Article QA", version="0.1.0", instructions=INSTRUCTIONS)
    tools = Tools(service)
    for tool in (tools.ask, tools.search_articles, tools.list_articles, tools.get_sentences):
        server.add_tool(tool, description=inspect.getdoc(tool), annotations=READ_ONLY)
    return server


def serve_stdio(settings: Settings) -> None:
    """`qa mcp`: the tools over stdin and stdout, for an agent that starts the process itself. The
    model loads first (an agent waits for its first answer), with anything it prints sent to stderr:
    stdout carries the protocol alone."""
    observability.configure_logging(settings.log_format, sys.stderr)
    with _stdout_to_stderr():
        service = QAService.open(settings)
    try:
        build(lambda: service).run("stdio")
    finally:
        service.close()


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)  # the descriptor, not sys.stdout: a library's C code writes there too
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class Endpoint:
    """/mcp: the MCP transport behind /ask's door. Every request needs what /ask needs (a read key
    when QA_API_KEYS is set); each tool call counts against the rate limit as one /ask does (the
    handshake and the tool list do not, as /openapi.json does not); the body cap is /ask's."""

    def __init__(self, settings: Settings, service: ServiceOf) -> None:
        self.settings = settings
        self._service = service
        self._server: MCPServer | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Inside the app's lifespan. A session manager runs once: a new server for each run."""
        server = build(self._service)
        # Stateless with JSON answers: any worker process can answer any request, and a response
        # starts when its answer is ready (so /ask's deadline holds). The SDK's Host check knows
        # only loopback names; the Origin is checked below instead, against QA_CORS_ORIGINS.
        server.streamable_http_app(stateless_http=True, json_response=True,
                                   max_request_body_size=self.settings.max_read_body_bytes,
                                   transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        async with server.session_manager.run():
            self._server = server
            try:
                yield
            finally:
                self._server = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Raised here, the errors reach the app's handlers: /ask's status codes and error shape.
        request = Request(scope, receive)
        check_reader(request, self.settings)
        origin = request.headers.get("origin")
        if origin is not None and origin not in self.settings.cors_origins:  # a page's script (DNS rebinding)
            raise HTTPException(403, f"the origin {origin!r} may not call /mcp: it is not in QA_CORS_ORIGINS")
        if scope["method"] != "POST":
            # Stateless: no session to end, and an event stream (GET) would hold a connection open
            # with nothing ever to send. The protocol's answer for "no stream here" is 405.
            raise HTTPException(405, "send MCP messages with POST", headers={"Allow": "POST"})
        body = await request.body()
        charge(request, self.settings, _tool_calls(body))
        if self._server is None:
            raise NotReady("the MCP server starts with the app; retry shortly")
        await self._server.session_manager.handle_request(scope, _replay(body, receive), send)


def _tool_calls(body: bytes) -> int:
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return 0  # the transport answers it with a parse error
    messages = message if isinstance(message, list) else [message]
    return sum(1 for m in messages if isinstance(m, dict) and m.get("method") == "tools/call")


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read for the checks, given again to the transport."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
