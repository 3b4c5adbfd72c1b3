from index.cache import Memo


def test_memo_keeps_values_for_one_generation() -> None:
    memo: Memo[str, int] = Memo(max_items=10)
    memo.at(1)["a"] = 1
    assert memo.at(1) == {"a": 1}
    assert memo.at(2) == {}  # a write happened: nothing remembered survives it
    memo.at(2)["b"] = 2
    assert memo.at(2) == {"b": 2}


def test_memo_empties_itself_when_it_outgrows_its_bound() -> None:
    memo: Memo[int, int] = Memo(max_items=3)
    memo.at(1).update({i: i for i in range(4)})
    assert memo.at(1) == {}


def test_get_reads_once_per_generation() -> None:
    memo: Memo[str, int] = Memo(max_items=10)
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    assert (memo.get(1, "a", read), memo.get(1, "a", read)) == (1, 1)
    assert memo.get(2, "a", read) == 2  # a new generation reads again
