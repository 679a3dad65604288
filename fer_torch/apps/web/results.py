"""JSON shapes of predictions: what ``/api/predict`` and ``/api/frame`` return."""

from __future__ import annotations

from collections.abc import Sequence

from fer_torch.inference.predictor import FaceResult


def face_json(face: FaceResult, scale: float = 1.0) -> dict:
    """``{"box": {x, y, w, h}, "label", "score", "probabilities": {class: p}}`` (+ ``face_id`` when tracked); the
    box is multiplied by ``scale`` (a face found on a downscaled frame, answered in the frame's own pixels)."""
    x, y, w, h = (int(round(v * scale)) for v in face.box)
    result = {"box": {"x": x, "y": y, "w": w, "h": h}, "label": face.label, "score": round(face.score, 4),
              "probabilities": {name: round(p, 4) for name, p in face.probability_dict().items()}}
    if face.face_id is not None:
        result["face_id"] = int(face.face_id)
    return result


def faces_json(faces: Sequence[FaceResult], width: int, height: int, milliseconds: float,
               scale: float = 1.0) -> dict:
    """A frame's answer: its size, the server-side time it took and one entry per face (boxes times ``scale``)."""
    return {"width": int(width), "height": int(height), "server_ms": round(milliseconds, 2),
            "faces": [face_json(face, scale) for face in faces]}
