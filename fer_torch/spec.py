"""The input specification a model was trained with; it travels inside every checkpoint.

Training, evaluation and live inference all build their preprocessing from an :class:`InputSpec`
through :func:`fer_torch.data.transforms.build_transform`, so the three paths cannot drift apart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fer_torch.errors import ConfigError

PREPROCESSING_FILTERS = ("unsharp_mask", "hist_eq", "clahe")
REGIONS = ("face", "mouth")


@dataclass(frozen=True)
class InputSpec:
    """What a model expects: size ``(height, width)``, channels, normalization, filters, region.

    ``preprocessing`` names filters applied to the uint8 image at native resolution, before resizing.
    ``region`` says which crop the model reads: the whole ``face`` or the ``mouth`` (seed 000).
    """

    image_size: tuple[int, int] = (48, 48)
    channels: int = 1
    mean: tuple[float, ...] = (0.5,)
    std: tuple[float, ...] = (0.5,)
    preprocessing: tuple[str, ...] = field(default_factory=tuple)
    region: str = "face"

    def __post_init__(self) -> None:
        size = tuple(int(s) for s in self.image_size)
        if len(size) != 2 or min(size) < 8:
            raise ConfigError(f"image_size must be (height, width) of at least 8 px, got {self.image_size!r}")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels!r}")
        mean, std = tuple(float(m) for m in self.mean), tuple(float(s) for s in self.std)
        if len(mean) == 1:
            mean = mean * self.channels
        if len(std) == 1:
            std = std * self.channels
        if len(mean) != self.channels or len(std) != self.channels:
            raise ConfigError(f"mean/std need 1 or {self.channels} values, got {self.mean!r}/{self.std!r}")
        unknown = [p for p in self.preprocessing if p not in PREPROCESSING_FILTERS]
        if unknown:
            raise ConfigError(f"unknown preprocessing {unknown}; choose from {', '.join(PREPROCESSING_FILTERS)}")
        if self.region not in REGIONS:
            raise ConfigError(f"region must be one of {REGIONS}, got {self.region!r}")
        object.__setattr__(self, "image_size", size)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)
        object.__setattr__(self, "preprocessing", tuple(self.preprocessing))

    def to_dict(self) -> dict[str, Any]:
        """Plain-typed dict (lists, not tuples) safe for checkpoints loaded with ``weights_only=True``."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def override(self, **fields: Any) -> "InputSpec":
        """This spec with the ``fields`` given (not None) replaced: a config's changes to an architecture's default.

        A new ``channels`` without ``mean``/``std`` keeps a normalization shared by every channel (0.5);
        per-channel values (ImageNet's) then need ``mean`` and ``std`` for the new count too.
        """
        given = {k: v for k, v in fields.items() if v is not None}
        channels = given.get("channels", self.channels)
        for key in ("mean", "std"):
            values = getattr(self, key)
            if channels == self.channels or key in given:
                continue
            if len(set(values)) > 1:
                raise ConfigError(f"{key} {list(values)} is per channel for {self.channels} channels; "
                                  f"give {key} for {channels} channel(s) too")
            given[key] = values[:1]  # one value: InputSpec repeats it over the new channel count
        return InputSpec.from_dict({**self.to_dict(), **given})

    @classmethod
    def from_dict(cls, d: dict[str, Any] | "InputSpec") -> "InputSpec":
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        if isinstance(d, InputSpec):
            return d
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown input spec keys: {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
