"""The one-time ONNX export runs in a child process; a failed one leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embedders.export import temporary
from index.embedders.onnx import export_targets, exported
from index.errors import EmbedderUnavailable


@pytest.mark.slow  # a real export attempt in a child process
def test_a_failed_export_removes_its_temporary_files_and_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")  # a model folder the exporter cannot read
    cache = tmp_path / "cache"
    cache.mkdir()
    targets = export_targets(folder, cache)
    for target in targets:  # half-written files of an earlier run that was killed
        temporary(target).write_bytes(b"\0" * (1 << 20))
    with pytest.raises(EmbedderUnavailable, match="exporting the model to ONNX failed") as failure:
        exported(folder, cache, quantize=True)
    assert str(cache / "export.log") in str(failure.value)
    assert sorted(p.name for p in cache.iterdir()) == [".export.lock", "export.log"]
    assert not any(temporary(t).exists() or t.exists() for t in targets)
