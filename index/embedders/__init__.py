"""Sentence embedders: the interface, the ONNX encoder, its export from the PyTorch model, batching."""
