"""The editors' page of insights, rendered on the server: no script, no build step, every text
escaped. Per article, a bar chart of the outcomes over time (inline SVG) and the questions readers
asked that it did not answer, grouped by meaning. Its styles are allowed by their hash
(`POLICY`), so the page needs no 'unsafe-inline'."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from html import escape
from urllib.parse import urlencode

from qa.insights.report import LABELS, REASONS, Article, Group, Report, Unhelpful, rates

PATH = "/admin/insights"
SINCE_CHOICES = (7, 30, 90, 365)
ARTICLES_SHOWN = 30
COLOURS = {"answered": "#2e7d32", "closest": "#b26a00", "abstained": "#c62828"}
STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#1a1a1a}"
         "h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:0}h3{font-size:1rem;margin:.8rem 0 .2rem}"
         "a{color:#0b57d0}.muted,.why{color:#555}.why{font-size:.9em}.error{color:#c62828}"
         "section{border-top:1px solid #ddd;padding:1rem 0}header form{display:inline-block;margin-right:1rem}"
         "svg{display:block;max-width:100%;height:auto}svg text{font-size:11px;fill:#555}"
         ".legend i{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 .9em;vertical-align:-.05em}"
         + "".join(f".{k}{{fill:{c};background:{c}}}" for k, c in COLOURS.items())
         + "ol,ul{padding-left:1.4rem}li{margin:.25rem 0}.count{font-weight:600}details{font-size:.92em}"
         "blockquote{margin:.2rem 0 .2rem 1rem;color:#333;border-left:3px solid #ddd;padding-left:.6rem}")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
POLICY = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; "
          "base-uri 'none'")


def key_form(message: str = "", query: str = "") -> str:
    """The page without data: where an editor gives the admin key."""
    action = escape(PATH + (f"?{query}" if query else ""))
    error = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    return _page(f"""<h1>What readers wanted to know</h1>
<p class="muted">Readers' questions per article, for editors. Give the service's admin key (QA_ADMIN_KEY).</p>
{error}<form method="post" action="{action}"><label>Admin key <input type="password" name="key" required
autocomplete="current-password"></label> <button type="submit">Open</button></form>""")


def report_page(report: Report, document: str | None, since: int) -> str:
    shown = report.articles[:ARTICLES_SHOWN]
    more = len(report.articles) - len(shown)
    note = f'<p class="muted">{more} more articles: open one by its id (?document=ID).</p>' if more > 0 else ""
    empty = '<p class="muted">No questions in this window.</p>' if not report.articles else ""
    start = datetime.fromtimestamp(report.since, UTC).date()
    end = datetime.fromtimestamp(report.until, UTC).date()
    body = "".join(_article(a, start, end, since) for a in shown)
    return _page(_header(report, document, since) + empty + body + note)


def _header(report: Report, document: str | None, since: int) -> str:
    options = "".join(f'<option value="{d}"{" selected" if d == since else ""}>last {d} days</option>'
                      for d in sorted({*SINCE_CHOICES, since}))
    keep = f'<input type="hidden" name="document" value="{escape(document)}">' if document else ""
    back = f' · <a href="{escape(_link(None, since))}">all articles</a>' if document else ""
    recording = "on" if report.recording else "off (QA_INSIGHTS): showing what was recorded before"
    totals = rates(report.outcomes)
    return f"""<header><h1>What readers wanted to know</h1>
<p class="muted">Recording {escape(recording)}. Rows are kept {report.retention_days} days.{back}</p>
<form method="get" action="{PATH}">{keep}<label>Show <select name="since">{options}</select></label>
<button type="submit">Update</button></form><form method="post" action="/admin/logout">
<button type="submit">Sign out</button></form>
<p>{totals}; {report.unanswered} without an answer{_grouped_note(report)}.</p></header>"""


def _grouped_note(report: Report) -> str:
    if report.grouped == report.unanswered:
        return ""
    return f" (the newest {report.grouped} grouped)"


def _article(a: Article, start: date, end: date, since: int) -> str:
    title = escape(a.title) if a.title else ("Questions about no one article" if a.document_id is None
                                             else "(article no longer stored)")
    link = f' <a class="why" href="{escape(_link(a.document_id, since))}">only this</a>' if a.document_id else ""
    ident = f' <span class="why">{escape(a.document_id)}</span>' if a.document_id else ""
    feedback = f", {a.feedback['unhelpful']} marked unhelpful" if a.feedback["unhelpful"] else ""
    return f"""<section><h2>{title}</h2><p class="muted">{ident}{link}</p>
<p>{rates(a.outcomes)}{feedback}.</p>{chart(a.days, start, end)}{_legend()}
<h3>Asked, not answered</h3>{_groups(a.unanswered)}{_unhelpful(a.unhelpful)}</section>"""


def _legend() -> str:
    return '<p class="legend why">' + "".join(f'<i class="{k}"></i>{v}' for k, v in LABELS.items()) + "</p>"


def _groups(groups: list[Group]) -> str:
    if not groups:
        return '<p class="muted">None.</p>'
    items = []
    for g in groups[:10]:
        why = ", ".join(f"{escape(REASONS.get(k, k))} {n}" for k, n in g.reasons.items())
        others = "".join(f"<li>{escape(e)}</li>" for e in g.examples)
        more = f"<details><summary>other wordings</summary><ul>{others}</ul></details>" if others else ""
        items.append(f'<li><span class="count">{g.count}×</span> {escape(g.question)} '
                     f'<span class="why">({why})</span>{more}</li>')
    return f"<ol>{''.join(items)}</ol>"


def _unhelpful(found: list[Unhelpful]) -> str:
    if not found:
        return ""
    items = "".join(f"<li>{escape(u.question)} <span class=\"why\">({escape(LABELS.get(u.outcome, u.outcome))}"
                    f"{_confidence(u.confidence)})</span>" + (f"<blockquote>{escape(u.answer)}</blockquote>"
                                                               if u.answer else "") + "</li>" for u in found[:10])
    return f"<h3>Marked unhelpful</h3><ul>{items}</ul>"


def _confidence(value: float | None) -> str:
    return "" if value is None else f", confidence {value:.2f}"


def chart(days: dict[str, dict[str, int]], start: date, end: date, width: int = 640, height: int = 150) -> str:
    """Stacked bars of the outcomes per day (per week past 62 days), oldest left."""
    buckets = _buckets(days, start, end)
    top = max((sum(c.values()) for _, c in buckets), default=0) or 1
    left, bottom = 28, 18
    step = (width - left) / len(buckets)
    bars = "".join(_bar(first, counts, left + i * step, step, (height - bottom) / top, height - bottom)
                   for i, (first, counts) in enumerate(buckets))
    per = "week" if len(buckets) < (end - start).days + 1 else "day"
    label = f"Questions per {per} from {buckets[0][0]} to {end}: " + rates(_sum(c for _, c in buckets))
    axis = (f'<text x="0" y="10">{top}</text><text x="0" y="{height - bottom}">0</text>'
            f'<text x="{left}" y="{height - 4}">{buckets[0][0]}</text>'
            f'<text x="{width}" y="{height - 4}" text-anchor="end">{end}</text>')
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(label)}"><title>{escape(label)}</title>{axis}{bars}</svg>')


def _buckets(days: dict[str, dict[str, int]], start: date, end: date) -> list[tuple[date, dict[str, int]]]:
    span = (end - start).days + 1
    size = 7 if span > 62 else 1
    out = []
    for first in range(0, span, size):
        day = start + timedelta(days=first)
        out.append((day, _sum(days.get(str(day + timedelta(days=d)), {}) for d in range(size))))
    return out


def _sum(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(LABELS, 0)
    for c in counts:
        for k, n in c.items():
            total[k] = total.get(k, 0) + n
    return total


def _bar(first: date, counts: dict[str, int], x: float, step: float, scale: float, base: float) -> str:
    width = max(step - (1 if step > 3 else 0), 0.5)
    rects, y = [], base
    for outcome in LABELS:  # answered at the bottom, then the closest passage, then no answer
        h = counts.get(outcome, 0) * scale
        if h:
            y -= h
            rects.append(f'<rect class="{outcome}" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}"/>')
    tip = f"{first}: " + ", ".join(f"{counts.get(k, 0)} {v}" for k, v in LABELS.items())
    return f"<g><title>{escape(tip)}</title>{''.join(rects)}</g>" if rects else ""


def _link(document: str | None, since: int) -> str:
    query = {"since": since} | ({"document": document} if document else {})
    return f"{PATH}?{urlencode(query)}"


def _page(body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>What readers wanted to know</title><style>{STYLE}</style></head>
<body>{body}</body></html>"""
