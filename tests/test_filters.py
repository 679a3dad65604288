"""The unsharp mask reproduces PIL's ``ImageFilter.UnsharpMask()`` (seed 003's filter) on test images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter
from skimage.data import astronaut, camera

from fer_torch.data.filters import build_filters
from fer_torch.fixtures.synthetic_images import make_synthetic_samples


def pil(image: np.ndarray, image_filter) -> np.ndarray:
    return np.asarray(Image.fromarray(image).filter(image_filter))


def grey_level_gap(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


TEST_IMAGES = {
    "camera 512x512": camera(),
    "camera 48x48 face-sized crop": camera()[80:128, 200:248].copy(),
    "synthetic 48x48 face": make_synthetic_samples(1, seed=3).images[0],
    "noise 37x61": np.random.default_rng(0).integers(0, 256, (37, 61), dtype=np.uint8),
}


@pytest.mark.parametrize("name", list(TEST_IMAGES))
def test_unsharp_mask_matches_pil_default(name):
    image = TEST_IMAGES[name]
    ours = build_filters(["unsharp_mask"])[0](image=image)["image"]
    assert ours.dtype == np.uint8 and ours.shape == image.shape and ours.flags.writeable
    assert grey_level_gap(ours, pil(image.copy(), ImageFilter.UnsharpMask())) <= 1
    assert grey_level_gap(ours, image) > 1  # it does sharpen


def test_unsharp_mask_rgb_and_non_contiguous_input_like_pil():
    image = astronaut()[100:164, 150:214]  # a view: not C-contiguous
    ours = build_filters(["unsharp_mask"])[0](image=image)["image"]
    assert grey_level_gap(ours, pil(image.copy(), ImageFilter.UnsharpMask())) <= 1
