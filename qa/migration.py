"""`qa migrate`: copy an embedded deployment (SQLite + FAISS) into another backend, PostgreSQL.

Stored vectors are copied as they are, so nothing is embedded again; documents already in the
target with the same content are skipped, so an interrupted migration can simply be run again.
Documents go in the order their sentences were written, so the copies' sentence ids keep the
source's order, and so do rankings that tie (the same answers on either backend, issue #23).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.feedback import Feedback
from index.protocols import Exporting, Storage
from index.types import DocumentInfo
from qa.errors import BadInput

FEEDBACK_LIMIT = 1_000_000


@dataclass(frozen=True)
class MigrationReport:
    copied: int
    unchanged: int
    feedback: int
    revectored: int = 0  # unchanged documents whose vectors were copied again (stored inexactly before)


def migrate(source: Exporting, open_target: Callable[[int], Storage],
            progress: Callable[[str], None] = lambda _: None) -> MigrationReport:
    """`open_target(dim)` opens the target for vectors of `dim` dimensions, known once the
    first document is read."""
    documents = in_written_order(source)
    model = source.get_meta("vector_model")
    if not documents:
        raise BadInput("the source holds no documents: nothing to migrate")
    first, vectors = source.export_document(documents[0].id)
    target = open_target(int(vectors.shape[1]))
    try:
        _check_model(target, model)
        copied = unchanged = revectored = 0
        for doc in documents:
            if target.has_document(doc.id) and target.get_document(doc.id).checksum == doc.checksum:
                unchanged += 1
                revectored += _copy_vectors(source, target, doc.id)
                continue
            new, vectors = (first, vectors) if doc.id == first.id else source.export_document(doc.id)
            target.put_document(new, vectors)
            copied += 1
            progress(doc.id)
        _copy_meta(source, target, model)
        return MigrationReport(copied, unchanged, _copy_feedback(source, target), revectored)
    finally:
        target.close()


def in_written_order(source: Storage) -> list[DocumentInfo]:
    """The source's documents by their first sentence id, the order their sentences were written."""
    return sorted(source.list_documents(), key=lambda d: min(source.sentence_ids(d.id), default=0))


def _copy_vectors(source: Storage, target: Storage, document_id: str) -> bool:
    """Copy a document's vectors again where the target's differ from the source's (PostgreSQL kept
    seven digits of each number before this release: slightly other scores); whether it did."""
    vectors = source.embedded(document_id)[1]
    if np.array_equal(target.embedded(document_id)[1], vectors):
        return False
    target.replace_vectors([s.id for s in target.document_sentences(document_id)], vectors)
    return True


def _check_model(target: Storage, model: str | None) -> None:
    current = target.get_meta("vector_model")
    if current is not None and model is not None and current != model and target.count_sentences():
        raise BadInput(f"the target holds vectors of {current!r}, the source of {model!r}")


def _copy_meta(source: Exporting, target: Storage, model: str | None) -> None:
    if model is not None:
        target.set_meta("vector_model", model)
    recipe = source.get_meta("ingest_recipe")
    if recipe is not None:  # the copies were prepared under it: the target must not prepare them again
        target.set_meta("ingest_recipe", recipe)
    if source.get_meta("seeded"):
        target.set_meta("seeded", "1")  # a seed deleted in the source stays deleted


def _copy_feedback(source: Exporting, target: Storage) -> int:
    # Only into a target without feedback, so that running the migration twice copies it once.
    if target.recent_feedback(1):
        return 0
    rows = source.recent_feedback(FEEDBACK_LIMIT)[::-1]  # oldest first keeps the order
    for r in rows:
        target.add_feedback(Feedback(helpful=r["helpful"], conversation_id=r["conversation_id"],
                                     question=r["question"], answer=r["answer"], document_id=r["document_id"],
                                     comment=r["comment"]))
    return len(rows)
