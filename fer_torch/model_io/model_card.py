"""A model file's card: the ``README.md`` beside it, whose YAML front matter names the file and its measured
accuracy (the form Hugging Face model cards use), e.g.::

    ---
    model_file: fer_default.safetensors
    accuracy: 0.6890
    evaluated_on: FER2013 val (PublicTest), 3,589 images
    ---
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

CARD_NAME = "README.md"


@dataclass(frozen=True)
class ModelCard:
    """What a card says of one model file: its accuracy (0-1) and what it was measured on."""

    accuracy: float
    evaluated_on: str


def front_matter(text: str) -> dict:
    """The YAML mapping between a leading ``---`` line and the next one (empty when there is none)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
    if end is None:
        return {}
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def read_model_card(model_path: str | Path | None) -> ModelCard | None:
    """The card of ``model_path`` (its folder's ``README.md`` naming it in ``model_file``), or ``None`` when there
    is none or it records no accuracy."""
    if model_path is None:
        return None
    card = Path(model_path).with_name(CARD_NAME)
    try:
        data = front_matter(card.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    accuracy = data.get("accuracy")
    if data.get("model_file") != Path(model_path).name or not isinstance(accuracy, (int, float)):
        return None
    return ModelCard(float(accuracy), str(data.get("evaluated_on", "")))
