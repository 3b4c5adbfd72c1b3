"""Every suggested question of an article, asked of the service with the real model, is answered:
a suggestion that ends in "I couldn't find that" would be worse than none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa.ingest.ingestion import read_file
from qa.service import QAService
from qa.settings import Settings
from tests.conftest import ROOT, SEED_ID, SEEDS

pytestmark = pytest.mark.model
ARTICLES = [SEED_ID, "bridge_reopens"]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QAService]:
    service = QAService.open(Settings(data_dir=tmp_path_factory.mktemp("suggest"), seeds_dir=SEEDS))
    service.put(read_file(ROOT / "tests" / "data" / "bridge_reopens.txt"))
    yield service
    service.close()


@pytest.mark.parametrize("document_id", ARTICLES)
def test_every_suggestion_is_answered_from_its_article(real: QAService, document_id: str) -> None:
    suggestions = real.get(document_id).suggestions
    assert 2 <= len(suggestions) <= 3, suggestions
    for question in suggestions:
        result = real.ask(question, document_id)
        assert result.answer is not None, f"{question!r} abstained ({result.abstention})"
        assert result.answer.document_id == document_id


def test_suggestions_of_all_articles_are_answered_when_asked_of_all(real: QAService) -> None:
    for document_id in ARTICLES:
        for question in real.get(document_id).suggestions:
            result = real.ask(question)
            assert result.answer is not None and result.answer.document_id == document_id, question
