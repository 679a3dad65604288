"""build_transform / preprocess_batch: shapes, dtypes, filter order, presets and config errors."""

from __future__ import annotations

import albumentations as A
import cv2
import numpy as np
import pytest
import torch

from fer_torch.data.filters import FILTERS
from fer_torch.data.augmentation_presets import PRESETS, output_size
from fer_torch.data.transforms import AUGMENTATION_PRESETS, build_transform, preprocess_batch
from fer_torch.errors import ConfigError, DataError
from fer_torch.spec import PREPROCESSING_FILTERS, InputSpec

SIZES = [(48, 48), (43, 72), (160, 160), (197, 197), (224, 224)]


def _face(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A smooth uint8 test image with edges (so filters have something to change)."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    base = 100 + 60 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + rng.normal(0, 8, (h, w))
    base[h // 3 : h // 2, w // 4 : 3 * w // 4] = 30  # a dark "mouth" bar: a hard edge
    gray = np.clip(base, 0, 255).astype(np.uint8)
    if len(shape) == 3:
        return np.stack([gray, np.roll(gray, 3, axis=1), 255 - gray], axis=-1)
    return gray


INPUTS = {"gray48": _face((48, 48)), "gray_nonsquare": _face((37, 53)), "rgb_nonsquare": _face((60, 50, 3))}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("augment", [None, "standard"])
def test_shapes_and_dtypes(size, channels, augment):
    transform = build_transform(InputSpec(image_size=size, channels=channels), augment)
    for name, image in INPUTS.items():
        out = transform(image=image)["image"]
        assert isinstance(out, torch.Tensor), name
        assert out.dtype == torch.float32, name
        assert tuple(out.shape) == (channels, *size), name


def test_normalization_maps_0_and_255_to_minus_one_and_one():
    transform = build_transform(InputSpec(mean=(0.5,), std=(0.5,)))
    assert torch.all(transform(image=np.zeros((48, 48), np.uint8))["image"] == -1.0)
    assert torch.all(transform(image=np.full((48, 48), 255, np.uint8))["image"] == 1.0)


def test_imagenet_normalization_per_channel():
    spec = InputSpec(channels=3, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    out = build_transform(spec)(image=np.full((48, 48), 255, np.uint8))["image"]
    expected = (1.0 - torch.tensor(spec.mean)) / torch.tensor(spec.std)
    torch.testing.assert_close(out[:, 0, 0], expected)


def test_gray_to_three_channels_replicates():
    out = build_transform(InputSpec(channels=3))(image=INPUTS["gray48"])["image"]
    assert torch.equal(out[0], out[1]) and torch.equal(out[1], out[2])


def test_rgb_to_one_channel_is_luma():
    rgb = INPUTS["rgb_nonsquare"]
    out = build_transform(InputSpec(image_size=(60, 50)))(image=rgb)["image"]
    expected = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0 * 2 - 1
    torch.testing.assert_close(out[0], torch.from_numpy(expected), atol=1e-6, rtol=0)


def test_filter_names_match_input_spec():
    assert set(FILTERS) == set(PREPROCESSING_FILTERS)


def _manual(image: np.ndarray, size: tuple[int, int], ops: list) -> torch.Tensor:
    return A.Compose([*ops, A.Normalize(mean=(0.5,), std=(0.5,)), A.pytorch.ToTensorV2()])(image=image)["image"]


@pytest.mark.parametrize("name", sorted(FILTERS))
@pytest.mark.parametrize("image_key", ["gray48", "rgb_nonsquare"])
def test_filters_run_at_native_resolution_before_resize(name, image_key):
    image = INPUTS[image_key]
    size = (96, 96)
    filtered = build_transform(InputSpec(image_size=size, preprocessing=(name,)))(image=image)["image"]
    plain = build_transform(InputSpec(image_size=size))(image=image)["image"]
    assert not torch.equal(filtered, plain), "the filter changed nothing"

    resize = A.Resize(*size, interpolation=cv2.INTER_LINEAR, area_for_downscale="image")
    to_gray = build_transform(InputSpec(image_size=size)).transforms[-3]  # the channel conversion
    before = _manual(image, size, [FILTERS[name](), resize, to_gray])
    after = _manual(image, size, [resize, FILTERS[name](), to_gray])
    torch.testing.assert_close(filtered, before)
    assert not torch.allclose(filtered, after, atol=1e-3), "filtering after the resize gives the same image"


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_filters_are_deterministic(name):
    transform = build_transform(InputSpec(preprocessing=(name,)))
    image = INPUTS["gray48"]
    assert torch.equal(transform(image=image)["image"], transform(image=image)["image"])


def test_filters_chain_in_the_given_order():
    image = INPUTS["gray48"]
    ab = build_transform(InputSpec(preprocessing=("unsharp_mask", "hist_eq")))(image=image)["image"]
    ba = build_transform(InputSpec(preprocessing=("hist_eq", "unsharp_mask")))(image=image)["image"]
    assert not torch.equal(ab, ba)


@pytest.mark.parametrize("preset", sorted(AUGMENTATION_PRESETS))
@pytest.mark.parametrize("size", [(48, 48), (43, 72)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_presets_keep_the_output_shape(preset, size):
    transform = build_transform(InputSpec(image_size=size, channels=3), preset)
    expected = (3, *output_size(PRESETS[preset], size))  # the input size, but for a `window` preset's windows
    for image in INPUTS.values():
        for _ in range(3):
            assert tuple(transform(image=image)["image"].shape) == expected


def test_none_preset_equals_the_eval_path():
    image = INPUTS["gray_nonsquare"]
    spec = InputSpec(preprocessing=("clahe",))
    assert torch.equal(build_transform(spec, "none")(image=image)["image"], build_transform(spec)(image=image)["image"])


def test_flip_preset_mirrors_about_half_the_time():
    spec = InputSpec()
    image = INPUTS["gray48"]
    plain = build_transform(spec)(image=image)["image"]
    transform = build_transform(spec, "flip")
    transform.set_random_seed(0)
    outs = [transform(image=image)["image"] for _ in range(40)]
    mirrored = sum(torch.equal(o, plain.flip(-1)) for o in outs)
    unchanged = sum(torch.equal(o, plain) for o in outs)
    assert mirrored + unchanged == 40 and 5 < mirrored < 35


def test_augmentation_from_a_list_of_dicts():
    spec = InputSpec(image_size=(43, 72))
    image = INPUTS["gray_nonsquare"]
    flip = build_transform(spec, [{"name": "HorizontalFlip", "p": 1.0}])
    torch.testing.assert_close(flip(image=image)["image"], build_transform(spec)(image=image)["image"].flip(-1))
    # a size-dependent transform without a size gets the spec's output size
    config = [{"name": "RandomResizedCrop", "scale": [0.5, 1.0]}, {"name": "CoarseDropout", "p": 1.0}]
    crop = build_transform(spec, config)
    assert tuple(crop(image=image)["image"].shape) == (1, 43, 72)
    assert isinstance(crop.transforms[1], A.RandomResizedCrop) and tuple(crop.transforms[1].size) == (43, 72)


@pytest.mark.parametrize(
    ("augment", "message"),
    [
        ("wild", "unknown augmentation preset 'wild'; did you mean 'window'? choose from none, flip, standard, strong, crop_flip, random_crop, window, webcam, webcam_strong, webcam_zoom"),
        ([{"name": "NoSuchTransform"}], "unknown albumentations transform 'NoSuchTransform'"),
        ([{"name": "Compose"}], "unknown albumentations transform 'Compose'"),
        ([{"p": 0.5}], "augmentation entries must be dicts with a 'name'"),
        (["HorizontalFlip"], "augmentation entries must be dicts with a 'name'"),
        ([{"name": "HorizontalFlip", "bogus": 1}],
         "bad arguments for HorizontalFlip: Argument(s) 'bogus' are not valid"),
        ([{"name": "Affine", "rotate": "lots"}], "bad arguments for Affine:"),
        ({"name": "HorizontalFlip"}, "augment must be a preset name or a list of dicts, got dict"),
    ],
)
def test_bad_augmentation_config_is_a_config_error(augment, message):
    with pytest.raises(ConfigError) as info:
        build_transform(InputSpec(), augment)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_preprocess_batch_equals_the_per_image_eval_transform():
    spec = InputSpec(image_size=(43, 72), channels=3, preprocessing=("hist_eq", "unsharp_mask"))
    images = list(INPUTS.values())
    batch = preprocess_batch(images, spec)
    transform = build_transform(spec, None)
    assert batch.shape == (3, 3, 43, 72) and batch.dtype == torch.float32
    assert torch.equal(batch, torch.stack([transform(image=im)["image"] for im in images]))


def test_preprocess_batch_accepts_an_array_and_empty_input():
    stack = np.stack([INPUTS["gray48"], 255 - INPUTS["gray48"]])
    assert preprocess_batch(stack, InputSpec()).shape == (2, 1, 48, 48)
    assert preprocess_batch([], InputSpec(image_size=(160, 160), channels=3)).shape == (0, 3, 160, 160)


def test_preprocess_batch_refuses_float_images():
    with pytest.raises(DataError, match="preprocess_batch expects uint8 images; image 1 is float32"):
        preprocess_batch([INPUTS["gray48"], INPUTS["gray48"].astype(np.float32)], InputSpec())
