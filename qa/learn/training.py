"""Learn the answerability model (`qa/answerability.json`) from SQuAD-style data: articles, and
questions with answer text, some marked unanswerable.

Each question is asked of a store that holds every training article, and the pipeline's first
passage is labelled right when it contains an answer text. Negatives beyond SQuAD 2.0's
unanswerable questions are made here: answerable questions asked of the wrong article, and near
misses (the question's rarest asked-about word swapped for one the article lacks). A share of the
questions is typed as readers type (lower case, no apostrophes, a typo), so the decision holds for
them too. Probabilities are fitted by logistic regression; the threshold is read off
out-of-fold predictions (folds by article), so its stated precision is on articles the fold
never saw. Everything is seeded: the same data give the same file.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer import conversation, spelling
from qa.answer.answerability import CHOICES, NAMES, Model
from qa.answer.question import stem
from qa.answer.reranking import Weights
from qa.ingest.ingestion import DocumentInput
from qa.service import Judged, QAService

SEED = 20261130
_WORD = re.compile(r"[A-Za-z]{5,}")


@dataclass(frozen=True)
class Example:
    """One of a question's first passages, as the model sees it."""

    features: np.ndarray
    right: bool
    article: str
    kind: str  # answerable, paraphrase, unanswerable, wrong-article, near-miss
    question: int  # which question: its passages are weighed against each other


def load_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def ingest(service: QAService, corpus: list[dict[str, object]]) -> None:
    for doc in corpus:
        service.put(DocumentInput(text=str(doc["text"]), id=str(doc["id"]), title=str(doc.get("title") or "")))


def as_reader(question: str, rng: random.Random) -> str:
    """The question as a reader might type it: lower case, apostrophes and question mark dropped,
    sometimes one typo in a longer word."""
    text = question.lower().replace("'", "").replace("’", "").rstrip("?").strip()
    words = [w for w in _WORD.findall(text)]
    if words and rng.random() < 0.5:
        word = rng.choice(words)
        i = rng.randrange(1, len(word) - 1)
        typo = word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2:]
        text = text.replace(word, typo, 1)
    return text


class Synonyms:
    """Common English words near a word by meaning (the sentence encoder's, one word at a time):
    questions that use another word than the article ("paying" for "pledged") are made from them,
    so the model learns that such a word is not a missing fact."""

    def __init__(self, service: QAService, size: int = 8_000, least: float = 0.6) -> None:
        self.words = [w for w in spelling.english_by_frequency()[:size] if w.isalpha() and len(w) >= 4]
        self.vectors = service.embedder.encode(self.words)
        self.service, self.least = service, least

    def near(self, word: str, avoid: spelling.Vocabulary) -> str | None:
        sims = self.vectors @ self.service.embedder.encode([word])[0]
        for i in np.argsort(-sims)[:20]:
            other = self.words[int(i)]
            if sims[i] < self.least:
                return None
            if not avoid.has(other) and stem(other) != stem(word) and word not in other and other not in word:
                return other
        return None


def paraphrase(service: QAService, synonyms: Synonyms, text: str, article: str, rng: random.Random) -> str | None:
    """`text` with one of its article words replaced by a near word the article lacks."""
    own = service.vocabulary(article)
    words = [w for w in _WORD.findall(text) if own.has(w) and w.lower() == w]
    rng.shuffle(words)
    for word in words[:3]:
        other = synonyms.near(word, own)
        if other is not None:
            return re.sub(rf"\b{re.escape(word)}\b", other, text, count=1)
    return None


def examples(service: QAService, corpus: list[dict[str, object]], questions: list[dict[str, object]],
             reader_share: float = 0.4, negative_share: float = 0.15, paraphrase_share: float = 0.25
             ) -> Iterator[Example]:
    rng = random.Random(SEED)
    articles = [str(d["id"]) for d in corpus]
    synonyms = Synonyms(service)
    asked = _Asker(service)
    for q in questions:
        text, article = str(q["question"]), str(q["document_id"])
        if rng.random() < reader_share:
            text = as_reader(text, rng)
        answers = [str(a["text"]) for a in _list(q.get("answers"))]
        if not q.get("answerable", True) or not answers:
            yield from asked(text, article, article, [], "unanswerable")
            continue
        yield from asked(text, None, article, answers, "answerable")
        if rng.random() < paraphrase_share:
            reworded = paraphrase(service, synonyms, text, article, rng)
            if reworded is not None:
                yield from asked(reworded, None, article, answers, "paraphrase")
        if rng.random() < negative_share:
            other = rng.choice([a for a in articles if a != article])
            yield from asked(text, other, article, [], "wrong-article")
        if rng.random() < negative_share:
            swapped = near_miss(service, text, article, articles, rng)
            if swapped is not None:
                yield from asked(swapped, article, article, [], "near-miss")


def _list(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def near_miss(service: QAService, text: str, article: str, articles: list[str], rng: random.Random) -> str | None:
    """`text` with its longest asked-about word replaced by a word the article lacks."""
    own = service.vocabulary(article)
    words = sorted((w for w in _WORD.findall(text) if own.has(w) and w.lower() == w), key=len, reverse=True)
    if not words:
        return None
    foreign = service.vocabulary(rng.choice([a for a in articles if a != article]))
    pool = sorted(w for w, form in foreign.forms.items() if len(w) >= 5 and form == w and not own.has(w))
    return text.replace(words[0], rng.choice(pool), 1) if pool else None


class _Asker:
    """Asks one question and labels each of its first passages right or wrong."""

    def __init__(self, service: QAService) -> None:
        self.service, self.count = service, 0

    def __call__(self, text: str, scope: str | None, article: str, answers: list[str], kind: str,
                 previous: conversation.Turn | None = None) -> list[Example]:
        self.count += 1
        judged = _judged(self.service, text, scope, previous)
        if judged.evidence is None:
            return [Example(np.zeros(len(NAMES)), False, article, kind, self.count)]
        out = []
        for i, passage in enumerate(judged.passages[:CHOICES]):
            right = passage.document_id == article and _holds(passage.text, answers)
            out.append(Example(judged.evidence.at(i).vector(), right, article, kind, self.count))
        return out


def _judged(service: QAService, text: str, scope: str | None, previous: conversation.Turn | None) -> Judged:
    """The question judged as `QAService.ask` reads it: spelling corrected, read with the turn before."""
    text = spelling.correct(text, service.vocabulary(scope))
    resolved = conversation.resolve(text, [previous]) if previous is not None else text
    return service.judge_question(text, resolved, scope, CHOICES, previous if resolved != text else None)


def _holds(text: str, answers: list[str]) -> bool:
    """Whether `text` holds one of the answer texts (case and runs of white space ignored)."""
    norm = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) in norm for a in answers)


Turn = tuple[str, str, list[str], conversation.Turn | None]  # question, article, answers, the turn before


def reader_turns(service: QAService, questions: list[dict[str, Any]]) -> Iterator[Turn]:
    """Readers' questions (`news_readers` shape: `answers`, `sentence`, and `conversation` / `turn`),
    each with the turn before it in its conversation, whose answer is taken to be its answering
    sentence."""
    before: dict[str, conversation.Turn] = {}
    for q in sorted(questions, key=lambda q: (str(q.get("conversation") or ""), int(q.get("turn") or 0))):
        article, thread = str(q["document_id"]), str(q.get("conversation") or "")
        answers = [str(a["text"]) for a in _list(q.get("answers"))] if q.get("answerable") else []
        yield str(q["question"]), article, answers, before.get(thread) if int(q.get("turn") or 1) > 1 else None
        if thread:
            gold = str(q.get("sentence") or "") or None
            before[thread] = conversation.Turn(str(q["question"]), str(q["question"]), gold, article,
                                               _position(service, article, gold))


def reader_examples(service: QAService, questions: list[dict[str, Any]]) -> Iterator[Example]:
    """Readers' questions asked of their own article, as the widget asks them."""
    asked = _Asker(service)
    for text, article, answers, previous in reader_turns(service, questions):
        yield from asked(text, article, article, answers, "reader" if answers else "reader-unanswerable", previous)


@dataclass(frozen=True)
class Ranked:
    """One answerable question's candidates as the reranker scores them, and which of them answer."""

    features: np.ndarray  # (candidates, len(RANKER_FEATURES))
    right: np.ndarray
    article: str


RANKER_FEATURES = tuple(Weights.__dataclass_fields__)
READER_KINDS = ("reader", "reader-unanswerable")


def ranked_examples(service: QAService, questions: list[dict[str, Any]]) -> Iterator[Ranked]:
    for text, article, answers, previous in reader_turns(service, questions):
        if not answers:
            continue
        judged = _judged(service, text, article, previous)
        if judged.evidence is None:
            continue
        ranked = judged.evidence.ranked
        right = np.array([_holds(c.sentence.text, answers) for c in ranked])
        if right.any() and not right.all():
            yield Ranked(np.array([[c.features[n] for n in RANKER_FEATURES] for c in ranked]), right, article)


def fit_ranker(data: list[Ranked], l2: float = 0.01) -> Weights:
    """Weights that put a right candidate first: the softmax over each question's candidates, its
    mass on the right ones maximised (with a little L2 pull towards zero)."""
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for r in data:
            z = r.features @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mass = float(p[r.right].sum())
            total -= np.log(max(mass, 1e-12))
            # d(-log mass)/dw = E_p[x] - E_{p | right}[x]
            grad += p @ r.features - (p[r.right] @ r.features[r.right]) / max(mass, 1e-12)
        return total / len(data), grad / len(data)

    start = np.array([getattr(Weights(), n) for n in RANKER_FEATURES])
    best = minimize(loss, start, jac=True, method="L-BFGS-B")
    return Weights(**{n: round(float(v), 4) for n, v in zip(RANKER_FEATURES, best.x, strict=True)})


def _position(service: QAService, article: str, sentence: str | None) -> int | None:
    if not sentence:
        return None
    return next((s.position for s in service.sentences_of(article) if sentence in s.text or s.text in sentence), None)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=1.0, max_iter=2000, random_state=SEED).fit((x - mean) / scale, y)
    return mean, scale, model.coef_[0], float(model.intercept_[0])


def out_of_fold(x: np.ndarray, y: np.ndarray, groups: list[str], folds: int = 7) -> np.ndarray:
    """Each example's probability from a model fitted without its article."""
    articles = sorted(set(groups))
    fold_of = {a: i % folds for i, a in enumerate(articles)}
    which = np.array([fold_of[g] for g in groups])
    p = np.zeros(len(y))
    for k in range(folds):
        mean, scale, w, b = fit(x[which != k], y[which != k])
        p[which == k] = 1 / (1 + np.exp(-(((x[which == k] - mean) / scale) @ w + b)))
    return p


def threshold_for(p: np.ndarray, y: np.ndarray, precision: float) -> float:
    """The lowest probability at which the answers shown are right at least `precision` of the time."""
    order = np.argsort(-p)
    right = np.cumsum(y[order]) / np.arange(1, len(y) + 1)
    ok = np.nonzero(right >= precision)[0]
    return float(p[order][ok.max()]) if len(ok) else 1.0


def risk_coverage(p: np.ndarray, y: np.ndarray, thresholds: list[float]) -> list[dict[str, float]]:
    rows = []
    for t in thresholds:
        shown = p >= t
        rows.append({"threshold": t, "answered": float(shown.mean()),
                     "right_of_shown": float(y[shown].mean()) if shown.any() else 1.0})
    return rows


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else 0.0


def chosen(p: np.ndarray, questions: np.ndarray) -> np.ndarray:
    """Per question, the row of its most probable passage (the first of equals, as the service picks)."""
    best: dict[int, int] = {}
    for row, q in enumerate(questions):
        if q not in best or p[row] > p[best[q]]:
            best[q] = row
    return np.array(sorted(best.values()))


def closest_for(p: np.ndarray, y: np.ndarray, threshold: float, precision: float) -> float:
    """The lowest probability below `threshold` at which the passages shown as "closest" (those
    between it and `threshold`) are right at least `precision` of the time; `threshold` if none."""
    below = p < threshold
    order = np.argsort(-p[below])
    right = np.cumsum(y[below][order]) / np.arange(1, int(below.sum()) + 1)
    ok = np.nonzero(right >= precision)[0]
    return float(p[below][order][ok.max()]) if len(ok) else threshold


def train(service: QAService, corpus_path: Path, questions_path: Path, precision: float = 0.9,
          keep: Path | None = None, readers: Path | None = None, closest_precision: float = 0.4) -> Model:
    """`readers`: a folder of reader questions (`news_readers` shape) learned from as well.
    `keep`: also save the examples (features, labels, kinds, articles) there, for bench/ablation.py."""
    corpus, questions = load_jsonl(corpus_path), load_jsonl(questions_path)
    ingest(service, corpus)
    data = list(examples(service, corpus, questions))
    described = f"{len(corpus)} articles, {len(questions)} questions ({corpus_path.parent.name})"
    if readers is not None:
        reader_corpus, asked = load_jsonl(readers / "corpus.jsonl"), load_jsonl(readers / "questions.jsonl")
        ingest(service, reader_corpus)
        data += list(reader_examples(service, asked))
        described += f"; {len(reader_corpus)} articles, {len(asked)} reader questions ({readers.name})"
    if keep is not None:
        save_examples(keep, data)
    model = decide(data, precision, closest_precision)
    model.meta.update({"data": described, "embedder": service.embedder.name})
    return model


def save_examples(path: Path, data: list[Example]) -> None:
    np.savez_compressed(path, x=np.stack([e.features for e in data]), y=np.array([e.right for e in data], dtype=float),
                        kinds=np.array([e.kind for e in data]), articles=np.array([e.article for e in data]),
                        questions=np.array([e.question for e in data]), names=np.array(NAMES))


def decide(data: list[Example], precision: float = 0.9, closest_precision: float = 0.4) -> Model:
    """Fit the decision on `data`; its thresholds read off out-of-fold predictions (folds by article)."""
    x = np.stack([e.features for e in data])
    y = np.array([e.right for e in data], dtype=float)
    groups, kinds = [e.article for e in data], np.array([e.kind for e in data])
    asked = np.array([f"{e.kind}:{e.article}:{e.question}" for e in data])
    p = out_of_fold(x, y, groups)
    pick = chosen(p, asked)  # what the service would show, judged on articles the fold never saw
    # The cut-offs are read off readers' questions where there are any: the widget's use, whose
    # scores sit elsewhere than SQuAD's. The answer threshold gives `precision` on the answerable
    # ones (right answers of those shown, as qa_eval counts); how often unanswerable ones are
    # answered is reported beside it. The closest passage's cut-off counts both.
    readers = np.isin(kinds[pick], list(READER_KINDS))
    on = pick[readers] if readers.any() else pick
    mine = np.isin(kinds[on], ["answerable", "reader"])  # the answerable ones among them
    threshold = threshold_for(p[on][mine], y[on][mine], precision)
    closest = closest_for(p[on], y[on], threshold, closest_precision)
    mean, scale, w, b = fit(x, y)
    answerable = np.isin(kinds[pick], ["answerable", "reader"])
    meta: dict[str, object] = {
        "cut_offs_read_off": "reader questions" if readers.any() else "all questions",
        "held_out_readers": risk_coverage(p[on][mine], y[on][mine], [0.3, 0.5, 0.7, closest, threshold]),
        "readers_unanswerable_abstained": _mean(p[on][~mine] < threshold),
        "questions": {str(k): int(np.sum(kinds[pick] == k)) for k in sorted(set(kinds))}, "rows": len(y),
        "seed": SEED, "target_precision": precision, "closest_precision": closest_precision,
        "first_passage_right": {str(k): _mean(y[pick][kinds[pick] == k]) for k in ("answerable", "reader")},
        "held_out": risk_coverage(p[pick][answerable], y[pick][answerable], [0.3, 0.5, 0.7, closest, threshold]),
        "abstained_on_negatives": {str(k): _mean(p[pick][kinds[pick] == k] < threshold)
                                   for k in ("unanswerable", "wrong-article", "near-miss", "reader-unanswerable")},
    }
    return Model(names=NAMES, mean=mean, scale=scale, weights=w, bias=b, threshold=threshold, meta=meta,
                 closest=closest)
