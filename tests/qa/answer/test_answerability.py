"""The learned answer-or-abstain decision: its file is verified, its features mean what they say."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedders.base import FakeEmbedder
from index.types import StoredSentence
from qa.answer.answerability import MODEL_FILE, NAMES, Evidence, Hidden, Model
from qa.answer.question import parse
from qa.answer.relatedness import Relatedness
from qa.answer.reranking import Asked
from qa.answer.retrieval import Candidate
from qa.answer.spelling import Vocabulary
from qa.errors import CorruptFile


def test_the_committed_model_loads_and_has_a_threshold() -> None:
    model = Model.load(MODEL_FILE)
    assert model.names == NAMES and 0.0 < model.threshold < 1.0
    assert 0.0 <= model.probability(np.zeros(len(NAMES))) <= 1.0


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    body = json.loads(MODEL_FILE.read_text())
    body["model"]["bias"] += 1.0
    path = tmp_path / "m.json"
    path.write_text(json.dumps(body))
    with pytest.raises(CorruptFile, match="checksum"):
        Model.load(path)


def test_a_model_of_other_features_is_refused(tmp_path: Path) -> None:
    n = len(NAMES) - 1
    Model(tuple(NAMES[:n]), np.zeros(n), np.ones(n), np.zeros(n), 0.0, 0.5, {}).save(tmp_path / "m.json")
    with pytest.raises(CorruptFile, match="other features"):
        Model.load(tmp_path / "m.json")


def test_saved_and_loaded_is_the_same_model(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = len(NAMES)
    model = Model(NAMES, rng.normal(size=n), rng.uniform(0.5, 2, size=n), rng.normal(size=n), 0.3, 0.6, {"a": 1})
    model.save(tmp_path / "m.json")
    again = Model.load(tmp_path / "m.json")
    x = rng.normal(size=n)
    assert again.probability(x) == pytest.approx(model.probability(x))


def _hidden(rng: np.random.Generator, members: int = 3, units: int = 4) -> Hidden:
    n = len(NAMES)
    return Hidden(rng.normal(size=(n, members, units)), rng.normal(size=(members, units)),
                  rng.normal(size=(members, units)), rng.normal(size=members))


def test_a_model_with_hidden_layers_survives_saving(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n = len(NAMES)
    model = Model(NAMES, rng.normal(size=n), rng.uniform(0.5, 2, size=n), np.zeros(n), 0.0, 0.6, {},
                  hidden=_hidden(rng))
    model.save(tmp_path / "m.json")
    again = Model.load(tmp_path / "m.json")
    x = rng.normal(size=(5, n))
    assert again.probabilities(x) == pytest.approx(model.probabilities(x))
    assert again.probability(x[2]) == pytest.approx(model.probabilities(x)[2])


def test_the_networks_are_averaged() -> None:
    rng = np.random.default_rng(2)
    hidden = _hidden(rng)
    z = rng.normal(size=(1, len(NAMES)))
    alone = [Hidden(hidden.inner[:, k:k + 1], hidden.inner_bias[k:k + 1], hidden.out[k:k + 1],
                    hidden.out_bias[k:k + 1]).probabilities(z)[0] for k in range(3)]
    assert hidden.probabilities(z)[0] == pytest.approx(np.mean(alone))
    assert len(set(np.round(alone, 6))) == 3  # the members differ, so the mean is not any one of them


def test_a_hidden_layer_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = len(NAMES)
    hidden = _hidden(rng)
    broken = Hidden(hidden.inner[:-1], hidden.inner_bias, hidden.out, hidden.out_bias)  # a feature short
    Model(NAMES, np.zeros(n), np.ones(n), np.zeros(n), 0.0, 0.5, {}, hidden=broken).save(tmp_path / "m.json")
    with pytest.raises(CorruptFile, match="wrong shape"):
        Model.load(tmp_path / "m.json")


def _saved(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The committed model with `change` made to its body, under a checksum that matches."""
    body = json.loads(MODEL_FILE.read_text())["model"]
    change(body)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"sha256": digest, "model": body}))  # NaN and Infinity as JSON allows them
    return path


def _put(key: str, value: Any, inside: str | None = None) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        (body[inside] if inside else body)[key] = value
    return change


@pytest.mark.parametrize("change", [
    _put("hidden", "networks"), _put("inner", "abc", "hidden"), _put("out_bias", [float("nan")] * 5, "hidden"),
    _put("out_bias", [10 ** 400] * 5, "hidden"), _put("out", [[True] * 32] * 5, "hidden"),
    _put("inner_bias", [[0.0] * 32] * 4, "hidden"), _put("mean", ["0"] * len(NAMES)), _put("mean", [0.0] * 3),
    _put("scale", [None] * len(NAMES)), _put("bias", 10 ** 400), _put("threshold", "high"), _put("names", 5),
    _put("meta", [1]), _put("weights", [float("inf")] * len(NAMES)), _put("ranker", {"dense": "x"}),
])
def test_a_damaged_model_file_is_refused_whatever_the_damage(tmp_path: Path,
                                                              change: Callable[[dict[str, Any]], None]) -> None:
    with pytest.raises(CorruptFile):
        Model.load(_saved(tmp_path, change))


def _three() -> Evidence:
    texts = ["Up to 2,300 migrants are in Calais.", "The mayor spoke last week.", "It rained in Calais."]
    ranked = [_candidate(t, 1.0 - i / 10, i) for i, t in enumerate(texts)]
    return Evidence(Asked.of(parse("How many migrants are in Calais?")), ranked, Vocabulary.of(texts), 0,
                    Relatedness(FakeEmbedder()))


def test_of_equally_likely_passages_the_reranker_s_first_is_chosen() -> None:
    assert Model.neutral().choose(_three()) == (0, 0.5)


@pytest.mark.parametrize("networks", [False, True])
def test_the_likeliest_passage_is_chosen_where_it_stands(networks: bool) -> None:
    # A model that trusts a passage the further down the reranker put it: the third wins.
    n, at = len(NAMES), NAMES.index("rank")
    w = np.zeros(n)
    w[at] = 5.0
    inner = np.zeros((n, 1, 1))
    inner[at, 0, 0] = 5.0
    hidden = Hidden(inner, np.zeros((1, 1)), np.ones((1, 1)), np.zeros(1)) if networks else None
    model = Model(NAMES, np.zeros(n), np.ones(n), np.zeros(n) if networks else w, 0.0, 0.5, {}, hidden=hidden)
    evidence = _three()
    index, p = model.choose(evidence)
    assert index == 2 and p == pytest.approx(model.probability(evidence.at(2).vector())) and p > 0.5


def _candidate(text: str, score: float, position: int = 0) -> Candidate:
    sentence = StoredSentence(id=position, document_id="d", position=position, start=0, end=len(text), text=text)
    return Candidate(sentence=sentence, title="Calais", dense=0.5, lexical=1.0, score=score)


def _evidence(question: str, sentences: list[str], article: str) -> dict[str, float]:
    q = parse(question)
    ranked = [_candidate(s, 1.0 - i / 10, i) for i, s in enumerate(sentences)]
    return Evidence(Asked.of(q), ranked, Vocabulary.of([article]), 0, Relatedness(FakeEmbedder())).values()


def test_words_asked_about_that_the_article_lacks_are_counted() -> None:
    article = "Up to 2,300 migrants are in Calais. The mayor spoke last week."
    died = _evidence("How many migrants died in Calais?", ["Up to 2,300 migrants are in Calais."], article)
    there = _evidence("How many migrants are in Calais?", ["Up to 2,300 migrants are in Calais."], article)
    assert died["absent"] > 0 and died["absent_any"] == 1.0 and died["covered_here"] < 1.0
    assert there["absent"] == 0 and there["covered_here"] == 1.0
    assert there["explained"] == 1.0 and there["unexplained_max"] == 0.0
    assert died["explained"] < 1.0 and died["unexplained_max"] > 0.0


def test_the_margin_is_the_lead_over_the_runner_up() -> None:
    values = _evidence("Who spoke?", ["The mayor spoke.", "It rained."], "The mayor spoke. It rained.")
    assert values["margin"] == pytest.approx(0.1) and values["asks_person"] == 1.0
