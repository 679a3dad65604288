"""Model registry and architectures: shapes, exact parameter counts, freezing."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from fer_torch.errors import ModelError
from fer_torch.models import FERNet, create_model, list_models, model_input_spec, register_model
from fer_torch.models.registry import MODELS
from fer_torch.models.heads import MLPHead
from fer_torch.models.pretrained import adapt_first_conv


def trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def bn_statistics(model: nn.Module) -> int:
    """BatchNorm moving mean + variance: what Keras lists as non-trainable parameters."""
    return sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var")))


def frozen_backbone_trainable(model: FERNet) -> int:
    model.backbone.requires_grad_(False)
    return trainable(model)


@pytest.mark.parametrize("name", list_models())
def test_forward_backward_at_default_input(name):
    torch.manual_seed(0)
    spec = model_input_spec(name)
    model = create_model(name, num_classes=3, in_chans=spec.channels)
    x = torch.randn(2, spec.channels, *spec.image_size)
    out = model(x)
    assert out.shape == (2, 3)
    out.logsumexp(1).mean().backward()
    first = next(p for p in model.backbone.parameters())
    assert first.grad is not None and first.grad.abs().sum() > 0
    assert model.head.out.weight.grad is not None


@pytest.mark.parametrize(
    "name, num_classes, kwargs, expected_trainable, expected_bn_stats",
    [
        ("mouth_cnn", 3, {}, 4_731, 0),
        ("mouth_cnn", 3, {"dense_layers": 3, "hidden": (64, 32)}, 2_232 + 48 * 64 + 64 + 64 * 32 + 32 + 32 * 3 + 3, 0),
        ("plain_cnn", 7, {}, 861_767, 0),
        ("plain_cnn", 5, {}, 860_741, 0),
        ("bn_cnn", 7, {}, 4_474_759, 3_968),
        ("bn_cnn_two_conv", 7, {}, 9_985_287, 2_176),  # seed 002 model A
        ("bn_cnn_avg_pool", 7, {}, 4_474_759, 3_968),  # seed 002 model B
        ("five_layer_cnn", 7, {}, 11_075_847, 896),
    ],
)
def test_seed_parameter_counts(name, num_classes, kwargs, expected_trainable, expected_bn_stats):
    model = create_model(name, num_classes, **kwargs)
    assert trainable(model) == expected_trainable
    assert bn_statistics(model) == expected_bn_stats


@pytest.mark.parametrize("arch", ["vgg16", "vgg19"])
@pytest.mark.parametrize("head, expected", [("replace_last", 12_291), ("gap_mlp", 66_051)])
def test_vgg_seed000_trainable_with_frozen_backbone(arch, head, expected):
    model = create_model(arch, 3, in_chans=3, head=head)
    assert frozen_backbone_trainable(model) == expected


def test_vgg_mlp_head_is_seed003s():
    model = create_model("vgg16", 7, head="mlp")
    linears = [m for m in model.head if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(512, 4096), (4096, 1024), (1024, 7)]
    assert [m.p for m in model.head if isinstance(m, nn.Dropout)] == [0.3, 0.3, 0.3]


@pytest.mark.parametrize("name", ["resnet50", "seresnet50", "inception_resnet_v1"])
def test_seed003_dense_heads(name):
    model = create_model(name, 7)
    linears = [m for m in model.head if isinstance(m, nn.Linear)]
    assert [m.out_features for m in linears] == [4096, 1024, 7]
    rate = 0.3 if name == "inception_resnet_v1" else 0.5
    assert [m.p for m in model.head if isinstance(m, nn.Dropout)] == [rate] * 3


def test_timm_backbones_accept_small_inputs():
    model = create_model("resnet50", 7).eval()
    with torch.inference_mode():
        assert model(torch.randn(1, 1, 32, 32)).shape == (1, 7)


def test_vgg_backbone_layers_count_like_keras():
    names16 = [n for n, _ in create_model("vgg16", 3, head="replace_last").backbone_layers()]
    assert names16[:3] == ["block1_conv1", "block1_conv2", "block1_pool"]
    assert names16[17:] == ["block5_pool", "avgpool", "fc1", "fc2"]
    names19 = [n for n, _ in create_model("vgg19", 3, head="gap_mlp").backbone_layers()]
    assert len(names19) == 21 and names19[-1] == "block5_pool"


def test_freeze_layers_counts_keras_layers():
    conv = 512 * 512 * 9 + 512
    model = create_model("vgg16", 3, head="gap_mlp", freeze_layers=18)
    assert trainable(model) == 66_051
    model = create_model("vgg16", 3, head="gap_mlp", freeze_layers="block5_conv1")
    assert trainable(model) == 66_051 + 3 * conv
    model = create_model("vgg16", 3, head="gap_mlp", freeze_layers=15)  # block1_conv1 .. block5_conv1
    assert trainable(model) == 66_051 + 2 * conv


def test_freeze_from_named_stage_and_unfreeze_list():
    model = create_model("resnet_fer", 7, freeze_layers="layer4")
    head_and_layer4 = sum(p.numel() for p in model.head.parameters()) + sum(
        p.numel() for p in model.backbone.layer4.parameters()
    )
    assert trainable(model) == head_and_layer4
    assert [n for n, _ in model.backbone_layers_from("layer4")] == ["layer4.0", "layer4.1", "global_pool"]
    assert model.backbone_layers_from(12) == model.backbone_layers()[12:]


def test_freeze_layers_errors_name_the_layers():
    model = create_model("bn_cnn", 7)
    with pytest.raises(ModelError, match="no backbone layer named 'layer9'; layers: conv1, bn1"):
        model.freeze_backbone_layers("layer9")
    with pytest.raises(ModelError, match="out of range: the backbone has 20 layers"):
        model.freeze_backbone_layers(21)


def test_in_chans_one_and_three():
    for name in ("bn_cnn", "resnet_fer", "vgg16", "resnet50", "inception_resnet_v1"):
        for in_chans in (1, 3):
            first = next(m for m in create_model(name, 7, in_chans=in_chans).modules() if isinstance(m, nn.Conv2d))
            assert first.in_channels == in_chans, name


def test_adapt_first_conv_sums_rgb_kernels():
    conv = nn.Conv2d(3, 4, 3, bias=True)
    gray = adapt_first_conv(conv, 1)
    torch.testing.assert_close(gray.weight, conv.weight.sum(1, keepdim=True))
    torch.testing.assert_close(gray.bias, conv.bias)
    x = torch.randn(1, 1, 8, 8)
    torch.testing.assert_close(gray(x), conv(x.expand(-1, 3, -1, -1)))


def test_model_defaults():
    mouth = model_input_spec("mouth_cnn")
    assert (mouth.image_size, mouth.channels, mouth.mean, mouth.std) == ((43, 72), 1, (0.0,), (1.0,))
    assert model_input_spec("bn_cnn").image_size == (48, 48)
    vgg = model_input_spec("vgg16")
    assert vgg.image_size == (224, 224) and vgg.channels == 3 and vgg.mean == (0.485, 0.456, 0.406)
    assert model_input_spec("resnet50").image_size == (197, 197)
    assert model_input_spec("inception_resnet_v1").image_size == (160, 160)


def test_registry_lists_every_seed_architecture():
    expected = {"mouth_cnn", "plain_cnn", "bn_cnn", "bn_cnn_two_conv", "bn_cnn_avg_pool", "five_layer_cnn", "vgg16",
                "vgg19", "resnet50", "seresnet50"}
    assert expected | {"inception_resnet_v1", "resnet_fer"} <= set(list_models())


def test_unknown_model_lists_registered_names():
    with pytest.raises(ModelError,
                       match=r"unknown model 'vgg17'; did you mean 'vgg1[69]' or 'vgg1[69]'\? choose from bn_cnn, .*vgg19"):
        create_model("vgg17", 7)
    with pytest.raises(ModelError, match="unknown model"):
        model_input_spec("nope")


def test_duplicate_name_is_an_error():
    with pytest.raises(ModelError, match="'bn_cnn' is already registered"):
        register_model("bn_cnn")(lambda num_classes, in_chans=1, pretrained=False: None)


@pytest.fixture
def unregister_tiny_test_net():
    yield
    MODELS.unregister("tiny_test_net")


def test_register_new_architecture(unregister_tiny_test_net):
    @register_model("tiny_test_net", image_size=(8, 8), mean=(0.5,), std=(0.25,))
    def tiny(num_classes, in_chans=1, pretrained=False, width=4):
        backbone = nn.Sequential(nn.Conv2d(in_chans, width, 3), nn.AdaptiveAvgPool2d(1))
        return FERNet(backbone, MLPHead(width, num_classes))

    assert "tiny_test_net" in list_models()
    assert model_input_spec("tiny_test_net").std == (0.25,)
    assert create_model("tiny_test_net", 2, width=6)(torch.zeros(1, 1, 8, 8)).shape == (1, 2)
    with pytest.raises(ModelError, match="tiny_test_net got unknown argument"):
        create_model("tiny_test_net", 2, depth=3)


def test_bad_arguments_are_model_errors():
    with pytest.raises(ModelError, match="bn_cnn got unknown argument\\(s\\) head; it takes: dropout, image_size"):
        create_model("bn_cnn", 7, head="mlp")
    with pytest.raises(ModelError, match="unknown head 'fc'; choose from replace_last, gap_mlp, mlp"):
        create_model("vgg16", 3, head="fc")
    with pytest.raises(ModelError, match="3 dense layers need 2 hidden widths"):
        create_model("mouth_cnn", 3, dense_layers=3, hidden=(48,))
    with pytest.raises(ModelError, match="num_classes must be a positive integer"):
        create_model("bn_cnn", 0)
    with pytest.raises(ModelError, match="too small"):
        create_model("plain_cnn", 7, image_size=(16, 16))
    with pytest.raises(ModelError, match="2 dropout rates for 1 hidden layers"):
        MLPHead(8, 2, hidden=(4,), dropout=(0.1, 0.2))


def test_small_cnns_accept_other_input_sizes():
    model = create_model("bn_cnn", 7, image_size=(64, 64))
    assert model(torch.randn(2, 1, 64, 64)).shape == (2, 7)


def test_seed002_ablation_models_differ_from_model_c_as_described():
    model_a, model_b = create_model("bn_cnn_two_conv", 7), create_model("bn_cnn_avg_pool", 7)
    convs_a = [m for m in model_a.backbone.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs_a] == [(64, (3, 3)), (256, (5, 5))]
    assert all(m.p == 0.2 for m in model_a.modules() if isinstance(m, torch.nn.Dropout))
    pools = [m for m in model_b.backbone.modules() if isinstance(m, (torch.nn.MaxPool2d, torch.nn.AvgPool2d))]
    assert len(pools) == 4 and all(isinstance(m, torch.nn.AvgPool2d) for m in pools)
    assert model_b(torch.zeros(2, 1, 48, 48)).shape == (2, 7)
