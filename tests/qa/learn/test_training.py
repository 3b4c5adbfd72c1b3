"""Training the answerability model is reproducible from the project's own data."""

import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from index.embedders.base import FakeEmbedder
from qa.answer.answerability import Model
from qa.learn import training
from qa.service import QAService
from qa.settings import Settings

DATA = Path(__file__).resolve().parents[3] / "bench" / "data" / "squad_train"


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    """Four training articles cut to their first paragraphs, with the questions about them."""
    corpus = training.load_jsonl(DATA / "corpus.jsonl")[:4]
    for doc in corpus:
        doc["text"] = str(doc["text"])[:2500]
    keep = {str(d["id"]) for d in corpus}
    questions = [q for q in training.load_jsonl(DATA / "questions.jsonl") if q["document_id"] in keep
                 and all(a["start"] < 2400 for a in cast(list[dict[str, int]], q.get("answers", [])))][:120]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(d) for d in corpus))
    (tmp_path / "q.jsonl").write_text("\n".join(json.dumps(q) for q in questions))
    return tmp_path / "c.jsonl", tmp_path / "q.jsonl"


def _train(tmp_path: Path, name: str, data: tuple[Path, Path]) -> Model:
    settings = Settings(data_dir=tmp_path / name, seeds_dir=tmp_path / "none", embedder="fake", answer_cache_size=0)
    service = QAService.open(settings, FakeEmbedder(), judge=Model.neutral())
    try:
        return training.train(service, data[0], data[1], precision=0.8)
    finally:
        service.close()


@pytest.mark.slow
def test_the_same_data_train_the_same_model(tmp_path: Path, small: tuple[Path, Path]) -> None:
    first, second = _train(tmp_path, "a", small), _train(tmp_path, "b", small)
    assert first.to_json() == second.to_json()
    kinds = first.meta["questions"]
    assert isinstance(kinds, dict) and kinds["answerable"] > 0


def test_the_threshold_is_where_shown_answers_reach_the_precision() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    y = np.array([1, 1, 1, 0, 1, 0], dtype=float)
    t = training.threshold_for(p, y, 0.8)
    shown = p >= t
    assert y[shown].mean() >= 0.8 and t == 0.5


def test_reader_typing_keeps_the_question_recognisable() -> None:
    import random

    typed = training.as_reader("What did Britain's minister say?", random.Random(1))
    assert typed == typed.lower() and "'" not in typed and not typed.endswith("?")


def test_each_question_shows_its_most_probable_passage() -> None:
    p = np.array([0.2, 0.7, 0.7, 0.9, 0.1])
    questions = np.array([1, 1, 1, 2, 2])
    assert training.chosen(p, questions).tolist() == [1, 3]  # ties: the reranker's first


# A few reader questions in the news_readers shape, about a made-up article (the real data stays
# outside the repository).
READER_ARTICLE = ("Tram line to open in 2029. The council approved the tram extension on Monday. "
                  "It will cost 310 million pounds, paid by the city and the state. "
                  "Mayor Ada Lund said the line would cut the trip to the centre to 14 minutes. "
                  "Construction starts in March 2027.")
READER_QUESTIONS = [
    {"id": "r1", "document_id": "tram", "question": "how much is it going to cost", "answerable": True,
     "answers": [{"text": "310 million pounds", "start": 0}], "sentence": "It will cost 310 million pounds, paid by "
     "the city and the state.", "kind": "how-much", "conversation": "c1", "turn": 1},
    {"id": "r2", "document_id": "tram", "question": "who pays?", "answerable": True,
     "answers": [{"text": "paid by the city and the state", "start": 0}],
     "sentence": "It will cost 310 million pounds, paid by the city and the state.", "kind": "who",
     "conversation": "c1", "turn": 2},
    {"id": "r3", "document_id": "tram", "question": "what did the mayor say", "answerable": True,
     "answers": [{"text": "14 minutes", "start": 0}], "sentence": "Mayor Ada Lund said the line would cut the "
     "trip to the centre to 14 minutes.", "kind": "quote"},
    {"id": "r4", "document_id": "tram", "question": "how many stops will it have", "answerable": False,
     "why": "the number of stops"},
]


def test_reader_turns_carry_the_turn_before_and_its_answer_sentence(tmp_path: Path) -> None:
    from qa.ingest.ingestion import DocumentInput

    settings = Settings(data_dir=tmp_path / "d", seeds_dir=tmp_path / "none", embedder="fake", answer_cache_size=0)
    service = QAService.open(settings, FakeEmbedder(), judge=Model.neutral())
    try:
        service.put(DocumentInput(text=READER_ARTICLE, id="tram", title="Tram"))
        turns = {text: previous for text, _, _, previous in training.reader_turns(service, READER_QUESTIONS)}
        assert turns["how much is it going to cost"] is None and turns["what did the mayor say"] is None
        before = turns["who pays?"]
        assert before is not None and before.question == "how much is it going to cost"
        assert before.sentence_index == 2 and before.answer_text == READER_QUESTIONS[0]["sentence"]
        kinds = [e.kind for e in training.reader_examples(service, READER_QUESTIONS)]
        assert kinds.count("reader-unanswerable") == 3 and kinds.count("reader") == 9  # three passages each
        ranked = list(training.ranked_examples(service, READER_QUESTIONS))
        assert ranked and all(r.features.shape == (len(r.right), len(training.RANKER_FEATURES)) for r in ranked)
    finally:
        service.close()


def test_the_fitted_ranker_puts_right_candidates_first() -> None:
    rng = np.random.default_rng(0)
    n = len(training.RANKER_FEATURES)
    data = []
    for _ in range(60):  # the right candidate is the one with the highest "lexical" feature
        x = rng.random((6, n))
        right = np.zeros(6, dtype=bool)
        right[int(np.argmax(x[:, 1]))] = True
        data.append(training.Ranked(x, right, "a"))
    weights = training.fit_ranker(data)
    order = [int(np.argmax(r.features @ np.array([getattr(weights, f) for f in training.RANKER_FEATURES])))
             for r in data]
    assert sum(r.right[i] for r, i in zip(data, order, strict=True)) >= 55
    assert weights.lexical == max(getattr(weights, f) for f in training.RANKER_FEATURES)


def test_the_closest_cut_off_keeps_the_band_below_the_threshold_right_often_enough() -> None:
    p = np.array([0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=float)
    closest = training.closest_for(p, y, threshold=0.7, precision=0.5)
    band = (p >= closest) & (p < 0.7)
    assert y[band].mean() >= 0.5 and closest == 0.3  # the band 0.6, 0.5, 0.4, 0.3: half right
    assert training.closest_for(p, np.zeros(8), threshold=0.7, precision=0.5) == 0.7  # never right: no band
