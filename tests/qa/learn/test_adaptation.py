"""Training data for the encoder adapter: folds by article, pairs read as the service reads them."""

import json
from pathlib import Path

from qa.ingest.segmentation import Segmenter
from qa.learn.adaptation import fold_of, reader_pairs, squad_pairs
from tests.qa.learn.test_examples import READER_ARTICLE, READER_QUESTIONS


def test_folds_are_by_article_balanced_and_the_same_every_run() -> None:
    ids = [f"a{i}" for i in range(23)]
    fold = fold_of(reversed(ids), 5)
    assert fold == fold_of(ids, 5)
    sizes = [list(fold.values()).count(k) for k in range(5)]
    assert max(sizes) - min(sizes) <= 1


def test_reader_pairs_read_a_later_turn_with_the_one_before(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"id": "tram", "title": "Tram", "text": READER_ARTICLE}))
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in READER_QUESTIONS))
    pairs = reader_pairs(tmp_path, Segmenter())
    assert len(pairs) == 3  # the unanswerable one teaches the encoder nothing
    follow = next(p for p in pairs if p.query.startswith("who pays?"))
    assert follow.query != "who pays?" and "cost" in follow.query  # carried from "how much is it going to cost"
    assert follow.positive in follow.sentences or any(follow.positive in s for s in follow.sentences)
    assert reader_pairs(tmp_path, Segmenter(), keep=set()) == []


def test_squad_pairs_take_the_sentence_holding_the_answer() -> None:
    import random

    data = Path(__file__).resolve().parents[3] / "bench" / "data" / "squad_train"
    pairs = squad_pairs(data, Segmenter(), 50, random.Random(1))
    assert len(pairs) == 50
    assert sum(p.answer.lower() in p.positive.lower() for p in pairs) >= 48
