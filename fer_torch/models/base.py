"""FERNet: every architecture is a backbone (feature extractor) followed by a head (classifier)."""

from __future__ import annotations

from torch import Tensor, nn

from fer_torch.errors import ModelError


class FERNet(nn.Module):
    """``forward(x) = head(backbone(x))``.

    Freezing works on :meth:`backbone_layers`: the backbone's layers in forward order. A backbone may
    define ``backbone_layers()`` returning them (VGG does, with Keras names); otherwise they are its children,
    with ``nn.Sequential`` children expanded one level into blocks (timm ``layer3.0``, facenet
    ``repeat_2.4``) and ``nn.Identity`` left out.
    """

    def __init__(self, backbone: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.backbone(x))

    def backbone_layers(self) -> list[tuple[str, nn.Module]]:
        """Ordered ``(name, module)`` layers of the backbone, the units "freeze the first N layers" counts."""
        if hasattr(self.backbone, "backbone_layers"):
            return list(self.backbone.backbone_layers())
        layers = []
        for name, child in self.backbone.named_children():
            if isinstance(child, nn.Identity):
                continue
            if isinstance(child, nn.Sequential):
                layers.extend((f"{name}.{sub}", block) for sub, block in child.named_children())
            else:
                layers.append((name, child))
        return layers

    def layer_index(self, layer: int | str) -> int:
        """Index into :meth:`backbone_layers` of ``layer``: an int N, or a name (``"layer4"`` is its first block)."""
        layers = self.backbone_layers()
        if isinstance(layer, int) and not isinstance(layer, bool):
            if not 0 <= layer <= len(layers):
                raise ModelError(f"layer count {layer} is out of range: the backbone has {len(layers)} layers")
            return layer
        for i, (name, _) in enumerate(layers):
            if name == layer or name.startswith(f"{layer}."):
                return i
        raise ModelError(f"no backbone layer named {layer!r}; layers: {', '.join(n for n, _ in layers)}")

    def freeze_backbone_layers(self, layer: int | str) -> None:
        """Freeze the first N backbone layers, or every layer before the named one (``requires_grad=False``)."""
        for _, module in self.backbone_layers()[: self.layer_index(layer)]:
            module.requires_grad_(False)

    def backbone_layers_from(self, layer: int | str) -> list[tuple[str, nn.Module]]:
        """The backbone layers from ``layer`` on (after the first N, or from the named one): phase 2's unfrozen part."""
        return self.backbone_layers()[self.layer_index(layer) :]
