from index.memo import Memo


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
