"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from qa.answer.question import MAX_CHARS
from qa.errors import BadInput
from qa.ingest.cleaning import MAX_DOCUMENT_CHARS, Format
from qa.ingest.identifiers import DOCUMENT_ID, INVISIBLE, MAX_LENGTH, SPACE, normalized_or_none
from qa.ingest.ingestion import MAX_METADATA_BYTES, MAX_METADATA_DEPTH, check_metadata
from qa.urls import MAX_LENGTH as MAX_URL
from qa.urls import WEB_URL as WEB_URL  # chat.py checks stored urls with it too

MAX_QUESTION = MAX_CHARS
# Stated in the schema so that clients (and schemathesis) know what the service will accept.
# A question of only white space and invisible characters says nothing.
SOME_TEXT = rf"[^{SPACE}{INVISIBLE}\x00-\x1f\x7f-\x9f]"  # control characters are read as spaces


def _no_text_or_bool(value: object) -> object:
    # "3" or true for a number is a client bug that coercion would hide; 3.0 is JSON's integer 3.
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number, not a string or boolean")
    return value


def _servable(metadata: dict[str, Any]) -> dict[str, Any]:
    # The ingestion rule, as a validation error here: refused with the request's other mistakes.
    try:
        return check_metadata(metadata)
    except BadInput as exc:
        raise ValueError(str(exc)) from exc


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=MAX_QUESTION, pattern=SOME_TEXT,
                          examples=["what did Brokenshire say?"])
    document_id: Annotated[str | None, AfterValidator(normalized_or_none)] = Field(
        None, max_length=MAX_LENGTH, description="Search only this article.")
    top_k: Annotated[int, BeforeValidator(_no_text_or_bool)] = Field(
        3, ge=1, le=50, description="How many passages to return.")
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
    confidence: float | None = Field(
        None, description="First passage only: the learned probability (0-1) that it answers the question.")
    document_url: str | None = Field(None, description="The article's `url`, when it has one: the answer's source.")
    source: Literal["sentence", "metadata"] = Field(
        "sentence", description="`metadata`: answered from the page's byline or date, not a sentence "
        "(then `sentence_index` is -1 and `start` = `end` = 0).")


class AskResponse(BaseModel):
    answer: PassageOut | None = Field(description="The best passage, or null when the articles do not answer.")
    passages: list[PassageOut]
    conversation_id: str
    abstention: Literal["uncertain", "not_in_article", "unresolved_follow_up"] | None = Field(
        None, description="Why `answer` is null: `uncertain` (the first passage is likely but not certain to answer; "
                          "it is in `closest`), `not_in_article` (the articles do not answer the question), or "
                          "`unresolved_follow_up` (a follow-up, \"when did she...?\", that could not be read with "
                          "the conversation before it).")
    closest: PassageOut | None = Field(
        None, description="Only when `answer` is null and `abstention` is `uncertain`: the passage closest to an "
                          "answer, to show as \"the article may not say exactly; this is the closest passage\" "
                          "(no highlight). A client tells the three cases apart by which of `answer` and `closest` "
                          "is set.")
    answer_id: str | None = Field(
        None, description="With QA_INSIGHTS on: send it back with POST /feedback, so that the reader's verdict "
                          "is counted against this answer in GET /insights. Null when insights are off.")


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str | None, AfterValidator(normalized_or_none)] = Field(
        None, min_length=1, max_length=MAX_LENGTH, pattern=DOCUMENT_ID, description="Stored composed (NFC).")
    title: str | None = Field(None, max_length=1000)
    text: str = Field(..., min_length=1, max_length=MAX_DOCUMENT_CHARS, pattern=SOME_TEXT,
                      description=f"At most {MAX_DOCUMENT_CHARS:,} characters.")
    url: str | None = Field(None, max_length=MAX_URL, pattern=WEB_URL,
                            description="http or https only: it is shown as a link and echoed in chat replies.")
    metadata: Annotated[dict[str, Any], AfterValidator(_servable)] = Field(
        default_factory=dict, description=f"Any JSON object: at most {MAX_METADATA_DEPTH} levels deep and "
        f"{MAX_METADATA_BYTES:,} bytes.")
    format: Format | None = Field(
        None, description="How to read `text`. Left out, it is sniffed: a JSON object with a `text`, an HTML page "
        "or fragment (opens with a tag, or closes several), Markdown (a `#` heading, a list, a link, bold or a "
        "code fence), else plain text.")


class DocumentCreated(BaseModel):
    id: str
    sentences: int


MAX_BATCH_DOCUMENTS = 1000  # and the body is bounded by QA_MAX_BODY_BYTES, as any document write


class DocumentBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentIn] = Field(..., min_length=1, max_length=MAX_BATCH_DOCUMENTS)
    replace: bool = Field(False, description="Replace documents whose id is stored with other content "
                          "(otherwise each such one fails, and the others are stored).")


class DocumentFailure(BaseModel):
    index: int = Field(description="Its place in `documents`, from 0.")
    id: str | None
    message: str


class DocumentBatchOut(BaseModel):
    added: int
    replaced: int
    unchanged: int = Field(description="Stored already with the same content: skipped.")
    failed: int
    sentences: int = Field(description="Sentences embedded and stored by this request.")
    failures: list[DocumentFailure]


class DocumentSummary(BaseModel):
    id: str
    title: str
    url: str | None
    metadata: dict[str, Any]
    sentences: int
    created_at: datetime = Field(description="ISO 8601, UTC.")
    updated_at: datetime = Field(description="ISO 8601, UTC.")
    suggestions: list[str] = Field(
        default_factory=list, description="Questions the article answers, derived from it at ingest (0-3).")


class DocumentFull(DocumentSummary):
    text: str


class Suggestion(BaseModel):
    question: str
    document_id: str
    document_title: str


class SuggestionsOut(BaseModel):
    suggestions: list[Suggestion]


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


MAX_BATCH = 32
MAX_MESSAGE_PARTS = 32


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: list[AskRequest] = Field(..., min_length=1, max_length=MAX_BATCH)


class BatchResponse(BaseModel):
    results: list[AskResponse]


def _bytes(limit: int) -> AfterValidator:
    """A cap in UTF-8 bytes (what a row takes on disk), not characters."""
    def check(value: str) -> str:
        if len(value.encode("utf-8", "surrogatepass")) > limit:
            raise ValueError(f"longer than {limit} bytes in UTF-8")
        return value
    return AfterValidator(check)


class FeedbackIn(BaseModel):
    """Only `helpful` is needed; the rest says what it is about. Caps are in bytes, so that a row,
    and with QA_FEEDBACK_MAX_ROWS the table, has a known largest size (about 10 kB a row)."""
    model_config = ConfigDict(extra="forbid")

    helpful: bool = Field(..., strict=True)
    conversation_id: Annotated[str, _bytes(100)] | None = None
    question: Annotated[str, _bytes(4000)] | None = Field(None, description="At most 4000 bytes.")
    answer: Annotated[str, _bytes(4000)] | None = Field(
        None, description="The answer text the reader judged; at most 4000 bytes.")
    document_id: Annotated[str, _bytes(400)] | None = None
    comment: Annotated[str, _bytes(2000)] | None = Field(None, description="At most 2000 bytes.")
    answer_id: str | None = Field(None, max_length=64, description="The `answer_id` of the answer judged (from "
                                  "POST /ask): joins the verdict to the question in GET /insights. Not stored "
                                  "with the feedback.")


class FeedbackCreated(BaseModel):
    id: int


MAX_REPLY = 10_000  # an assistant message is one of our replies: a sentence, its title and url


class ChatMessage(BaseModel):
    role: str = Field(..., pattern="^(system|user|assistant|tool|developer)$")
    content: str | Annotated[list[dict[str, Any]], Field(max_length=MAX_MESSAGE_PARTS)] | None = None

    @model_validator(mode="after")
    def _bounded(self) -> ChatMessage:
        # Every message, not only the question: a history is held while it is read.
        limit = MAX_REPLY if self.role == "assistant" else MAX_QUESTION
        if len(self.text) > limit:
            raise ValueError(f"a {self.role} message is longer than {limit} characters")
        return self

    @property
    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The OpenAI chat-completions request; fields this service does not use are accepted and ignored."""
    model_config = ConfigDict(extra="allow")

    model: str = Field("article-qa", max_length=200,
                       description="`article-qa` searches every article; a document id limits answers to that "
                                   "article. Any other name is 404 `model_not_found` (GET /v1/models lists them).")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=200)
    stream: bool = Field(False, strict=True)
