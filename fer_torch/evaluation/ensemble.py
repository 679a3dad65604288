"""Combine several models' class probabilities; pick an ensemble greedily on a validation split."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from fer_torch.errors import CheckpointError, ConfigError
from fer_torch.labels import canonical_names, remap_table

from fer_torch.choices import VOTES  # noqa: E402  (listed by tools without torch)
from fer_torch.suggest import unknown_name


def align_columns(probs: torch.Tensor, source: Sequence[str], target: Sequence[str], what: str = "model") -> torch.Tensor:
    """Reorder the class columns of ``probs`` from ``source`` class names to ``target`` ones (equal sets)."""
    if set(canonical_names(source)) != set(canonical_names(target)):
        raise CheckpointError(f"{what} classes {list(source)} differ from {list(target)}")
    order = remap_table(target, source)  # column of source for each target class
    return probs[:, order]


def combine_probabilities(probs: Sequence[torch.Tensor], weights: Sequence[float] | None = None,
                          vote: str = "mean") -> tuple[torch.Tensor, torch.Tensor]:
    """Ensemble scores and predicted classes from per-model probabilities (each ``(N, K)``, same class order).

    ``mean``: the (weighted) average of the probabilities. ``majority``: the (weighted) share of models voting
    for each class; a tie goes to the tied class with the highest mean probability.
    """
    if not probs:
        raise ConfigError("an ensemble needs at least one model")
    if vote not in VOTES:
        raise ConfigError(unknown_name("vote", vote, VOTES))
    w = torch.ones(len(probs)) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
    if w.numel() != len(probs) or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(f"need {len(probs)} non-negative weights with a positive sum, got {list(map(float, w))}")
    w = w / w.sum()
    stacked = torch.stack([p.float() for p in probs])  # (M, N, K)
    mean = torch.einsum("m,mnk->nk", w, stacked)
    if vote == "mean":
        return mean, mean.argmax(dim=1)
    onehot = torch.nn.functional.one_hot(stacked.argmax(dim=2), stacked.shape[2]).float()
    share = torch.einsum("m,mnk->nk", w, onehot)
    tied = torch.isclose(share, share.max(dim=1, keepdim=True).values)
    return share, mean.masked_fill(~tied, -1.0).argmax(dim=1)


def greedy_select(probs_by_model: Mapping[str, torch.Tensor], targets: torch.Tensor) -> tuple[list[str], float]:
    """Forward selection: repeatedly add the model that most raises the mean-ensemble accuracy; stop when none does.

    Returns the chosen model names in the order they were added and the accuracy of their ensemble.
    Ties keep the earlier model in ``probs_by_model`` order.
    """
    if not probs_by_model:
        raise ConfigError("no models to select from")
    targets = torch.as_tensor(targets, dtype=torch.long)

    def accuracy(names: list[str]) -> float:
        _, pred = combine_probabilities([probs_by_model[n] for n in names])
        return float((pred == targets).double().mean())

    chosen: list[str] = []
    best = float("-inf")
    while len(chosen) < len(probs_by_model):
        candidates = [(accuracy(chosen + [n]), n) for n in probs_by_model if n not in chosen]
        score, name = max(candidates, key=lambda c: c[0])  # max keeps the first of equal scores
        if score <= best:
            break
        chosen.append(name)
        best = score
    return chosen, best
