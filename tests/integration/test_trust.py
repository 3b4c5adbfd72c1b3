"""The answer-or-abstain decision with the real model, on questions typed as readers type them.
Properties, not the model's exact outputs: what must be abstained on, what must be found."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qa.service import QAService
from qa.settings import Settings
from tests.conftest import SEED_ID, SEEDS

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QAService]:
    service = QAService.open(Settings(data_dir=tmp_path_factory.mktemp("trust"), seeds_dir=SEEDS))
    yield service
    service.close()


@pytest.mark.parametrize("question", [
    # What the article does not say, asked with its own words around the missing one.
    "how many migrants died trying to cross", "who is the french president", "what is the population of calais",
    "what did the police chief say",
])
def test_no_false_answer_is_quoted_from_the_article(real: QAService, question: str) -> None:
    result = real.ask(question, SEED_ID)
    assert result.answer is None
    assert all(p.highlight is None for p in result.passages)


@pytest.mark.parametrize("question,read,found", [
    ("whats brokenshires job", "what is Brokenshire's job", "Brokenshire"),
    ("wat did the mayor say", "what did the mayor say", "Natacha Bouchart"),
    ("why does france want british officals in calais", "British officials in Calais", "to deter"),
])
def test_reader_spelling_finds_the_sentence(real: QAService, question: str, read: str, found: str) -> None:
    result = real.ask(question, SEED_ID)
    assert read in result.question  # read as the article writes it
    assert found in result.passages[0].text


def test_an_answer_carries_its_confidence_and_only_it_a_highlight(real: QAService) -> None:
    # A question well clear of the threshold (about 0.9): one near it may go either way.
    result = real.ask("What did the mayor of Calais say?", SEED_ID, top_k=3)
    assert result.answer is not None and result.answer.confidence is not None
    assert result.answer.confidence >= real.answerer.threshold
    start, end = result.answer.highlight or (0, 0)
    assert result.answer.text[start:end].startswith('"because it')
    assert all(p.highlight is None for p in result.passages[1:])
