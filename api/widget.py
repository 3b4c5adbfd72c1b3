"""The chat widget script and a demo page showing an article with the widget on it."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import Service

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/widget.js")
def widget_js() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/", response_class=HTMLResponse)
def demo(service: Service, document: str | None = None) -> HTMLResponse:
    """The first article (or `?document=ID`) with the widget on it."""
    docs = service.documents()
    if not docs:
        return HTMLResponse(_page("No articles yet", "<p>Add one with POST /documents.</p>", "", None))
    doc = service.get(document or docs[0].id)
    # Each sentence carries its offsets so the widget can scroll to the one that answered.
    cursor = 0
    parts: list[str] = []
    for s in service.sentences_of(doc.id):
        parts.append(html.escape(doc.text[cursor:s.start]).replace("\n\n", "</p><p>"))
        parts.append(f'<span data-qa-start="{s.start}">{html.escape(s.text)}</span>')
        cursor = s.end
    parts.append(html.escape(doc.text[cursor:]))
    # With read keys required, the demo's widget uses the first public widget key, as a newsroom's page would.
    keys = service.settings.widget_keys
    return HTMLResponse(_page(doc.title, f"<p>{''.join(parts)}</p>", doc.id,
                              keys[0].get_secret_value() if keys else None))


def _page(title: str, article: str, document_id: str, key: str | None) -> str:
    t = html.escape(title)
    key_attribute = f' data-key="{html.escape(key)}"' if key else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>{t}</title>
<style>body{{font:17px/1.6 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
h1{{font-family:system-ui,sans-serif;line-height:1.2}}</style></head>
<body><article><h1>{t}</h1>{article}</article>
<script src="/widget.js" data-document-id="{html.escape(document_id)}"{key_attribute}
        data-title="Ask about this article" defer></script>
</body></html>"""
