"""A question in, an answer or an abstention out, in stages:

1. `understanding.understand`: the question understood once (`spelling`, `conversation`,
   `question`: its kind, terms, words, names) into one `Understood`;
2. `pipeline.Answerer.judge`: candidates from both rankers (`retrieval`), their ranking
   (`reranking`), the decision to answer, show the closest passage or abstain (`answerability`,
   with `relatedness` for words the passage says differently), and the passages a reader sees
   (`passages`, `highlight`); `byline` answers "who wrote this?" from the page's metadata;
   `cache` keeps answers to questions that follow no earlier turn.

Owns the learned decision (`answerability.json`). Imports `index/` and `qa.errors` / `qa.abandon`
only: settings reach it as arguments.
"""
