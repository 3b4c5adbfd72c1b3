"""Two `qa serve` processes on one SQLite + FAISS data folder, each with QA_WORKERS=2: what one is
told, the other answers, and a conversation goes on through either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_scaleout import _call, added_through_one_and_answered_through_the_other
from tests.api.test_server import Server
from tests.conftest import NEUTRAL


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    servers = []
    for name in ("a", "b"):
        srv = Server(tmp_path / name)
        srv.env.update({"QA_DATA_DIR": str(tmp_path / "data"), "QA_WORKERS": "2", "QA_EMBEDDER": "fake",
                        "QA_ANSWERABILITY_MODEL": str(NEUTRAL), "QA_SEEDS_DIR": str(tmp_path / "none")})
        srv.env.pop("QA_DATABASE_URL", None)
        servers.append(srv)
    for srv in servers:  # started together on one folder: one builds the index, the other waits
        srv.start()
    yield servers[0], servers[1]
    for srv in servers:
        srv.stop()


def test_a_document_added_through_one_process_is_answerable_through_the_other(pair: tuple[Server, Server]) -> None:
    a, b = pair
    doc = added_through_one_and_answered_through_the_other(a, b)
    # Whichever of b's workers answers, it answers from the replacement: every question below
    # opens a connection of its own, and the workers take them in turn.
    changed = {**doc, "text": "The old harbour reopened in 2001. Ferries sail daily."}
    assert _call(a.url + "/documents/harbour", "PUT", changed)[0] == 200
    for _ in range(6):
        status, body = _call(b.url + "/ask", "POST", {"question": "When did the harbour reopen?",
                                                      "document_id": "harbour"})
        assert body["answer"]["text"] == "The old harbour reopened in 2001."
    # Writes through both take turns: neither server's saved index loses the other's document.
    other = {"id": "bridge", "title": "Bridge", "text": "The new bridge opened in 2015. It carries trains."}
    assert _call(b.url + "/documents", "POST", other)[0] == 201
    status, body = _call(a.url + "/ask", "POST", {"question": "When did the new bridge open?"})
    assert body["passages"][0]["document_id"] == "bridge"
    assert _call(b.url + "/documents/harbour", "DELETE")[0] == 204
    assert _call(a.url + "/documents/harbour")[0] == 404
    assert _call(a.url + "/readyz")[1]["sentences"] == 2
