"""Training the answerability model is reproducible from the project's own data."""

import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from index.embedders.base import FakeEmbedder
from qa.answer.answerability import NAMES, Model
from qa.learn import examples, training
from qa.service import QAService
from qa.settings import Settings

DATA = Path(__file__).resolve().parents[3] / "bench" / "data" / "squad_train"


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    """Four training articles cut to their first paragraphs, with the questions about them."""
    corpus = examples.load_jsonl(DATA / "corpus.jsonl")[:4]
    for doc in corpus:
        doc["text"] = str(doc["text"])[:2500]
    keep = {str(d["id"]) for d in corpus}
    questions = [q for q in examples.load_jsonl(DATA / "questions.jsonl") if q["document_id"] in keep
                 and all(a["start"] < 2400 for a in cast(list[dict[str, int]], q.get("answers", [])))][:120]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(d) for d in corpus))
    (tmp_path / "q.jsonl").write_text("\n".join(json.dumps(q) for q in questions))
    return tmp_path / "c.jsonl", tmp_path / "q.jsonl"


def _train(tmp_path: Path, name: str, data: tuple[Path, Path]) -> Model:
    settings = Settings(data_dir=tmp_path / name, seeds_dir=tmp_path / "none", embedder="fake", answer_cache_size=0)
    service = QAService.open(settings, FakeEmbedder(), decision=Model.neutral())
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


def test_each_question_shows_its_most_probable_passage() -> None:
    p = np.array([0.2, 0.7, 0.7, 0.9, 0.1])
    questions = np.array([1, 1, 1, 2, 2])
    assert training.chosen(p, questions).tolist() == [1, 3]  # ties: the reranker's first


def test_the_networks_learn_what_a_line_cannot() -> None:
    # Right when two features agree in sign (an interaction no single weight expresses).
    rng = np.random.default_rng(0)
    x = np.zeros((1200, len(NAMES)))
    x[:, :3] = rng.normal(size=(1200, 3))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    train, test = slice(0, 1000), slice(1000, None)
    networks = training.fit(x[train], y[train], members=2)
    logistic = training.fit(x[train], y[train], members=0)
    assert networks.hidden is not None and logistic.hidden is None

    def accuracy(model: Model) -> float:
        return float(((model.probabilities(x[test]) >= 0.5) == (y[test] == 1)).mean())

    assert accuracy(networks) > 0.8 and accuracy(logistic) < 0.65


def test_the_fitted_ranker_puts_right_candidates_first() -> None:
    rng = np.random.default_rng(0)
    n = len(examples.RANKER_FEATURES)
    data = []
    for _ in range(60):  # the right candidate is the one with the highest "lexical" feature
        x = rng.random((6, n))
        right = np.zeros(6, dtype=bool)
        right[int(np.argmax(x[:, 1]))] = True
        data.append(examples.RankerExample(x, right, "a"))
    weights = training.fit_ranker(data)
    order = [int(np.argmax(r.features @ np.array([getattr(weights, f) for f in examples.RANKER_FEATURES])))
             for r in data]
    assert sum(r.right[i] for r, i in zip(data, order, strict=True)) >= 55
    assert weights.lexical == max(getattr(weights, f) for f in examples.RANKER_FEATURES)


def test_the_closest_cut_off_keeps_the_band_below_the_threshold_right_often_enough() -> None:
    p = np.array([0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=float)
    closest = training.closest_for(p, y, threshold=0.7, precision=0.5)
    band = (p >= closest) & (p < 0.7)
    assert y[band].mean() >= 0.5 and closest == 0.3  # the band 0.6, 0.5, 0.4, 0.3: half right
    assert training.closest_for(p, np.zeros(8), threshold=0.7, precision=0.5) == 0.7  # never right: no band
