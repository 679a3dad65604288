"""Resuming a run: the run folder a ``--ckpt_path`` belongs to, and the settings a resume keeps from the run.

A resume command need not repeat everything the run was started with: the run's own ``config.yaml`` supplies
its data root and precision (a float32 run resumed without ``configs/trainer/cpu.yaml`` stays float32), unless
the command line sets them. PyYAML only: :mod:`fer_torch.cli.train` applies this before Lightning loads.
"""

from __future__ import annotations

from pathlib import Path

from fer_torch.cli.config_files import dotted_get

RUN_CONFIG = "config.yaml"
KEPT_ON_RESUME = ("data.root", "trainer.precision", "model.channels_last")
"""Settings a resumed run takes from its ``config.yaml`` unless the command line gives them."""


def resumed_run_dir(ckpt_path: str | Path | None) -> Path | None:
    """The run directory ``<root>/<name>/version_N`` of a checkpoint inside ``version_N/checkpoints/``, spelled as
    the checkpoint path is (relative stays relative: Lightning's ModelCheckpoint restores its best only when the
    checkpoint folder is named as in the run it resumes)."""
    if not ckpt_path:
        return None
    checkpoints = Path(ckpt_path).parent
    run_dir = checkpoints.parent
    if checkpoints.name == "checkpoints" and (run_dir / "metrics.csv").is_file():
        return run_dir
    return None


def option_value(argv: list[str], key: str) -> str | None:
    """The value of ``--key`` in ``argv`` (``--key VALUE`` or ``--key=VALUE``), the last one given, or None."""
    value = None
    for i, arg in enumerate(argv):
        if arg == f"--{key}" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(f"--{key}="):
            value = arg.split("=", 1)[1]
    return value


def with_run_settings(argv: list[str]) -> list[str]:
    """``argv`` with the :data:`KEPT_ON_RESUME` settings of the run ``--ckpt_path`` resumes (from its
    ``config.yaml``) placed after the last ``--config``, so they win over config files; options the command line
    gives itself win over them. Unchanged when not resuming a run that has a ``config.yaml``."""
    import yaml

    run_dir = resumed_run_dir(option_value(argv, "ckpt_path"))
    if run_dir is None or not (run_dir / RUN_CONFIG).is_file():
        return argv
    saved = yaml.safe_load((run_dir / RUN_CONFIG).read_text()) or {}
    kept = []
    for key in KEPT_ON_RESUME:
        value = dotted_get(saved, key)
        if value is not None and option_value(argv, key) is None:
            kept += [f"--{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    configs = [i for i, arg in enumerate(argv) if arg == "--config" or arg.startswith("--config=")]
    at = (configs[-1] + (1 if argv[configs[-1]].startswith("--config=") else 2)) if configs else 0
    return [*argv[:at], *kept, *argv[at:]]
