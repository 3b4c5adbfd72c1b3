"""The one-time conversion of a sentence-transformers model to ONNX (and int8), run in a child
process by index/embedders/onnx.py: it needs PyTorch, which would otherwise stay in the server's
memory for good (~500 MB), and it prints pages of tracer and quantiser notes that an operator has
no use for (they go to a log file next to the export, read when it fails).

    python -m index.embedders.export MODEL_FOLDER FP32_TARGET [INT8_TARGET]

Each target is written under a temporary name and renamed when complete; exit status 0 on success.
"""

from __future__ import annotations

import sys
from pathlib import Path

from index.files import fsync_dir

INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp")


def export(folder: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel

    class Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
            out = self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)
            hidden: torch.Tensor = out.last_hidden_state
            return hidden

    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    sample = torch.ones((1, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*INPUTS, "hidden"]}
    tmp = temporary(target)
    with torch.no_grad():
        torch.onnx.export(Encoder(model), (sample, sample, torch.zeros_like(sample)), str(tmp),
                          input_names=INPUTS, output_names=["hidden"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    tmp.replace(target)  # only a complete export ever carries the real name
    fsync_dir(target.parent)


def quantize(fp32: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = temporary(target)
    # Per-channel scales: vectors closer to fp32's than one scale per tensor gives, at the same
    # speed (docs/decisions.md).
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    tmp.replace(target)
    fsync_dir(target.parent)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    folder, fp32 = Path(argv[0]), Path(argv[1])
    if not fp32.exists():
        export(folder, fp32)
    if len(argv) == 3:
        quantize(fp32, Path(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
