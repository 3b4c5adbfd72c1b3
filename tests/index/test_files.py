"""The one-at-a-time lock that lets processes starting together share a one-time job."""

import threading
import time
from pathlib import Path

import pytest

from index.files import exclusive


def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    lock, events = tmp_path / ".lock", []
    held = threading.Event()

    def second() -> None:
        held.wait(5)
        with exclusive(lock):
            events.append("second in")

    other = threading.Thread(target=second)
    other.start()
    with exclusive(lock):
        held.set()
        time.sleep(0.2)  # the other thread is blocked meanwhile
        events.append("first out")
    other.join(5)
    assert events == ["first out", "second in"]


def test_a_failed_job_releases_the_lock(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), exclusive(tmp_path / ".lock"):
        raise RuntimeError("export failed")
    with exclusive(tmp_path / ".lock"):  # not left held
        pass
