"""GET /insights: what readers wanted to know, per article, for the newsroom (admin key). The
same report as the admin page (`api.admin`) and `qa insights`, as JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field

from api.deps import Admin, Service
from qa.ingest.identifiers import DOCUMENT_ID, normalized_or_none
from qa.insights.report import Article, Group, Report, Unhelpful

router = APIRouter(tags=["insights"])
DocumentFilter = Annotated[str | None, Query(max_length=200, pattern=DOCUMENT_ID,
                                             description="Only this article's questions."),
                           AfterValidator(normalized_or_none)]
SinceDays = Annotated[int, Query(ge=1, le=3650, description="Questions of the last this many days.")]


class GroupOut(BaseModel):
    question: str = Field(description="The question nearest the group's centre: what the group asks.")
    count: int = Field(description="Questions in the group, repeats included.")
    examples: list[str] = Field(description="Other wordings, the most asked first (at most 5).")
    reasons: dict[str, int] = Field(description="Why they went unanswered: `uncertain` (the closest passage "
                                    "was shown), `not_in_article`, `unresolved_follow_up`.")


class UnhelpfulOut(BaseModel):
    question: str
    answer: str | None = Field(description="The passage the reader was shown.")
    outcome: str
    confidence: float | None
    asked_at: datetime


class ArticleOut(BaseModel):
    document_id: str | None = Field(description="Null: questions asked of every article that none answered.")
    title: str | None = Field(description="Null when the article is no longer stored.")
    questions: int
    outcomes: dict[str, int] = Field(description="`answered`, `closest` (closest passage shown), `abstained`.")
    rates: dict[str, float] = Field(description="Each outcome's share of the questions.")
    reasons: dict[str, int]
    feedback: dict[str, int] = Field(description="Readers' verdicts: `helpful`, `unhelpful`.")
    days: dict[str, dict[str, int]] = Field(description="Per UTC day with questions: outcome counts.")
    unanswered: list[GroupOut] = Field(description="Questions not answered, grouped by meaning, largest first.")
    unhelpful: list[UnhelpfulOut] = Field(description="Answers readers marked unhelpful, newest first.")


class InsightsOut(BaseModel):
    recording: bool = Field(description="Whether questions are being recorded (QA_INSIGHTS).")
    since: datetime
    until: datetime
    retention_days: int
    questions: int
    outcomes: dict[str, int]
    unanswered: int = Field(description="Questions not answered in the window.")
    grouped: int = Field(description="Of them, how many were grouped (the newest 2000).")
    articles: list[ArticleOut] = Field(description="Most unanswered questions first.")


@router.get("/insights", response_model=InsightsOut, dependencies=[Admin])
def insights(service: Service, document: DocumentFilter = None, since: SinceDays = 30) -> InsightsOut:
    """Per article: the questions readers asked that it did not answer, grouped by meaning; the
    answers they marked unhelpful; the outcomes' rates and counts per day (admin)."""
    return as_json(service.insights.report(document, since))


def as_json(report: Report) -> InsightsOut:
    outcomes = report.outcomes
    return InsightsOut(recording=report.recording, since=_time(report.since), until=_time(report.until),
                       retention_days=report.retention_days, questions=sum(outcomes.values()), outcomes=outcomes,
                       unanswered=report.unanswered, grouped=report.grouped,
                       articles=[_article(a) for a in report.articles])


def _article(a: Article) -> ArticleOut:
    return ArticleOut(document_id=a.document_id, title=a.title, questions=a.questions, outcomes=a.outcomes,
                      rates=a.rates, reasons=a.reasons, feedback=a.feedback, days=a.days,
                      unanswered=[_group(g) for g in a.unanswered], unhelpful=[_unhelpful(u) for u in a.unhelpful])


def _group(g: Group) -> GroupOut:
    return GroupOut(question=g.question, count=g.count, examples=g.examples, reasons=g.reasons)


def _unhelpful(u: Unhelpful) -> UnhelpfulOut:
    return UnhelpfulOut(question=u.question, answer=u.answer, outcome=u.outcome, confidence=u.confidence,
                        asked_at=_time(u.asked_at))


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
