"""Insight rows written off the path of an answer: `/ask` puts a row in a queue (no I/O, no lock
held by anything slow) and a thread of its own wakes once a second to write what has gathered, in
one transaction. A thread that woke for every question took a quarter of a millisecond from an
answer served from the cache (bench/insights.py): once a second, recording costs an answer nothing
measurable (docs/insights.md), and a crash loses at most the last second of rows."""

from __future__ import annotations

import logging
import queue
import threading
import time

from index.insights import Insight, Verdict
from index.protocols import InsightStore

log = logging.getLogger("qa.insights.recording")
MAX_PENDING = 10_000  # rows waiting while the storage is slow or down; past it new rows are dropped
BATCH = 500  # rows per transaction
INTERVAL = 1.0  # seconds between writes
_STOP = object()
Item = Insight | Verdict | threading.Event | object


class Recorder:
    def __init__(self, store: InsightStore, keep: int, retention_seconds: float) -> None:
        self._store, self._keep, self._retention = store, keep, retention_seconds
        self._queue: queue.Queue[Item] = queue.Queue(MAX_PENDING)
        self._wake = threading.Event()  # set by flush and close: write now, not at the next second
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="qa-insights", daemon=True)
        self._thread.start()

    def put(self, item: Insight | Verdict) -> None:
        """Never waits: were the storage down long enough to fill the queue, the row is dropped
        (and counted) rather than the reader kept waiting."""
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("insights: %d rows dropped so far (the storage is not keeping up)", self.dropped)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything put so far is written (or given up on): a report that follows
        reads every question asked before it."""
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except queue.Full:
            return
        self._wake.set()
        done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            log.warning("insights: closing with rows still queued; they are not recorded")
            return
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait(INTERVAL)
            self._wake.clear()
            batch = self._drain()
            for start in range(0, len(batch), BATCH):
                self._write(batch[start:start + BATCH])
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if _STOP in batch:
                return

    def _drain(self) -> list[Item]:
        """Everything queued so far, up to the first stop."""
        batch: list[Item] = []
        while not batch or batch[-1] is not _STOP:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, items: list[Item]) -> None:
        rows = [i for i in items if isinstance(i, Insight)]
        verdicts = [i for i in items if isinstance(i, Verdict)]
        if not rows and not verdicts:
            return
        try:
            self._store.write_insights(rows, verdicts, self._keep, time.time() - self._retention)
        except Exception as exc:  # the thread must outlive a bad moment of the storage: the next batch may pass
            log.warning("insights: %d rows and %d verdicts not recorded: %s", len(rows), len(verdicts), exc)
