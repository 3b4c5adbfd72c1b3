"""OpenAI-compatible chat completions, so bot frameworks can use the service by changing their
base URL. The reply is the answer sentence with a citation; passages ride in an extra field."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from api.access import Reader, client_identity
from api.deps import Service
from api.errors import error_response
from api.schemas import SOME_TEXT, WEB_URL, ChatMessage, ChatRequest, ErrorResponse
from qa.errors import BadInput
from qa.service import AskResult, QAService

router = APIRouter(tags=["bots"], responses={
    code: {"model": ErrorResponse} for code in (401, 403, 404, 413, 422, 429, 503)})
CLOSEST_LEAD = "The articles may not say exactly; this is the closest passage:\n\n"
ABSTAIN_REPLY = "I couldn't find the answer to that in the articles. Try rephrasing, or name who or what you mean."
ALL_ARTICLES = "article-qa"  # the `model` that searches every article; a document id searches that one


@router.post("/v1/chat/completions", response_model=None, dependencies=[Reader], responses={200: {
    "description": "A chat completion; with `stream: true`, server-sent chunks ending in `data: [DONE]`.",
    "content": {"application/json": {}, "text/event-stream": {}}}})
def chat_completions(body: ChatRequest, service: Service,
                     request: Request) -> dict[str, Any] | StreamingResponse | JSONResponse:
    if body.model != ALL_ARTICLES and not service.has_document(body.model):
        return _model_not_found(body.model)
    question, history = _conversation(body.messages, service.settings.conversation_turns)
    document_id = None if body.model == ALL_ARTICLES else body.model
    result = service.ask(question, document_id, top_k=3, history=history,
                         client=client_identity(request, service.settings))
    reply = _reply(service, result)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        return StreamingResponse(_stream(completion_id, body.model, reply, result),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
    return {
        "id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": body.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(question.split()), "completion_tokens": len(reply.split()),
                  "total_tokens": len(question.split()) + len(reply.split())},
        **_extra(result),
    }


@router.get("/v1/models", dependencies=[Reader])
def list_models(service: Service) -> dict[str, Any]:
    """The OpenAI model list, which clients and bot frameworks ask for first: `article-qa` searches
    every article; each document id, as `model`, limits answers to that article."""
    docs = service.documents()
    first = int(min((d.created_at for d in docs), default=time.time()))
    models = [{"id": ALL_ARTICLES, "object": "model", "created": first, "owned_by": ALL_ARTICLES,
               "description": "all articles"}]
    models += [{"id": d.id, "object": "model", "created": int(d.created_at), "owned_by": ALL_ARTICLES,
                "description": d.title} for d in docs]
    return {"object": "list", "data": models}


def _model_not_found(model: str) -> JSONResponse:
    # A client that names a model it believes exists ("gpt-4o") is told so, as OpenAI tells it,
    # rather than silently given answers from every article.
    return error_response(404, "model_not_found", f"The model {model!r} does not exist: use {ALL_ARTICLES!r} "
                          "for all articles or a document id (GET /v1/models lists them)",
                          openai={"type": "invalid_request_error", "param": "model"})


def _conversation(messages: list[ChatMessage], turns: int) -> tuple[str, list[tuple[str, str | None]]]:
    """The last user message is the question; the user/assistant pairs before it, the latest
    `turns` of them, are the history (a follow-up refers back to the latest only)."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users or not re.search(SOME_TEXT, messages[users[-1]].text):  # not only spaces or invisible marks
        raise BadInput("messages must end with a non-empty user message")
    history: list[tuple[str, str | None]] = []
    for i in users[:-1][-turns:]:
        following = next((m for m in messages[i + 1:] if m.role in ("assistant", "user")), None)
        answer = following.text if following is not None and following.role == "assistant" else None
        history.append((messages[i].text, answer))
    return messages[users[-1]].text, history


def _reply(service: QAService, result: AskResult) -> str:
    shown = result.answer or result.closest
    if shown is None:
        return ABSTAIN_REPLY
    doc = service.get(shown.document_id)
    # Only a web link is echoed: a `javascript:` one stored before URLs were checked is not.
    source = f"{doc.title}, {doc.url}" if doc.url and re.match(WEB_URL, doc.url) else doc.title
    lead = "" if result.answer else CLOSEST_LEAD
    return f"{lead}{shown.text}\n\n(Source: {source})"


def _extra(result: AskResult) -> dict[str, Any]:
    return {"answer": asdict(result.answer) if result.answer else None,
            "closest": asdict(result.closest) if result.closest else None, "abstention": result.abstention,
            "passages": [asdict(p) for p in result.passages], "conversation_id": result.conversation_id}


def _stream(completion_id: str, model: str, reply: str, result: AskResult) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()),
                   "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(payload)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in _pieces(reply):
        yield chunk({"content": piece})
    yield chunk({}, "stop", **_extra(result))
    yield "data: [DONE]\n\n"


def _pieces(text: str, size: int = 6) -> Iterator[str]:
    # Words in small groups, keeping their spaces, so the concatenation is exactly the reply.
    words = text.split(" ")
    for i in range(0, len(words), size):
        yield " ".join(words[i:i + size]) + (" " if i + size < len(words) else "")
