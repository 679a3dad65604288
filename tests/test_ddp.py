"""DDP on 2 CPU processes (ddp_spawn): two-phase fine-tuning keeps the replicas identical; the checkpoint loads."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback, ModelCheckpoint

from fer_torch.callbacks import TwoPhaseFinetuning
from fer_torch.data.datamodule import FERDataModule
from fer_torch.lit import load_lightning_module
from fer_torch.lit.classifier import FERClassifier

pytestmark = pytest.mark.slow


class ReplicaDump(Callback):
    """Each rank saves its final weights, so the test can compare the replicas."""

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir

    def on_train_end(self, trainer, pl_module) -> None:
        state = {k: v.detach().cpu().clone() for k, v in pl_module.model.state_dict().items()}
        torch.save(state, Path(self.out_dir) / f"rank{trainer.global_rank}.pt")


def test_two_phase_ddp_spawn_on_two_cpu_processes(fer_folder, tmp_path):
    pl.seed_everything(0, verbose=False)
    dm = FERDataModule(str(fer_folder), classes=["happy", "sad", "surprise"], train_augment=None, batch_size=4,
                       input_spec={"image_size": (43, 72), "mean": (0.0,), "std": (1.0,)},
                       dataloader={"num_workers": 0})
    model = FERClassifier("mouth_cnn", num_classes=3, class_names=list(dm.class_names),
                          input_spec=dm.input_spec.to_dict(), optimizer={"lr": 0.01})
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", filename="last")  # the latest epoch
    trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp_spawn", max_epochs=2, logger=False,
                         enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[TwoPhaseFinetuning(unfreeze_at_epoch=1, train_bn=False, phase2_lr=0.01,
                                                       phase2_early_stopping_patience=None),
                                    ReplicaDump(str(tmp_path)), checkpoint])
    trainer.fit(model, datamodule=dm)
    rank0, rank1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    initial = FERClassifier("mouth_cnn", num_classes=3).model  # different init: only used for key names
    assert rank0.keys() == rank1.keys() == initial.state_dict().keys()
    for key in rank0:
        # Gradients of the backbone unfrozen in phase 2 were all-reduced: replicas did not drift apart.
        assert torch.equal(rank0[key], rank1[key]), key
    loaded = load_lightning_module(tmp_path / "ckpt" / "last.ckpt")
    assert loaded.class_names == ("happy", "sad", "surprise")
    for key, value in loaded.model.state_dict().items():
        assert torch.equal(value, rank0[key]), key
    finetune_state = next(v for k, v in torch.load(tmp_path / "ckpt" / "last.ckpt", weights_only=True)["callbacks"].items()
                          if "TwoPhaseFinetuning" in k)
    assert finetune_state["phase"] == 2 and finetune_state["switch_epoch"] == 1
