"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qa.identifiers import DOCUMENT_ID, SPACE

MAX_QUESTION = 2000
# Stated in the schema so that clients (and schemathesis) know what the service will accept.
SOME_TEXT = rf"[^{SPACE}]"


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=MAX_QUESTION, pattern=SOME_TEXT,
                          examples=["what did Brokenshire say?"])
    document_id: str | None = Field(None, max_length=200, description="Search only this article.")
    top_k: int = Field(3, ge=1, le=50, description="How many passages to return.")
    conversation_id: str | None = Field(None, max_length=100, description="Continue this conversation.")


class PassageOut(BaseModel):
    text: str
    score: float
    document_id: str
    document_title: str
    sentence_index: int
    start: int
    end: int
    context: str
    highlight: tuple[int, int] | None = Field(
        None, description="[start, end) of the answering phrase within `text`, when one stands out.")
    source: Literal["sentence", "metadata"] = Field(
        "sentence", description="`metadata`: answered from the page's byline or date, not a sentence "
        "(then `sentence_index` is -1 and `start` = `end` = 0).")


class AskResponse(BaseModel):
    answer: PassageOut | None = Field(description="The best passage, or null when the articles do not answer.")
    passages: list[PassageOut]
    conversation_id: str


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, min_length=1, max_length=200, pattern=DOCUMENT_ID)
    title: str | None = Field(None, max_length=1000)
    text: str = Field(..., min_length=1, pattern=SOME_TEXT)
    url: str | None = Field(None, max_length=2000)
    metadata: dict[str, Any] = Field(default_factory=dict)
    format: Literal["txt", "md", "html", "json"] = Field("txt", description="How to clean `text`.")


class DocumentCreated(BaseModel):
    id: str
    sentences: int


class DocumentSummary(BaseModel):
    id: str
    title: str
    url: str | None
    metadata: dict[str, Any]
    sentences: int
    created_at: datetime = Field(description="ISO 8601, UTC.")
    updated_at: datetime = Field(description="ISO 8601, UTC.")


class DocumentFull(DocumentSummary):
    text: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


MAX_BATCH = 32


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[AskRequest] = Field(..., min_length=1, max_length=MAX_BATCH)


class BatchResponse(BaseModel):
    results: list[AskResponse]


class FeedbackIn(BaseModel):
    # Feedback must say what it is about: a conversation, or the question itself.
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "anyOf": [{"required": [key], "properties": {key: {"type": "string"}}}
                  for key in ("conversation_id", "question")]})

    helpful: bool
    conversation_id: str | None = Field(None, max_length=100)
    question: str | None = Field(None, max_length=MAX_QUESTION)
    answer: str | None = Field(None, max_length=10_000, description="The answer text the reader judged.")
    document_id: str | None = Field(None, max_length=200)
    comment: str | None = Field(None, max_length=2000)


class FeedbackCreated(BaseModel):
    id: int


class ChatMessage(BaseModel):
    role: str = Field(..., pattern="^(system|user|assistant|tool|developer)$")
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """The OpenAI chat-completions request; fields this service does not use are accepted and ignored."""
    model_config = ConfigDict(extra="allow")

    model: str = Field("article-qa", max_length=200,
                       description="A document id limits answers to that article; any other value searches all.")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=200)
    stream: bool = False
