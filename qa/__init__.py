"""Question answering over news articles, between the HTTP layer (`api/`) and storage (`index/`).

Three paths, one subpackage each, and the service shell around them at this level:

- `qa.ingest`: a document in (extraction, cleaning, sentences, suggested questions, bulk archives);
- `qa.answer`: a question in, an answer or an abstention out (`understanding`, then the stages of
  `pipeline.Answerer`);
- `qa.learn`: the decision, the reranker's weights and the encoder adapter, learned from data;
- `qa.insights`: what readers asked and were shown, for editors.

The shell: `service` (the one object `api/` and the CLI call), `startup` (opening its parts,
seeding), `settings`, `errors`, `cli`, `server`, `migration`, and the request-level helpers
`abandon`, `framing`, `readiness`, `urls`. Imports go from the shell into the subpackages, never
back: `ingest`, `answer` and `insights` import only `index/` and the shell's small leaf modules
(`errors`, `abandon`, `urls`); `insights` also reads `answer.passages`; `learn` drives a service,
so it may import everything in `qa/`, and nothing imports it but the CLI.
"""
