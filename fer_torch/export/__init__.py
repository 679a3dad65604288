"""Deployable models: slim safetensors weights, ONNX and TorchScript writers, and an export that keeps a file only
when it agrees with the PyTorch model.

The files are read back by :func:`fer_torch.model_io.model_file.read_model_file` (the layer below), and run by the
engine :func:`fer_torch.inference.classifier.build_backend` builds for them, as every model file is.
"""
