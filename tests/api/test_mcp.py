"""The MCP server at /mcp, driven by the SDK's own client over the ASGI app (no socket): the tools it
lists, each tool called, the errors an agent reads, and /ask's door (keys, rate limit, body cap)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult

from api.app import create_app
from qa.ingest.ingestion import DocumentInput
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import SEED_ID

BASE = "http://testserver"
TOOLS = {"ask", "search_articles", "list_articles", "get_sentences"}
ASK = {"question": "what did Brokenshire say?"}
HARBOUR = DocumentInput(id="harbour", title="Harbour reopens", url="https://news.example/harbour",
                        text="The harbour reopened on Monday after the storm. Mayor Ada Lund said it cost 4 million "
                             "euros. Ferries to the islands sail again from Tuesday.")


def _app(settings: Settings, service: QAService, **changes: object) -> FastAPI:
    return create_app(Settings(**{**settings.model_dump(), **changes}), service)


@asynccontextmanager
async def _http(app: FastAPI, headers: dict[str, str] | None = None) -> AsyncIterator[httpx2.AsyncClient]:
    """Plain HTTP to the app, its lifespan running (it runs the MCP session manager)."""
    async with app.router.lifespan_context(app), httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url=BASE, headers=headers or {}) as http:
        yield http


@asynccontextmanager
async def _agent(http: httpx2.AsyncClient, mode: str = "auto") -> AsyncIterator[Client]:
    async with Client(streamable_http_client(f"{BASE}/mcp", http_client=http), mode=mode) as client:
        yield client


def _run(app: FastAPI, scenario: Callable[[Client, httpx2.AsyncClient], Awaitable[None]],
         headers: dict[str, str] | None = None, mode: str = "auto") -> None:
    async def main() -> None:
        async with _http(app, headers) as http, _agent(http, mode) as agent:
            await scenario(agent, http)
    anyio.run(main)


def _data(result: CallToolResult) -> Any:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    # The text content is the same JSON, for clients that read only text.
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    return result.structured_content


def _mcp_errors(exc: BaseException) -> list[MCPError]:
    """The MCPErrors in what the client raised (its task group wraps them in a group)."""
    if isinstance(exc, BaseExceptionGroup):
        return [e for sub in exc.exceptions for e in _mcp_errors(sub)]
    return [exc] if isinstance(exc, MCPError) else []


def _error(result: CallToolResult) -> str:
    assert result.is_error
    text: str = result.content[0].text  # type: ignore[union-attr]
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # the 2026 per-request protocol and the initialize handshake
def test_the_tools_are_listed_with_what_an_agent_needs_to_pick_one(settings: Settings, service: QAService,
                                                                    mode: str) -> None:
    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        tools = {t.name: t for t in (await agent.list_tools()).tools}
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.description and len(tool.description) > 80 and "    " not in tool.description
            assert tool.annotations is not None and tool.annotations.read_only_hint
            assert tool.output_schema is not None
            described = tool.input_schema["properties"].values()
            assert all(p.get("description") for p in described), tool.name
        assert tools["ask"].input_schema["required"] == ["question"]
        assert tools["get_sentences"].input_schema["required"] == ["document_id"]
        assert {"abstention", "closest", "not_in_article"} <= set((tools["ask"].description or "").split("`"))
        assert agent.instructions and "quoted" in agent.instructions
    _run(_app(settings, service), scenario, mode=mode)


def test_ask_answers_as_the_http_endpoint_does(settings: Settings, service: QAService) -> None:
    async def scenario(agent: Client, http: httpx2.AsyncClient) -> None:
        answer = _data(await agent.call_tool("ask", ASK))
        expected = (await http.post("/ask", json=ASK)).json()
        assert answer["answer"]["text"].startswith("In response, Britain's Immigration and Security Minister")
        assert {k: v for k, v in answer.items() if k != "conversation_id"} == \
            {k: v for k, v in expected.items() if k != "conversation_id"}
        assert answer["answer"]["document_id"] == SEED_ID and answer["answer"]["confidence"] is not None
        # A follow-up continues the conversation the first answer started.
        follow = _data(await agent.call_tool("ask", {"question": "And what did he add?",
                                                      "conversation_id": answer["conversation_id"]}))
        assert follow["conversation_id"] == answer["conversation_id"]
    _run(_app(settings, service), scenario)


def test_ask_says_why_it_does_not_answer(settings: Settings, service: QAService) -> None:
    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        missing = _data(await agent.call_tool("ask", {"question": "What is the population of Paris?",
                                                       "document_id": SEED_ID}))
        assert missing["answer"] is None and missing["abstention"] == "not_in_article" and missing["closest"] is None
        service.answerer.min_confidence = 1.0
        alone = _data(await agent.call_tool("ask", {"question": "What did she eat for breakfast?",
                                                     "document_id": SEED_ID}))
        assert alone["answer"] is None and alone["abstention"] == "unresolved_follow_up"
    _run(_app(settings, service), scenario)


def test_search_finds_each_article_once_with_its_best_sentence(settings: Settings, service: QAService) -> None:
    service.put(HARBOUR)

    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        found = _data(await agent.call_tool("search_articles", {"query": "harbour ferries mayor"}))["passages"]
        assert found[0]["document_id"] == "harbour" and found[0]["document_url"] == "https://news.example/harbour"
        assert len({p["document_id"] for p in found}) == len(found) == 2
        assert all(p["confidence"] is None for p in found)  # no answer decision: a search
        one = _data(await agent.call_tool("search_articles", {"query": "harbour", "limit": 1}))["passages"]
        assert [p["document_id"] for p in one] == ["harbour"]
    _run(_app(settings, service), scenario)


def test_list_articles_pages_through_them(settings: Settings, service: QAService) -> None:
    service.put(HARBOUR)

    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        listed = _data(await agent.call_tool("list_articles", {}))
        assert listed["total"] == 2 and [a["id"] for a in listed["articles"]] == [SEED_ID, "harbour"]
        harbour = listed["articles"][1]
        assert harbour["url"] == "https://news.example/harbour" and harbour["sentences"] == 3
        second = _data(await agent.call_tool("list_articles", {"offset": 1, "limit": 1}))
        assert second["total"] == 2 and [a["id"] for a in second["articles"]] == ["harbour"]
    _run(_app(settings, service), scenario)


def test_get_sentences_reads_around_a_sentence_or_an_offset(settings: Settings, service: QAService) -> None:
    service.put(HARBOUR)
    text = service.get("harbour").text

    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        around = _data(await agent.call_tool("get_sentences", {"document_id": "harbour", "sentence_index": 1,
                                                               "before": 1, "after": 0}))
        assert around["sentence_count"] == 3 and around["document_title"] == "Harbour reopens"
        assert [s["sentence_index"] for s in around["sentences"]] == [0, 1]
        assert all(text[s["start"]:s["end"]] == s["text"] for s in around["sentences"])
        at = text.index("Ferries")
        by_offset = _data(await agent.call_tool("get_sentences", {"document_id": "harbour", "offset": at + 3,
                                                                  "before": 0, "after": 5}))
        assert [s["text"] for s in by_offset["sentences"]] == ["Ferries to the islands sail again from Tuesday."]
        start = _data(await agent.call_tool("get_sentences", {"document_id": "harbour", "after": 0}))
        assert [s["sentence_index"] for s in start["sentences"]] == [0]
    _run(_app(settings, service), scenario)


def test_bad_calls_are_tool_errors_that_say_what_is_wrong(settings: Settings, service: QAService) -> None:
    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        assert "question" in _error(await agent.call_tool("ask", {"question": ""}))
        assert "top_k" in _error(await agent.call_tool("ask", {**ASK, "top_k": 500}))
        assert "not_found" in _error(await agent.call_tool("ask", {**ASK, "document_id": "no-such-article"}))
        assert "not_found" in _error(await agent.call_tool("get_sentences", {"document_id": "no-such-article"}))
        assert "not both" in _error(await agent.call_tool("get_sentences", {"document_id": SEED_ID,
                                                                            "sentence_index": 1, "offset": 5}))
        assert "past the article's last" in _error(
            await agent.call_tool("get_sentences", {"document_id": SEED_ID, "sentence_index": 999}))
        assert "limit" in _error(await agent.call_tool("search_articles", {"query": "x", "limit": 0}))
        assert "Unknown tool" in _error(await agent.call_tool("delete_everything", {}))
    _run(_app(settings, service), scenario)


def test_a_tool_called_while_the_service_loads_says_so(settings: Settings, service: QAService) -> None:
    app = _app(settings, service)
    app.state.service = None  # as while `qa serve` loads the model in the background

    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        assert "not_ready" in _error(await agent.call_tool("list_articles", {}))
    _run(app, scenario)


def test_keys_are_needed_as_for_ask(settings: Settings, service: QAService) -> None:
    app = _app(settings, service, api_keys="k1,k2")

    async def keyless() -> None:
        async with _http(app) as http:
            refused = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                      headers={"Accept": "application/json, text/event-stream"})
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
            assert refused.headers["www-authenticate"] == "Bearer"
            with pytest.raises(BaseException) as caught:  # the SDK's client cannot connect without a key
                async with _agent(http):
                    pass
            assert _mcp_errors(caught.value), caught.value
        async with _http(app, {"Authorization": "Bearer nope"}) as http:
            assert (await http.post("/mcp", json={})).status_code == 403
    anyio.run(keyless)

    async def scenario(agent: Client, _: httpx2.AsyncClient) -> None:
        assert _data(await agent.call_tool("ask", ASK))["answer"] is not None
    _run(app, scenario, headers={"Authorization": "Bearer k2"})


def test_each_tool_call_counts_against_the_rate_limit_as_an_ask(settings: Settings, service: QAService) -> None:
    async def scenario(agent: Client, http: httpx2.AsyncClient) -> None:
        for _ in range(3):
            await agent.list_tools()  # the handshake and the tool list are free, as /openapi.json is
        assert (await http.post("/ask", json=ASK)).status_code == 200
        _data(await agent.call_tool("list_articles", {}))
        _data(await agent.call_tool("ask", ASK))
        with pytest.raises(MCPError):  # the fourth of three
            await agent.call_tool("ask", ASK)
        limited = await http.post("/ask", json=ASK)  # one budget for /ask and /mcp
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
        raw = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                                            "params": {"name": "list_articles", "arguments": {}}})
        assert raw.status_code == 429 and int(raw.headers["retry-after"]) >= 1
    _run(_app(settings, service, rate_limit="3/minute"), scenario)


def test_the_body_cap_the_origin_and_the_method_are_checked(settings: Settings, service: QAService) -> None:
    app = _app(settings, service, max_read_body_bytes=4096, cors_origins="https://news.example")

    async def scenario(agent: Client, http: httpx2.AsyncClient) -> None:
        too_big = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "ask", "arguments": {"question": "why " * 2000}}})
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "payload_too_large"
        page = await http.post("/mcp", json={}, headers={"Origin": "https://evil.example"})
        assert page.status_code == 403 and "QA_CORS_ORIGINS" in page.json()["error"]["message"]
        assert _data(await agent.call_tool("list_articles", {}))["total"] == 1  # an agent sends no Origin
        # No event stream: stateless, it would hold a connection open with nothing to send.
        stream = await http.get("/mcp", headers={"Accept": "text/event-stream"})
        assert stream.status_code == 405 and stream.headers["allow"] == "POST"
        assert stream.json()["error"]["code"] == "method_not_allowed"
    _run(app, scenario)
