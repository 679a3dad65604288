"""The model-file layer: every trained-model format read into the plain network (or an onnxruntime session)
with its class names and input spec, below inference, export and training."""
