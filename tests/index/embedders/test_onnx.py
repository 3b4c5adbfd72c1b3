from index.embedders.onnx import TOKEN_BUDGET, _batches


def test_batches_keep_order_and_bound_padded_tokens() -> None:
    lengths = [10, 12, 20, 200, 300, 15, 16, 40]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches = _batches(order, lengths, batch_size=3)
    assert [i for b in batches for i in b] == order  # every text once, shortest first
    assert all(len(b) <= 3 and len(b) * max(lengths[i] for i in b) <= max(TOKEN_BUDGET, lengths[b[0]])
               for b in batches)
    assert _batches(order, [5] * len(lengths), batch_size=32) == [order]  # short texts: one batch
