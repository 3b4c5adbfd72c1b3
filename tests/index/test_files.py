"""The one-at-a-time lock that lets processes starting together share a one-time job."""

import fcntl
import os
import threading
from pathlib import Path

import pytest

from index.files import exclusive


def _taken_elsewhere(lock: Path) -> bool:
    """Whether another holder has the lock: a second open file asks without waiting."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_second_holder_waits_for_the_first(tmp_path: Path) -> None:
    lock, events = tmp_path / ".lock", []
    held, inside = threading.Event(), threading.Event()

    def second() -> None:
        held.wait(30)
        with exclusive(lock):
            inside.set()
            events.append("second in")

    other = threading.Thread(target=second)
    other.start()
    with exclusive(lock):
        held.set()
        assert _taken_elsewhere(lock)  # anyone else asking now is refused, so the second must wait
        assert not inside.is_set()
        events.append("first out")
    assert inside.wait(30)
    other.join(30)
    assert events == ["first out", "second in"]
    assert not _taken_elsewhere(lock)  # both released


def test_a_failed_job_releases_the_lock(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), exclusive(tmp_path / ".lock"):
        raise RuntimeError("export failed")
    assert not _taken_elsewhere(tmp_path / ".lock")  # not left held
