"""Teaching the sentence encoder how readers ask (`qa train-encoder`).

Readers paraphrase ("who's paying for it" for "the council pledged"); the shipped encoder learned
from other text. Here it learns from questions paired with the sentence that answers them: the news
reader questions (`../shared/train/news_readers`, articles read from a path, never copied into the
repository) and SQuAD training questions. Each pair is contrasted with the other pairs of its batch
and with a hard negative, the sentence of the same article the untrained encoder likes best that
does not answer (MultipleNegativesRankingLoss). A follow-up is trained as the service embeds it:
read with the previous turn (`qa.answer.conversation.resolve`).

Only low-rank adapters (and the layers' biases and norms) are trained: the result is a file of a
few MB with a card (`index.embedders.adapter`). Everything is seeded. Needs PyTorch (a dependency
of sentence-transformers), only here: serving adds the adapter with NumPy.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.embedders.adapter import Adapter
from qa.answer import conversation
from qa.ingest.segmentation import Segmenter

SEED = 20261205
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
           "intermediate.dense", "output.dense")


@dataclass(frozen=True)
class Pair:
    query: str
    positive: str
    article: str
    sentences: tuple[str, ...]  # the article's sentences, where the hard negative comes from
    answer: str = ""  # a negative must not contain it


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def fold_of(article_ids: Iterable[str], folds: int) -> dict[str, int]:
    """Articles dealt round-robin in sorted order: folds of equal size, the same every run."""
    return {a: i % folds for i, a in enumerate(sorted(set(article_ids)))}


def reader_pairs(folder: Path, segmenter: Segmenter, keep: set[str] | None = None) -> list[Pair]:
    """Answerable reader questions of the articles in `keep` (all when None); later conversation
    turns read with the turn before, as the service reads them."""
    articles = {d["id"]: d for d in read_jsonl(folder / "corpus.jsonl")}
    sentences = {a: tuple(s.text for s in segmenter.split(d["text"])) for a, d in articles.items()
                 if keep is None or a in keep}
    questions = read_jsonl(folder / "questions.jsonl")
    previous: dict[str, conversation.Turn] = {}
    pairs = []
    for q in sorted(questions, key=lambda q: (q.get("conversation") or "", q.get("turn") or 0)):
        article = q["document_id"]
        if article not in sentences:
            continue
        text = q["question"]
        before = previous.get(q.get("conversation") or "")
        resolved = conversation.resolve(text, [before]) if before and q.get("turn", 1) > 1 else text
        if q.get("conversation"):
            previous[q["conversation"]] = conversation.Turn(text, resolved, q.get("sentence"), article)
        if q.get("answerable") and q.get("sentence"):
            pairs.append(Pair(resolved, q["sentence"], article, sentences[article], q["answers"][0]["text"]))
    return pairs


def squad_pairs(folder: Path, segmenter: Segmenter, limit: int, rng: random.Random) -> list[Pair]:
    """Up to `limit` answerable SQuAD questions with the sentence holding the answer's start."""
    articles = {d["id"]: d["text"] for d in read_jsonl(folder / "corpus.jsonl")}
    spans = {a: segmenter.split(t) for a, t in articles.items()}
    pairs = []
    for q in read_jsonl(folder / "questions.jsonl"):
        if not q.get("answerable", True) or not q.get("answers"):
            continue
        start, article = q["answers"][0]["start"], q["document_id"]
        holding = next((s.text for s in spans[article] if s.start <= start < s.end), None)
        if holding:
            texts = tuple(s.text for s in spans[article])
            pairs.append(Pair(q["question"], holding, article, texts, q["answers"][0]["text"]))
    rng.shuffle(pairs)
    return pairs[:limit]


class Trainer:
    """The base encoder with trainable low-rank adapters, in PyTorch."""

    def __init__(self, base: Path, rank: int = 16, alpha: float = 32.0, threads: int = 2) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.manual_seed(SEED)
        torch.set_num_threads(threads)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(base), local_files_only=True)
        self.scale = alpha / rank
        self.low_rank: dict[str, tuple[Any, Any]] = {}
        self.vectors: dict[str, tuple[Any, Any]] = {}  # trained biases and norms, with their start values
        for p in self.model.parameters():
            p.requires_grad_(False)
        for name, module in self.model.named_modules():
            if name.startswith("encoder.layer.") and name.split(".", 3)[-1] in TARGETS and name.count(".") >= 3:
                self._adapt(name, module, rank)
        for name, p in self.model.named_parameters():
            if name.startswith("encoder.layer.") and name.endswith(".bias") or ".LayerNorm." in name:
                p.requires_grad_(True)
                self.vectors[name] = (p, p.detach().clone())

    def _adapt(self, name: str, linear: Any, rank: int) -> None:
        torch = self.torch
        a = torch.nn.Parameter(torch.randn(rank, linear.in_features) / rank ** 0.5)
        b = torch.nn.Parameter(torch.zeros(linear.out_features, rank))  # starts as the base model exactly
        self.low_rank[f"{name}.weight"] = (a, b)
        plain, scale = linear.forward, self.scale

        def forward(x: Any) -> Any:
            return plain(x) + scale * (x @ a.t() @ b.t())

        linear.forward = forward

    def parameters(self) -> list[Any]:
        return [p for pair in self.low_rank.values() for p in pair] + [p for p, _ in self.vectors.values()]

    def encode(self, texts: list[str]) -> Any:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.torch.nn.functional.normalize(pooled, dim=-1)

    def embed(self, texts: list[str], batch: int = 64) -> np.ndarray:
        with self.torch.no_grad():
            return np.vstack([self.encode(texts[i:i + batch]).numpy() for i in range(0, len(texts), batch)])

    def adapter(self) -> Adapter:
        low = {k: (a.detach().numpy().copy(), b.detach().numpy().copy()) for k, (a, b) in self.low_rank.items()}
        deltas = {k: (p.detach() - start).numpy().copy() for k, (p, start) in self.vectors.items()}
        return Adapter(low, deltas, self.scale)


def hard_negatives(trainer: Trainer, pairs: list[Pair]) -> list[str]:
    """Per pair, the article's sentence closest to the question (by the encoder before training)
    that is neither the answer sentence nor holds the answer."""
    queries = trainer.embed([p.query for p in pairs])
    by_article: dict[str, np.ndarray] = {}
    out = []
    for pair, q in zip(pairs, queries, strict=True):
        if pair.article not in by_article:
            by_article[pair.article] = trainer.embed(list(pair.sentences))
        order = np.argsort(-(by_article[pair.article] @ q))
        wrong = (pair.sentences[i] for i in order if _unrelated(pair, pair.sentences[i]))
        out.append(next(wrong, ""))
    return out


def _unrelated(pair: Pair, sentence: str) -> bool:
    return sentence != pair.positive and pair.positive not in sentence and sentence not in pair.positive and \
        (not pair.answer or pair.answer.lower() not in sentence.lower())


def train(trainer: Trainer, pairs: list[Pair], epochs: int = 1, batch: int = 32, lr: float = 2e-4,
          log: Any = print) -> Adapter:
    torch = trainer.torch
    negatives = hard_negatives(trainer, pairs)
    rows = list(zip(pairs, negatives, strict=True))
    rng = random.Random(SEED)
    params = trainer.parameters()
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * ((len(rows) + batch - 1) // batch)
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    trainer.model.train()
    started, step = time.monotonic(), 0
    for epoch in range(epochs):
        rng.shuffle(rows)
        for i in range(0, len(rows), batch):
            chunk = rows[i:i + batch]
            loss = _loss(trainer, chunk)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 20 == 0 or step == steps:
                log(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} "
                    f"({time.monotonic() - started:.0f} s)")
    trainer.model.eval()
    return trainer.adapter()


def _loss(trainer: Trainer, chunk: list[tuple[Pair, str]]) -> Any:
    """In-batch softmax over every positive and hard negative of the batch, scale 20 (as
    sentence-transformers' MultipleNegativesRankingLoss)."""
    torch = trainer.torch
    queries = trainer.encode([p.query for p, _ in chunk])
    documents = trainer.encode([p.positive for p, _ in chunk] + [n or p.positive for p, n in chunk])
    scores = 20.0 * queries @ documents.t()
    return torch.nn.functional.cross_entropy(scores, torch.arange(len(chunk)))


def precision_at_one(trainer: Trainer, pairs: list[Pair]) -> dict[str, float]:
    """Ranking each question's article sentences by cosine: how often the answer sentence is first,
    and the mean reciprocal rank."""
    if not pairs:
        return {"questions": 0, "p_at_1": 0.0, "mrr": 0.0}
    queries = trainer.embed([p.query for p in pairs])
    by_article: dict[str, np.ndarray] = {}
    first = reciprocal = 0.0
    for pair, q in zip(pairs, queries, strict=True):
        if pair.article not in by_article:
            by_article[pair.article] = trainer.embed(list(pair.sentences))
        scores = by_article[pair.article] @ q
        right = [i for i, s in enumerate(pair.sentences) if s == pair.positive or pair.positive in s or
                 (pair.answer and pair.answer.lower() in s.lower() and s in pair.positive)]
        if not right:
            right = [int(np.argmax(trainer.embed([pair.positive])[0] @ by_article[pair.article].T))]
        rank = 1 + int(np.sum(scores > max(scores[i] for i in right)))
        first += rank == 1
        reciprocal += 1 / rank
    return {"questions": len(pairs), "p_at_1": round(first / len(pairs), 4), "mrr": round(reciprocal / len(pairs), 4)}


def run(readers: Path, squad: Path | None, out: Path, base: Path, folds: int = 5, hold_out: int | None = None,
        epochs: int = 1, squad_questions: int = 1700, log: Any = print, base_name: str = "") -> dict[str, Any]:
    """Train on the reader articles outside fold `hold_out` (all of them when None) and `squad`;
    write the adapter and its card to `out`; return the card."""
    from index.embedders.adapter import save

    rng, segmenter = random.Random(SEED), Segmenter()
    article_ids = [d["id"] for d in read_jsonl(readers / "corpus.jsonl")]
    fold = fold_of(article_ids, folds)
    train_ids = {a for a in article_ids if fold[a] != hold_out}
    held = reader_pairs(readers, segmenter, set(article_ids) - train_ids) if hold_out is not None else []
    pairs = reader_pairs(readers, segmenter, train_ids)
    n_readers = len(pairs)
    if squad is not None:
        pairs += squad_pairs(squad, segmenter, squad_questions, rng)
    trainer = Trainer(base)
    before = precision_at_one(trainer, held)
    log(f"{n_readers} reader + {len(pairs) - n_readers} SQuAD pairs; held-out fold {hold_out}: before {before}")
    started = time.monotonic()
    adapter = train(trainer, pairs, epochs=epochs, log=log)
    after = precision_at_one(trainer, held)
    log(f"held-out fold {hold_out}: after {after}")
    card: dict[str, Any] = {
        "base": base_name or base.name, "scale": adapter.scale,
        "rank": next(iter(adapter.low_rank.values()))[0].shape[0],
        "data": {"readers": f"{readers.name}: {n_readers} questions of {len(train_ids)} articles",
                 "squad": f"{len(pairs) - n_readers} questions ({squad.name if squad else 'none'})"},
        "folds": folds, "held_out_fold": hold_out, "epochs": epochs, "seed": SEED,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "held_out": {"before": before, "after": after} if held else None,
        "licence": "trained on SQuAD (CC BY-SA 4.0) and news reader questions written for this project",
    }
    card["sha256"] = save(adapter, out, card)
    return card
