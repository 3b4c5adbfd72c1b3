"""What the answer path learns from data, offline: `examples` asks training questions of a scratch
service and labels its passages; `training` fits the answer-or-abstain decision (`qa train`) and
the reranker's weights (`fit_ranker`, used by `bench/readers.py --fit-ranker`); `adaptation` fits
the encoder adapter on readers' questions (`qa train-encoder`); `commands` runs both verbs.

Drives a `QAService`, so it may import anything in `qa/`; only the CLI imports it.
"""
