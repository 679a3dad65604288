"""One LightningModule for every architecture: loss, metrics, and the optimizer and schedule named in its arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics import MeanMetric
from torchvision.transforms import v2

from fer_torch.config_groups import (BatchMixingOptions, LossOptions, OptimizerOptions, SchedulerOptions, group,
                                     plain)
from fer_torch.errors import ConfigError
from fer_torch.lit.metrics import classification_metrics
from fer_torch.lit.optimizers import build_optimizer, check_optimizer
from fer_torch.lit.schedulers import build_schedulers, check_scheduler
from fer_torch.model_io.architecture import build_network, recorded_class_names, recorded_input_spec
from fer_torch.spec import InputSpec


class FERClassifier(pl.LightningModule):
    """Facial expression classifier around a registry model (``fer_torch.models.create_model``).

    Args:
        arch: registry name of the architecture (``fer_torch.models.list_models()``).
        num_classes: number of output classes (linked from the datamodule by the training CLI).
        pretrained: ``False``, a library weight name (``imagenet``, ``vggface2`` ...) or a local file.
        model_kwargs: extra architecture arguments (head type, dense layers ...).
        class_names: output class names, saved in the checkpoint (linked from the datamodule).
        input_spec: :meth:`InputSpec.to_dict` of the preprocessing, saved in the checkpoint (linked from the
            datamodule); None: the architecture's. Its ``channels`` are the network's input channels.
        loss: :class:`~fer_torch.config_groups.LossOptions` (``label_smoothing``, ``class_weights``).
        optimizer: :class:`~fer_torch.config_groups.OptimizerOptions` (``name``, ``lr``, ``weight_decay``,
            ``fused``, ``options``).
        scheduler: :class:`~fer_torch.config_groups.SchedulerOptions` (``name``, ``options``): ``none``,
            ``plateau`` (ReduceLROnPlateau; options ``monitor``, ``mode``, ``factor``, ``patience``, ``min_lr``,
            ``min_delta``, an absolute improvement as Keras' ``min_delta``), ``cosine`` (T_max =
            ``trainer.max_epochs``; ``eta_min``) or ``onecycle`` (total steps =
            ``trainer.estimated_stepping_batches``; ``pct_start``). ``none`` and ``plateau`` take ``time_decay``,
            Keras' optimizer ``decay`` (seed 003's SGD ``decay=1e-4``): the rate is divided by
            ``1 + time_decay * step`` after ``step`` optimizer steps.
        batch_mixing: :class:`~fer_torch.config_groups.BatchMixingOptions` (``mixup_alpha``, ``cutmix_alpha``).
        channels_last: run the model in channels-last memory format (faster convolutions on CPU/GPU); ``None``
            lets the training CLI choose it for the CPU (:func:`fer_torch.hardware.cpu_mode`), else off.
        compile_mode: ``None`` (eager) or a ``torch.compile`` mode (``default``, ``reduce-overhead``,
            ``max-autotune-no-cudagraphs`` ...) applied to the model in place at setup (checkpoint keys unchanged).

    Groups take their dataclass or a plain mapping of its fields; the checkpoint records them as plain dicts.
    Checkpoints written with the earlier flat arguments (``lr``, ``optimizer_options`` ...) load through
    :func:`fer_torch.model_io.architecture.migrated_hparams`.
    """

    def __init__(
        self,
        arch: str = "bn_cnn",
        num_classes: int = 7,
        pretrained: bool | str | None = False,
        model_kwargs: dict[str, Any] | None = None,
        class_names: list[str] | None = None,
        input_spec: dict[str, Any] | None = None,
        loss: LossOptions = LossOptions(),
        optimizer: OptimizerOptions = OptimizerOptions(),
        scheduler: SchedulerOptions = SchedulerOptions(),
        batch_mixing: BatchMixingOptions = BatchMixingOptions(),
        channels_last: bool | None = None,
        compile_mode: str | None = None,
    ) -> None:
        super().__init__()
        from fer_torch.models import model_input_spec  # deferred: the registry imports timm/torchvision

        loss_group = group(LossOptions, loss, "loss")
        optimizer_group = group(OptimizerOptions, optimizer, "optimizer")
        scheduler_group = group(SchedulerOptions, scheduler, "scheduler")
        mixing = group(BatchMixingOptions, batch_mixing, "batch_mixing")
        class_weights = loss_group.class_weights
        if class_names is not None and len(class_names) != num_classes:
            raise ConfigError(f"{len(class_names)} class names {list(class_names)} for num_classes={num_classes}")
        if isinstance(class_weights, (list, tuple)) and len(class_weights) != num_classes:
            raise ConfigError(f"class_weights has {len(class_weights)} values for {num_classes} classes")
        if isinstance(class_weights, str) and class_weights != "balanced":
            raise ConfigError(f"class_weights must be 'balanced', a list or null, got {class_weights!r}")
        check_optimizer(optimizer_group.name, optimizer_group.options)
        check_scheduler(scheduler_group.name, scheduler_group.options)
        spec = InputSpec.from_dict(input_spec) if input_spec is not None else model_input_spec(arch)
        # Plain types only (lists/dicts/str), so checkpoints load with torch.load(weights_only=True);
        # save_hyperparameters reads these normalized locals.
        class_names = list(class_names) if class_names is not None else None
        input_spec = spec.to_dict() if input_spec is not None else None
        loss, optimizer, scheduler = plain(loss_group), plain(optimizer_group), plain(scheduler_group)
        batch_mixing = plain(mixing)
        self.save_hyperparameters()
        self.model = build_network(self.hparams, pretrained=pretrained)
        self.register_buffer(
            "class_weight",
            torch.tensor(class_weights, dtype=torch.float32) if isinstance(class_weights, (list, tuple)) else None,
            persistent=False,
        )
        self.mixup = _batch_mixing(mixing.mixup_alpha, mixing.cutmix_alpha, num_classes)
        # One input of the trained size, so the model summary counts FLOPs (Lightning's ModelSummary).
        self.example_input_array = torch.zeros(1, spec.channels, *spec.image_size)
        # No argument checks or NaN scans per training step: each would wait for the GPU (a host sync).
        self.train_loss = MeanMetric(nan_strategy="disable")
        self.train_acc = classification_metrics(num_classes, "train/", validate_args=False)["acc"]
        self.val_metrics = classification_metrics(num_classes, "val/")
        self.test_metrics = classification_metrics(num_classes, "test/")
        # Set for the length of fit by fer_torch.callbacks.KnowledgeDistillation: (logits, x, loss) -> loss.
        self.distillation: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None

    @classmethod
    def load_from_checkpoint(cls, checkpoint_path: Any, *args: Any, **kwargs: Any) -> "FERClassifier":
        """Lightning's loader, with a checkpoint's earlier flat arguments migrated into their groups."""
        from fer_torch.model_io.architecture import migrated_hparams
        from fer_torch.safe_load import load_checkpoint

        recorded = load_checkpoint(checkpoint_path).get(cls.CHECKPOINT_HYPER_PARAMS_KEY) or {}
        migrated = {key: value for key, value in migrated_hparams(recorded).items() if recorded.get(key) != value}
        return super().load_from_checkpoint(checkpoint_path, *args, **{**migrated, **kwargs})

    # -- what inference needs -------------------------------------------------------------------------------
    @property
    def backbone(self) -> nn.Module:
        """The feature extractor (frozen in phase 1 of two-phase fine-tuning)."""
        return self.model.backbone

    @property
    def head(self) -> nn.Module:
        """The classifier head on top of :attr:`backbone`."""
        return self.model.head

    @property
    def class_names(self) -> tuple[str, ...]:
        """Output class names (index = logit index)."""
        return recorded_class_names(self.hparams)

    @property
    def input_spec(self) -> InputSpec:
        """Preprocessing the model was trained with (the architecture's defaults when none was recorded)."""
        return recorded_input_spec(self.hparams)

    # -- forward / loss ------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.hparams.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.model(x)

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        train_size = getattr(datamodule, "train_image_size", None)
        if stage == "fit" and train_size is not None and tuple(train_size) != tuple(self.input_spec.image_size):
            self._check_accepts(tuple(train_size))
        if self.hparams.loss["class_weights"] == "balanced" and self.class_weight is None:
            weights = getattr(datamodule, "class_weights", None)
            if weights is None:
                raise ConfigError("class_weights='balanced' needs a datamodule with class_weights")
            self.class_weight = torch.as_tensor(weights, dtype=torch.float32, device=self.device)
        if self.hparams.channels_last:
            self.model.to(memory_format=torch.channels_last)
        if self.hparams.compile_mode and not getattr(self, "_compiled", False):
            self.model.compile(mode=self.hparams.compile_mode)
            self._compiled = True

    def _check_accepts(self, size: tuple[int, int]) -> None:
        """:class:`ConfigError` unless the network takes ``size`` inputs as well as its input spec's size."""
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                self.model(torch.zeros(1, self.input_spec.channels, *size, device=self.device))
        except RuntimeError:
            height, width = self.input_spec.image_size
            raise ConfigError(
                f"{self.hparams.arch} takes {height}x{width} inputs only, and the training augmentation makes "
                f"{size[0]}x{size[1]} crops; use a network with global pooling (e.g. resnet_fer) or another preset"
            ) from None
        finally:
            self.model.train(was_training)

    def _loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # `target` is class indices, or MixUp's soft labels; cross_entropy takes both.
        return F.cross_entropy(
            logits, target, weight=self.class_weight, label_smoothing=self.hparams.loss["label_smoothing"]
        )

    def on_train_epoch_end(self) -> None:
        # Training metrics are accumulated by torchmetrics and logged once per epoch: a per-step self.log adds
        # Lightning bookkeeping to every step (measured in docs/benchmarks.md, "Figures from the code").
        self.log("train/loss", self.train_loss, prog_bar=True)
        self.log("train/acc", self.train_acc, prog_bar=True)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        target = y
        if self.mixup is not None:
            x, target = self.mixup(x, y)
        logits = self(x)
        loss = self._loss(logits, target)
        if self.distillation is not None:
            loss = self.distillation(logits, x, loss)
        # The weight is filled on the loss's device: a Python number would be copied from the host every step.
        self.train_loss.update(loss.detach(), weight=torch.full_like(loss.detach(), len(y)))
        self.train_acc.update(logits.detach(), y)
        return loss

    def _evaluate(self, batch: tuple[torch.Tensor, torch.Tensor], metrics, prefix: str) -> None:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, weight=self.class_weight)
        metrics.update(logits, y)
        self.log(f"{prefix}loss", loss, prog_bar=True, sync_dist=True, batch_size=len(y))
        self.log_dict(metrics, prog_bar=True, batch_size=len(y))

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, self.val_metrics, "val/")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._evaluate(batch, self.test_metrics, "test/")

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> torch.Tensor:
        """Softmax probabilities (N, num_classes) for a batch of images or (images, labels)."""
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        return torch.softmax(self(x), dim=1)

    # -- optimization --------------------------------------------------------------------------------------
    def param_groups(self) -> list[dict[str, Any]]:
        """Two groups, ``head`` and ``backbone``, holding every parameter (frozen or not).

        Keeping frozen parameters in the optimizer from the start means two-phase fine-tuning only flips
        ``requires_grad`` and the learning rate: no group is added mid-run (which breaks ReduceLROnPlateau,
        Lightning #12141, and DDP, #20340). Frozen parameters get no gradient, and torch optimizers skip
        parameters whose ``grad`` is None, so weight decay does not move them either.
        """
        backbone_ids = {id(p) for p in self.backbone.parameters()}
        backbone = [p for p in self.model.parameters() if id(p) in backbone_ids]
        head = [p for p in self.model.parameters() if id(p) not in backbone_ids]
        return [{"params": head, "name": "head"}, {"params": backbone, "name": "backbone"}]

    def configure_optimizers(self) -> dict[str, Any] | tuple[list, list]:
        opt, sched = self.hparams.optimizer, self.hparams.scheduler
        optimizer = build_optimizer(opt["name"], [g for g in self.param_groups() if g["params"]], lr=opt["lr"],
                                    weight_decay=opt["weight_decay"], fused=opt["fused"], options=opt["options"])
        # _trainer, not trainer: None rather than an error when built outside a fit.
        schedulers = build_schedulers(sched["name"], optimizer, self._trainer, sched["options"])
        if len(schedulers) > 1:
            return [optimizer], schedulers
        return {"optimizer": optimizer, **({"lr_scheduler": schedulers[0]} if schedulers else {})}


def _batch_mixing(mixup_alpha: float, cutmix_alpha: float, num_classes: int) -> nn.Module | None:
    """MixUp, CutMix, a per-batch choice of the two, or None; torchvision's v2 batch transforms (any device)."""
    mixers = [cls(alpha=alpha, num_classes=num_classes)
              for cls, alpha in ((v2.MixUp, mixup_alpha), (v2.CutMix, cutmix_alpha)) if alpha > 0]
    if not mixers:
        return None
    return mixers[0] if len(mixers) == 1 else v2.RandomChoice(mixers)

