"""Lightning side of fer-torch: the classifier module and checkpoint loading."""

from fer_torch.lit.checkpoint import load_classifier

__all__ = ["FERClassifier", "load_classifier"]


def __getattr__(name: str):
    # FERClassifier imports the model registry (timm, torchvision): load it only when asked for.
    if name == "FERClassifier":
        from fer_torch.lit.classifier import FERClassifier

        return FERClassifier
    raise AttributeError(name)
