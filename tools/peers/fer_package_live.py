"""The `fer` package (pip ``fer``: OpenCV Haar + its Keras emotion model) over a video, as its README runs it: one
``FER().detect_emotions(frame)`` per frame. Prints one JSON line: frames, seconds, frames/s, and per frame the boxes
and top labels it found (fer-torch's ``benchmark.py live --fer-python`` compares them with its own live path).

Run with a scratch virtualenv's python (TensorFlow is never a fer-torch dependency; see tools/peers/README.md)::

    /tmp/tfvenv/bin/python tools/peers/fer_package_live.py clip.mp4 --frames 150 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=1, help="timed passes over the frames; the best is kept")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import cv2
    import fer
    from fer import FER

    capture = cv2.VideoCapture(args.video)
    frames = []
    while len(frames) < args.frames:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    detector = FER(mtcnn=False)
    detector.detect_emotions(frames[0])  # loads and traces the model
    best, found = float("inf"), []
    for _ in range(max(1, args.repeats)):
        start = time.perf_counter()
        found = [detector.detect_emotions(frame) for frame in frames]
        best = min(best, time.perf_counter() - start)
    faces = [[{"box": [int(v) for v in face["box"]], "label": max(face["emotions"], key=face["emotions"].get)}
              for face in frame_faces] for frame_faces in found]
    print(json.dumps({"package": "fer", "version": getattr(fer, "__version__", "?"), "frames": len(frames),
                      "seconds": round(best, 3), "frames_per_s": round(len(frames) / best, 2), "faces": faces}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
