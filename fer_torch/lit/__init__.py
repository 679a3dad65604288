"""Lightning side of fer-torch: the classifier module and loading it back from a model file."""

from fer_torch.lit.checkpoint import load_lightning_module

__all__ = ["FERClassifier", "load_lightning_module"]


def __getattr__(name: str):
    # FERClassifier imports the model registry (timm, torchvision): load it only when asked for.
    if name == "FERClassifier":
        from fer_torch.lit.classifier import FERClassifier

        return FERClassifier
    raise AttributeError(name)
