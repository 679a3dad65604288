"""Deployable models: slim safetensors weights, ONNX and TorchScript writers, and the one model-file reader.

:func:`fer_torch.export.model_file.read_model_file` opens any of them (and Lightning checkpoints) without
unpickling arbitrary objects; :class:`fer_torch.inference.classifier.LoadedClassifier` runs what it returns.
"""
