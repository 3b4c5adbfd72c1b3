"""The chat widget script and a demo page showing an article with the widget on it.

The script is on every article page of a news site, so it is sent minified (rjsmin: comments and
white space out, nothing renamed) and compressed with the best coding the browser takes (brotli,
else gzip), with a validator (ETag) and a lifetime: a second page view within the hour fetches
nothing, and after it a revalidation costs a 304 with no body. The ETag is weak because the
compressed and the plain bytes are one script (RFC 9110 8.8.1); a new widget.js gets a new one.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

import brotli
import rjsmin
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import Service
from api.routes import DocumentId
from qa.service import QAService

STATIC = Path(__file__).parent / "static"
WIDGET = STATIC / "widget.js"
# An hour fresh, then served from cache for up to a day while it is revalidated in the background.
WIDGET_CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400"
router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Asset:
    plain: bytes  # the minified script
    encoded: dict[str, bytes]  # by content coding: "br", "gzip"
    etag: str


def widget_asset(path: Path = WIDGET) -> Asset:
    """The script minified, compressed and tagged once rather than for every page view (and again
    when the file changes: its modification time and size are part of the cache key)."""
    info = path.stat()
    return _read(path, info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=2)
def _read(path: Path, mtime_ns: int, size: int) -> Asset:
    plain = rjsmin.jsmin(path.read_text(encoding="utf-8")).encode()
    # gzip mtime=0: the same script always compresses to the same bytes, whichever process serves it.
    encoded = {"br": brotli.compress(plain, quality=11), "gzip": gzip.compress(plain, 9, mtime=0)}
    return Asset(plain, encoded, f'W/"{hashlib.sha256(plain).hexdigest()[:20]}"')


@router.api_route("/widget.js", methods=["GET", "HEAD"])
def widget_js(request: Request) -> Response:
    asset = widget_asset()
    headers = {"Cache-Control": WIDGET_CACHE_CONTROL, "ETag": asset.etag, "Vary": "Accept-Encoding"}
    if _matches(request.headers.get("if-none-match"), asset.etag):
        return Response(status_code=304, headers=headers)
    coding = preferred_coding(request.headers.get("accept-encoding", ""))
    body = asset.plain
    if coding is not None:
        headers["Content-Encoding"] = coding
        body = asset.encoded[coding]
    # HEAD: the same headers (Content-Length included); the server sends no body.
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match by weak comparison (RFC 9110 13.1.2): `W/` aside, the same opaque tag."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def preferred_coding(accept_encoding: str) -> str | None:
    """The coding to send under Accept-Encoding (RFC 9110 12.5.3): brotli or gzip, whichever has
    the higher weight (brotli on a tie: it is smaller); None for the plain script."""
    weights = _weights(accept_encoding)
    star = weights.get("*", 0.0)
    offered = {"br": weights.get("br", star), "gzip": weights.get("gzip", weights.get("x-gzip", star))}
    best = max(offered, key=lambda coding: offered[coding])  # dicts keep order: "br" wins a tie
    return best if offered[best] > 0 else None


def _weights(accept_encoding: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        weights[name.strip()] = _quality(params)
    return weights


def _quality(params: str) -> float:
    """A coding's `q` (1 when absent; a malformed one counts as 0, i.e. not acceptable)."""
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


@router.api_route("/favicon.ico", methods=["GET", "HEAD"])
def favicon() -> Response:
    """No icon, said without a 404: a browser asks on every demo and preview page, and a 404 shows
    as an error in the console of a developer trying the widget."""
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def demo(service: Service, document: str | None = None, document_id: str | None = None) -> HTMLResponse:
    """The first article (or `?document_id=ID`, also `?document=ID`) with the widget on it."""
    docs = service.documents()
    chosen = document_id or document
    if not docs and chosen is None:
        return HTMLResponse(_page("No articles yet", "<p>Add one with POST /documents.</p>", "", None))
    return _article_page(service, chosen or docs[0].id)


@router.get("/preview/{document_id:document_path}", response_class=HTMLResponse)
def preview(document_id: DocumentId, service: Service) -> HTMLResponse:
    """Any stored article with the widget on it, served by the service itself: trying the widget
    on one's own story needs no second site and no QA_CORS_ORIGINS (same origin). `qa ingest` and
    `qa documents` print this link."""
    return _article_page(service, document_id, embed=True)


def _article_page(service: QAService, document_id: str, embed: bool = False) -> HTMLResponse:
    doc = service.get(document_id)  # an unknown id: 404 in the one error shape
    # Each sentence carries its offsets so the widget can scroll to the one that answered.
    cursor = 0
    parts: list[str] = []
    for s in service.sentences_of(doc.id):
        parts.append(html.escape(doc.text[cursor:s.start]).replace("\n\n", "</p><p>"))
        parts.append(f'<span data-qa-start="{s.start}">{html.escape(s.text)}</span>')
        cursor = s.end
    parts.append(html.escape(doc.text[cursor:]).replace("\n\n", "</p><p>"))
    # With read keys required, the page's widget uses the first public widget key, as a newsroom's page would.
    keys = service.settings.widget_keys
    key = keys[0].get_secret_value() if keys else None
    article = f"<p>{''.join(parts)}</p>"
    if embed:
        article = _embed_note(doc.id, key) + article
    return HTMLResponse(_page(doc.title, article, doc.id, key, "preview" if embed else ""))


def _embed_note(document_id: str, key: str | None) -> str:
    """What to paste into the article's own page for the same widget, above the preview."""
    key_attribute = f' data-key="{key}"' if key else ""
    tag = f'<script src="ORIGIN/widget.js" data-document-id="{document_id}"{key_attribute} defer></script>'
    return ('<aside class="qa-preview">Preview: this article as stored, with the widget (bottom right). '
            f"On your page: <code>{html.escape(tag)}</code> (ORIGIN: this server's address; "
            "your site's origin in QA_CORS_ORIGINS).</aside>")


# A preview page on a wide screen: the article left of the open widget's panel (380 px at the
# right), not under it.
def _page(title: str, article: str, document_id: str, key: str | None, body_class: str = "") -> str:
    t = html.escape(title)
    key_attribute = f' data-key="{html.escape(key)}"' if key else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>{t}</title>
<style>body{{font:17px/1.6 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
h1{{font-family:system-ui,sans-serif;line-height:1.2}}
.qa-preview{{font:14px/1.4 system-ui,sans-serif;background:#f3f3f0;padding:.6rem .8rem;border-radius:6px}}
.qa-preview code{{overflow-wrap:anywhere}}
@media (min-width:1140px){{body.preview{{margin-left:max(1rem,min(calc(50vw - 22rem),calc(100vw - 44rem - 420px)))}}}}
</style></head>
<body class="{body_class}"><article><h1>{t}</h1>{article}</article>
<script src="/widget.js" data-document-id="{html.escape(document_id)}"{key_attribute}
        data-title="Ask about this article" defer></script>
</body></html>"""
