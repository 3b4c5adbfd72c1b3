"""`qa insights` for a terminal: the report of GET /insights and the admin page, as plain text."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from qa.insights.report import LABELS, REASONS, Article, Group, Report, Unhelpful, rates

DAYS_SHOWN = 14


def as_text(report: Report, since_days: int, as_json: bool = False) -> str:
    """The report as `qa insights` prints it: plain text, or JSON (`--json`)."""
    if as_json:
        return json.dumps(asdict(report), ensure_ascii=False, indent=1) + "\n"
    return render(report, since_days)


def render(report: Report, since_days: int) -> str:
    start, end = _day(report.since), _day(report.until)
    lines = [f"What readers wanted to know: the last {since_days} days ({start} to {end}); recording "
             f"{'on' if report.recording else 'off (QA_INSIGHTS)'}; rows kept {report.retention_days} days",
             f"{rates(report.outcomes)}; {report.unanswered} without an answer"
             + (f" (the newest {report.grouped} grouped)" if report.grouped < report.unanswered else "")]
    if not report.articles:
        lines.append("No questions in this window.")
    for article in report.articles:
        lines += ["", *_article(article)]
    return "\n".join(lines) + "\n"


def _article(a: Article) -> list[str]:
    name = a.title or ("(questions about no one article)" if a.document_id is None else "(no longer stored)")
    unhelpful = f"; {a.feedback['unhelpful']} marked unhelpful" if a.feedback["unhelpful"] else ""
    lines = [f"== {name}" + (f"  [{a.document_id}]" if a.document_id else ""), f"   {rates(a.outcomes)}{unhelpful}",
             "   per day (answered/closest/no answer): " + _days(a)]
    if a.unanswered:
        lines.append("   asked, not answered:")
        lines += [line for g in a.unanswered[:10] for line in _group(g)]
    if a.unhelpful:
        lines.append("   marked unhelpful:")
        lines += [_unhelpful(u) for u in a.unhelpful[:10]]
    return lines


def _unhelpful(u: Unhelpful) -> str:
    shown = f"  ->  {_short(u.answer)}" if u.answer else ""
    confidence = f", confidence {u.confidence:.2f}" if u.confidence is not None else ""
    return f"     - {u.question}{shown}  ({LABELS.get(u.outcome, u.outcome)}{confidence})"


def _group(g: Group) -> list[str]:
    why = ", ".join(f"{REASONS.get(k, k)} {n}" for k, n in g.reasons.items())
    lines = [f"     {g.count:>4}x  {g.question}  ({why})"]
    if g.examples:
        lines.append("            also: " + " | ".join(g.examples))
    return lines


def _days(a: Article) -> str:
    shown = sorted(a.days)[-DAYS_SHOWN:]
    return ", ".join(f"{d[5:]} " + "/".join(str(a.days[d].get(k, 0)) for k in LABELS) for d in shown)


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d")
