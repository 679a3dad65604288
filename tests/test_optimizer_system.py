"""One optimizer system: model.optimizer and model.scheduler. LightningCLI's --optimizer and --lr_scheduler (which
would silently replace configure_optimizers and drop the head/backbone parameter groups) are refused with one line
that says where the setting goes, on the command line and in a config file, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from fer_torch.cli.common import run_tool
from fer_torch.cli.config_files import LEFT_OUT_SECTIONS
from fer_torch.cli.train import main
from fer_torch.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "configs/seed004_bn_cnn.yaml")


def _error(argv: list[str], capsys) -> str:
    code = run_tool(main, argv)
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


@pytest.mark.parametrize("args, names", [
    (["--optimizer", "torch.optim.SGD"], "model.optimizer"),
    (["--optimizer.lr=0.1"], "model.optimizer"),
    (["--lr_scheduler", "torch.optim.lr_scheduler.StepLR"], "model.scheduler"),
])
def test_lightning_optimizer_options_are_refused_naming_model_optimizer(args, names, capsys):
    section = args[0][2:].split(".")[0].split("=")[0]
    line = _error(["--config", CONFIG, *args], capsys)
    assert line == f"error: --{section} is not an option: {LEFT_OUT_SECTIONS[section]}" and names in line


@pytest.mark.parametrize("section, names", [("optimizer", "model.optimizer"), ("lr_scheduler", "model.scheduler")])
def test_optimizer_sections_in_a_config_file_are_refused_naming_the_model_keys(section, names, tmp_path, capsys):
    base = tmp_path / "base.yaml"
    base.write_text(f"base_config: {CONFIG}\n{section}:\n  class_path: torch.optim.SGD\n")
    variant = tmp_path / "variant.yaml"
    variant.write_text("base_config: base.yaml\n")
    line = _error(["--config", str(variant)], capsys)
    assert line.startswith(f"error: {base}: '{section}:' is not a section: ") and names in line


def test_the_lightning_parser_has_no_optimizer_sections_and_says_where_they_went():
    """Past the early check (a caller building the CLI itself): jsonargparse refuses them, explained alike."""
    from fer_torch.cli.lightning_cli import ParseOnlyCLI, instantiate

    with pytest.raises(ConfigError) as info:
        instantiate(["--config", CONFIG, "--data.root", "unused", "--optimizer", "torch.optim.SGD"], ParseOnlyCLI)
    assert str(info.value).startswith("--optimizer is not an option: the optimizer is chosen by model.optimizer")
    cli = instantiate(["--config", CONFIG, "--data.root", "unused"], ParseOnlyCLI)
    sections = {key.split(".", 1)[0] for key in cli.parser.get_defaults().keys()}
    assert not sections & {"optimizer", "lr_scheduler"} and cli.auto_configure_optimizers is False
