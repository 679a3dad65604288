"""Lightning callbacks of fer-torch."""

from fer_torch.callbacks.finetuning import TwoPhaseFinetuning

__all__ = ["TwoPhaseFinetuning"]
