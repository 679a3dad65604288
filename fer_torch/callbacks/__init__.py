"""Lightning callbacks of fer-torch."""

from fer_torch.callbacks.best_checkpoint import BestCheckpoint
from fer_torch.callbacks.distillation import KnowledgeDistillation
from fer_torch.callbacks.early_stopping import BestWeightsEarlyStopping
from fer_torch.callbacks.finetuning import TwoPhaseFinetuning
from fer_torch.callbacks.graceful_stop import GracefulStop
from fer_torch.callbacks.seeding import EpochReseeding

__all__ = [
    "BestCheckpoint", "BestWeightsEarlyStopping", "EpochReseeding", "GracefulStop", "KnowledgeDistillation",
    "TwoPhaseFinetuning",
]
