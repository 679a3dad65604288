"""Two-phase fine-tuning (seed 003): train the head on a frozen backbone, then unfreeze with a small LR."""

from __future__ import annotations

from typing import Any, Literal

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BaseFinetuning, EarlyStopping
from pytorch_lightning.strategies import DDPStrategy
from pytorch_lightning.utilities import rank_zero_info
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau

from fer_torch.errors import ConfigError
from fer_torch.lightning_compat import enable_ddp_find_unused_parameters, refresh_last_lr

_NEVER = 10**9  # patience of an EarlyStopping that must not fire during phase 1


class TwoPhaseFinetuning(BaseFinetuning):
    """Phase 1 trains the head on a frozen backbone; phase 2 unfreezes (part of) the backbone.

    Every parameter stays in the optimizer from the start (see :meth:`FERClassifier.param_groups`): the
    switch only sets ``requires_grad`` and the learning rate, so ReduceLROnPlateau and DDP keep working.

    Args:
        unfreeze_at_epoch: first epoch of phase 2 (``None``: only on plateau, or never).
        unfreeze_on_plateau: also switch once ``monitor`` has not improved for ``patience`` epochs.
        monitor, mode, patience, min_delta: the plateau test (validated each epoch): Lightning's
            :class:`EarlyStopping` improvement test on ``monitor``, its stop meaning "switch" here.
        unfreeze_from: ``None`` unfreezes the whole backbone; ``N`` every backbone layer after the first
            ``N`` of ``model.backbone_layers()``; a layer name unfreezes from that layer on.
        train_bn: keep BatchNorm layers trainable in phase 1 (seed 003 does).
        phase2_lr: learning rate of every parameter group in phase 2 (``None`` keeps the current one).
        phase2_early_stopping_patience: patience of early stopping in phase 2 (an existing
            :class:`EarlyStopping` is reconfigured, otherwise one on ``monitor`` is added); ``None`` leaves it.
    """

    def __init__(
        self,
        unfreeze_at_epoch: int | None = 10,
        unfreeze_on_plateau: bool = False,
        monitor: str = "val/acc",
        mode: Literal["min", "max"] = "max",
        patience: int = 10,
        min_delta: float = 0.0,
        unfreeze_from: int | str | None = None,
        train_bn: bool = True,
        phase2_lr: float | None = 1e-4,
        phase2_early_stopping_patience: int | None = 20,
    ) -> None:
        super().__init__()
        if unfreeze_at_epoch is not None and unfreeze_at_epoch < 0:
            raise ConfigError(f"unfreeze_at_epoch must be >= 0, got {unfreeze_at_epoch}")
        self.unfreeze_at_epoch = unfreeze_at_epoch
        self.unfreeze_on_plateau = unfreeze_on_plateau
        self.monitor, self.mode, self.patience, self.min_delta = monitor, mode, patience, min_delta
        # Its improvement test (monitor_op, signed min_delta) and its best/wait state; never a trainer callback.
        self._plateau = EarlyStopping(monitor=monitor, mode=mode, patience=patience, min_delta=min_delta)
        self.unfreeze_from = unfreeze_from
        self.train_bn = train_bn
        self.phase2_lr = phase2_lr
        self.phase2_early_stopping_patience = phase2_early_stopping_patience
        self.phase = 1
        self.switch_epoch: int | None = None
        self._plateau_pending = False
        self._unfrozen = False  # in this process (a resumed phase-2 run unfreezes again)

    @property
    def ever_unfreezes(self) -> bool:
        """Whether a phase 2 is configured at all (seed 000 trains frozen models only)."""
        return self.unfreeze_at_epoch is not None or self.unfreeze_on_plateau

    # -- which modules --------------------------------------------------------------------------------------
    def phase2_modules(self, pl_module: pl.LightningModule) -> list[nn.Module]:
        """The backbone modules phase 2 unfreezes."""
        if self.unfreeze_from is None:
            return [pl_module.backbone]
        return [module for _, module in pl_module.model.backbone_layers_from(self.unfreeze_from)]

    def freeze_before_training(self, pl_module: pl.LightningModule) -> None:
        self.freeze(pl_module.backbone, train_bn=self.train_bn)

    def unfreeze_phase2(self, pl_module: pl.LightningModule) -> None:
        """Make the phase-2 modules trainable (BatchNorm included)."""
        self.make_trainable(self.phase2_modules(pl_module))

    # -- Lightning hooks ------------------------------------------------------------------------------------
    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if isinstance(trainer.strategy, DDPStrategy):
            # DDP only reduces parameters that require grad when it wraps the model, so freezing must wait
            # until after wrapping (on_fit_start), and the frozen ones must be allowed to go without grads.
            if enable_ddp_find_unused_parameters(trainer.strategy):
                rank_zero_info("TwoPhaseFinetuning: enabling DDP find_unused_parameters for the frozen backbone")
        else:
            super().setup(trainer, pl_module, stage)
        if self.phase2_early_stopping_patience is not None and stage == "fit" and self.ever_unfreezes:
            if not any(isinstance(cb, EarlyStopping) for cb in trainer.callbacks):
                # Added now (not at the switch) so its state is checkpointed and restored on resume.
                trainer.callbacks.append(EarlyStopping(monitor=self.monitor, mode=self.mode, patience=_NEVER))

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if isinstance(trainer.strategy, DDPStrategy):
            self.freeze_before_training(pl_module)
        super().on_fit_start(trainer, pl_module)

    def finetune_function(self, pl_module: pl.LightningModule, epoch: int, optimizer: Optimizer) -> None:
        trainer = pl_module.trainer
        if self.phase == 2 and not self._unfrozen:  # resumed in phase 2: optimizer/LR state come from the ckpt
            self.unfreeze_phase2(pl_module)
            self._unfrozen = True
            return
        at_epoch = self.unfreeze_at_epoch is not None and epoch >= self.unfreeze_at_epoch
        if self.phase == 1 and (at_epoch or self._plateau_pending):
            self._switch(trainer, pl_module, optimizer, epoch)

    def _switch(self, trainer: pl.Trainer, pl_module: pl.LightningModule, optimizer: Optimizer, epoch: int) -> None:
        self.unfreeze_phase2(pl_module)
        self.phase, self.switch_epoch, self._unfrozen = 2, epoch, True
        if self.phase2_lr is not None:
            for group in optimizer.param_groups:
                group["lr"] = self.phase2_lr
            for config in trainer.lr_scheduler_configs:
                scheduler = config.scheduler
                if isinstance(scheduler, ReduceLROnPlateau):
                    # Same groups, so min_lrs still fits; restart its plateau count for the new phase.
                    scheduler.best = scheduler.mode_worse
                    scheduler.num_bad_epochs = scheduler.cooldown_counter = 0
                    refresh_last_lr(scheduler)  # get_last_lr() says the phase-2 LR before the next step
                elif hasattr(scheduler, "base_lrs"):
                    scheduler.base_lrs = [self.phase2_lr] * len(optimizer.param_groups)
        if self.phase2_early_stopping_patience is not None:
            for callback in trainer.callbacks:
                if isinstance(callback, EarlyStopping):
                    # Like the seed's second model.fit(): a fresh early-stopping run with its own patience.
                    callback.patience = self.phase2_early_stopping_patience
                    callback.wait_count = 0
                    callback.best_score = torch.tensor(torch.inf if callback.mode == "min" else -torch.inf)
        trainable = sum(p.numel() for p in pl_module.parameters() if p.requires_grad)
        rank_zero_info(
            f"TwoPhaseFinetuning: phase 2 from epoch {epoch}: {trainable:,} trainable parameters, "
            f"lr {[g['lr'] for g in optimizer.param_groups]}"
        )

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not self.unfreeze_on_plateau or self.phase != 1:
            return
        current = trainer.callback_metrics.get(self.monitor)
        if current is None:
            return
        plateau, current = self._plateau, current.detach().cpu().squeeze()
        if plateau.monitor_op(current - plateau.min_delta, plateau.best_score):
            plateau.best_score, plateau.wait_count = current, 0
        else:
            plateau.wait_count += 1
            self._plateau_pending = plateau.wait_count >= plateau.patience

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pl_module.log("finetune/phase", float(self.phase), on_epoch=True, on_step=False)

    # -- checkpointing --------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        best = self._plateau.best_score
        state.update(phase=self.phase, switch_epoch=self.switch_epoch,
                     best=float(best) if torch.isfinite(best) else None, wait=self._plateau.wait_count,
                     plateau_pending=self._plateau_pending)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.phase = state_dict.get("phase", 1)
        self.switch_epoch = state_dict.get("switch_epoch")
        best = state_dict.get("best")
        if best is not None:
            self._plateau.best_score = torch.tensor(best)
        self._plateau.wait_count = state_dict.get("wait", 0)
        self._plateau_pending = state_dict.get("plateau_pending", False)
