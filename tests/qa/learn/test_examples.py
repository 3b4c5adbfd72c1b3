"""Training questions become labelled examples as the service would read and rank them."""

import random
from pathlib import Path

import numpy as np

from index.embedders.base import FakeEmbedder
from qa.answer.answerability import Model
from qa.learn import examples
from qa.service import QAService
from qa.settings import Settings


def test_reader_typing_keeps_the_question_recognisable() -> None:
    typed = examples.as_reader("What did Britain's minister say?", random.Random(1))
    assert typed == typed.lower() and "'" not in typed and not typed.endswith("?")



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
    service = QAService.open(settings, FakeEmbedder(), decision=Model.neutral())
    try:
        service.put(DocumentInput(text=READER_ARTICLE, id="tram", title="Tram"))
        turns = {text: previous for text, _, _, previous in examples.reader_turns(service, READER_QUESTIONS)}
        assert turns["how much is it going to cost"] is None and turns["what did the mayor say"] is None
        before = turns["who pays?"]
        assert before is not None and before.question == "how much is it going to cost"
        assert before.sentence_index == 2 and before.answer_text == READER_QUESTIONS[0]["sentence"]
        kinds = [e.kind for e in examples.reader_examples(service, READER_QUESTIONS)]
        assert kinds.count("reader-unanswerable") == 3 and kinds.count("reader") == 9  # three passages each
        ranked = list(examples.ranked_examples(service, READER_QUESTIONS))
        assert ranked and all(r.features.shape == (len(r.right), len(examples.RANKER_FEATURES)) for r in ranked)
    finally:
        service.close()


def test_each_example_carries_the_label_of_the_passage_whose_features_it_holds(tmp_path: Path) -> None:
    from qa.answer.answerability import NAMES
    from qa.ingest.ingestion import DocumentInput

    # A decision that trusts a passage the further down the reranker put it: it shows the third first.
    n = len(NAMES)
    weights = np.zeros(n)
    weights[NAMES.index("rank")] = 5.0
    picky = Model(NAMES, np.zeros(n), np.ones(n), weights, 0.0, 0.5, {})
    settings = Settings(data_dir=tmp_path / "d", seeds_dir=tmp_path / "none", embedder="fake", answer_cache_size=0)
    service = QAService.open(settings, FakeEmbedder(), decision=picky)
    try:
        service.put(DocumentInput(text=READER_ARTICLE, id="tram", title="Tram"))
        asked = READER_QUESTIONS[2]
        made = list(examples.reader_examples(service, [asked]))
        judged = examples._judged(service, str(asked["question"]), "tram", None)
        assert judged.evidence is not None and judged.passages[0].text == judged.evidence.ranked[2].sentence.text
        for example, candidate in zip(made, judged.evidence.ranked, strict=False):
            assert example.features[NAMES.index("rank")] == judged.evidence.ranked.index(candidate)
            assert example.right == ("14 minutes" in candidate.sentence.text)
        assert sum(e.right for e in made) == 1
    finally:
        service.close()
