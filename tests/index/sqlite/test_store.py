"""The SQLite store: the storage contract (tests/index/contract.py), then what only SQLite does:
one generation read per lock, the sealed file and its checksum, several processes on one file."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.errors import CorruptFile
from index.protocols import Storage
from index.sqlite.store import SqliteStore
from tests.index.contract import Opener, StorageContract
from tests.index.contract import make_doc as _doc


class TestSQLiteStore(StorageContract):
    @pytest.fixture
    def open_store(self, tmp_path: Path) -> Iterator[Opener]:
        """Opens (or re-opens) the store in `tmp_path`; everything opened is closed afterwards."""
        opened: list[Storage] = []

        def _open() -> Storage:
            opened.append(SqliteStore(tmp_path / "db.sqlite3"))
            return opened[-1]

        yield _open
        for store in opened:
            store.close()


def test_a_write_of_nothing_leaves_the_generation(tmp_path: Path) -> None:
    # Every other process reloads its index when the generation moves (issue 26).
    store = SqliteStore(tmp_path / "db.sqlite3")
    store.put_document(*_doc("a", ["One."]))
    generation = store.generation()
    assert store.put_documents([]) == [] and store.generation() == generation
    store.close()


def test_the_generation_is_read_once_while_the_lock_is_held(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    store.put_document(*_doc("a", ["One."]))
    behind_its_back = "UPDATE meta SET value = ? WHERE key = 'generation'"
    with store.lock:
        pinned = store.generation()
        store.connection.execute(behind_its_back, ("50",))  # as another process would write
        assert store.generation() == pinned
        store.put_document(*_doc("b", ["Two."]))  # a write of its own shows at once
        assert store.generation() == 51
    store.connection.execute(behind_its_back, ("70",))
    assert store.generation() == 70  # the lock released, the next read sees the other writer
    store.close()


def test_vectors_survive_reopen(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    store.put_document(*_doc("a", ["One.", "Two."]))
    store.close()
    reopened = SqliteStore(tmp_path / "db.sqlite3")
    batches = list(reopened.iter_vectors(4))
    assert sum(len(ids) for ids, _ in batches) == 2


def test_garbage_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorruptFile):
        SqliteStore(path)


def test_a_clean_close_seals_the_file_and_a_changed_byte_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = SqliteStore(path)
    store.put_document(*_doc("a", ["One sentence here.", "Another one."]))
    store.close()
    seal = path.with_name("db.sqlite3.sha256")
    assert seal.exists()
    SqliteStore(path).close()  # verified, then sealed again
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit, anywhere: SQLite's own quick check may not notice
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFile, match="checksum"):
        SqliteStore(path)
    path.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(CorruptFile):
        SqliteStore(path)


def test_only_the_last_process_to_close_seals(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first, second = SqliteStore(path), SqliteStore(path)
    first.put_document(*_doc("a", ["One."]))
    first.close()
    assert not path.with_name("db.sqlite3.sha256").exists()  # the second still writes
    second.put_document(*_doc("b", ["Two."]))
    second.close()
    assert path.with_name("db.sqlite3.sha256").exists()
    again = SqliteStore(path)
    assert again.count_documents() == 2
    again.close()


def test_an_unreadable_seal_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    SqliteStore(path).close()
    path.with_name("db.sqlite3.sha256").write_text("{not json")
    with pytest.raises(CorruptFile, match="unreadable"):
        SqliteStore(path)
