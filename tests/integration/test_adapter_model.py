"""The shipped encoder adapter with the real model: it is what the service embeds with, it moves
readers' paraphrases towards their sentences, and word vectors do not depend on their batch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.embedders.base import Embedder, exact
from index.embedders.loader import load_embedder
from qa.ingest.segmentation import Segmenter
from qa.service import QAService
from qa.settings import Settings
from qa.startup import ADAPTER_FILE
from tests.conftest import ROOT

pytestmark = pytest.mark.model
ARTICLE = (ROOT / "tests" / "data" / "bridge_reopens.txt").read_text()
# Typed as readers type, in other words than the article's (question, a phrase of its sentence).
PARAPHRASES = [
    ("how much did fixing it cost", "7 million euros"),
    ("why did they shut it", "found cracks"),
    ("who opened it", "Mayor Tomas Berg"),
    ("how old is the bridge", "built in 1911"),
    ("did shops lose money", "cost them customers"),
    ("how often will it be checked", "every six months"),
    ("what held up the work", "Work stopped twice"),
    ("was the bakery hit", "takings fell"),
]


@pytest.fixture(scope="module")
def encoders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Embedder, Embedder]]:
    cache = tmp_path_factory.mktemp("models")
    model = Settings().model
    yield load_embedder("onnx-int8", model, 1, cache), load_embedder("onnx-int8", model, 1, cache, ADAPTER_FILE)


def _right_first(embedder: Embedder) -> int:
    sentences = [s.text for s in Segmenter().split(ARTICLE)]
    vectors = embedder.encode(sentences)
    firsts = [sentences[int(np.argmax(vectors @ embedder.encode([q])[0]))] for q, _ in PARAPHRASES]
    return sum(phrase in first for first, (_, phrase) in zip(firsts, PARAPHRASES, strict=True))


def test_the_adapted_encoder_finds_paraphrased_answers_at_least_as_often(encoders: tuple[Embedder, Embedder]) -> None:
    plain, adapted = encoders
    assert adapted.name != plain.name  # stored vectors of one are never mixed with the other's
    assert _right_first(adapted) >= _right_first(plain)
    same = (plain.encode(["who opened the bridge"]) * adapted.encode(["who opened the bridge"])).sum()
    assert 0.5 < same < 0.999  # a change to the model, not another model


def test_the_service_embeds_with_the_shipped_adapter(tmp_path: Path) -> None:
    service = QAService.open(Settings(data_dir=tmp_path, seeds_dir=tmp_path / "none"))
    try:
        assert len(service.embedder.name.split("+")) == 3  # model, adapter fingerprint, int8pc
        plain = QAService.open(Settings(data_dir=tmp_path / "plain", seeds_dir=tmp_path / "none",
                                        encoder_adapter="none"))
        assert plain.embedder.name == f"{Settings().model}+int8pc"
        plain.close()
    finally:
        service.close()


def test_word_vectors_do_not_depend_on_their_batch(encoders: tuple[Embedder, Embedder]) -> None:
    words = exact(encoders[1])
    alone = words.encode(["bridge"])[0]
    batched = words.encode(["bridge", "a much longer phrase that pads the batch", "x"])[0]
    np.testing.assert_allclose(alone, batched, atol=1e-5)
