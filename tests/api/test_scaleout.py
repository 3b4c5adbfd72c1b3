"""Two `qa serve` processes on one PostgreSQL database: what one is told, the other answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_server import Server
from tests.conftest import NEUTRAL
from tests.helpers import call


def _call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> tuple[int, Any]:
    return call(url, method, body, key="readme-key")


@pytest.fixture
def pair(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    servers = []
    for name in ("a", "b"):
        srv = Server(tmp_path / name)
        srv.env.update({"QA_DATABASE_URL": postgres_url, "QA_EMBEDDER": "fake",
                        "QA_ANSWERABILITY_MODEL": str(NEUTRAL), "QA_SEEDS_DIR": str(tmp_path / "none")})
        servers.append(srv)
    for srv in servers:  # started together: both create the schema, once
        srv.start()
    yield servers[0], servers[1]
    for srv in servers:
        srv.stop()


def added_through_one_and_answered_through_the_other(a: Server, b: Server) -> dict[str, str]:
    """The scenario both backends share: a document added through `a` is answered through `b`, and
    the follow-up through `a` goes on with the same conversation. Returns the document."""
    doc = {"id": "harbour", "title": "Harbour", "text": "The old harbour reopened in 1990. Ferries sail daily."}
    assert _call(a.url + "/documents", "POST", doc)[0] == 201
    status, body = _call(b.url + "/ask", "POST", {"question": "When did the harbour reopen?",
                                                  "document_id": "harbour"})
    assert status == 200 and body["answer"]["text"] == "The old harbour reopened in 1990."
    # The follow-up reaches the other process, which knows the conversation: same id, same article.
    status, follow = _call(a.url + "/ask", "POST", {"question": "What sails there?",
                                                    "conversation_id": body["conversation_id"]})
    assert follow["conversation_id"] == body["conversation_id"]
    assert follow["passages"][0]["document_id"] == "harbour"  # the follow-up stays on its article
    return doc


def test_a_document_added_through_one_process_is_answerable_through_the_other(pair: tuple[Server, Server]) -> None:
    a, b = pair
    doc = added_through_one_and_answered_through_the_other(a, b)
    # A replacement through b is what a answers from next, even for the question it just cached.
    changed = {**doc, "text": "The old harbour reopened in 2001. Ferries sail daily."}
    assert _call(b.url + "/documents/harbour", "PUT", changed)[0] == 200
    status, body = _call(a.url + "/ask", "POST", {"question": "When did the harbour reopen?",
                                                  "document_id": "harbour"})
    assert body["answer"]["text"] == "The old harbour reopened in 2001."
    assert _call(b.url + "/documents/harbour", "DELETE")[0] == 204
    assert _call(a.url + "/documents/harbour")[0] == 404
