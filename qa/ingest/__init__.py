"""A document in: `extraction` (HTML), `commonmark` (Markdown) and `cleaning` give clean text and a
title; `segmentation` splits it into sentences with exact offsets; `identifiers` names it;
`ingestion` prepares one document's rows; `suggestions` finds questions it plainly answers;
`worker` prepares a large one in a niced child process; `bulk` and `archive` stream many.

Owns the recipe by which text becomes stored sentences (`ingestion.RECIPE`). Imports `index/` and
`qa.errors` / `qa.urls` only; what it writes through is described by `bulk.Target`.
"""
