"""The model-file layer: every trained-model format read into memory on the CPU (the plain network, a TorchScript
module or an ONNX graph's bytes) with its class names and input spec, below inference, export and training."""
