"""What this CPU runs fast, detected from its feature flags: the one place training and inference ask.

A CPU with bfloat16 dot-product instructions (AMX-BF16 tiles on Intel Sapphire Rapids and later, AVX512-BF16 on
AMD Zen 4 and Intel Cooper Lake) trains and infers fastest in bfloat16 autocast with channels-last tensors
(the measured speed-ups are in docs/benchmarks.md). Elsewhere float32 is the fast exact mode; channels-last is used
in it only on AVX-512 CPUs, where it was measured faster for every architecture.
"""

from __future__ import annotations

import functools
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

BF16_FLAGS = ("amx_bf16", "avx512_bf16")
"""CPU flags (``/proc/cpuinfo`` names) of bfloat16 instructions oneDNN uses, fastest first."""

CHANNELS_LAST_FLAG = "avx512f"
"""float32 channels-last convolutions are faster than contiguous ones on CPUs with this flag (measured on an
AMX Xeon and an AVX-512 EPYC); without it the contiguous layout is kept."""


@functools.cache
def _cpuinfo(key: str) -> str | None:
    """The value of the first ``key`` line of Linux ``/proc/cpuinfo`` (None elsewhere or without one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() == key:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


@functools.cache
def cpu_flags() -> frozenset[str]:
    """This CPU's feature flags: ``/proc/cpuinfo`` on Linux, else what torch reports of the ones used here."""
    flags = _cpuinfo("flags") if sys.platform.startswith("linux") else None
    if flags is not None:
        return frozenset(flags.split())
    import torch

    probes = {"amx_bf16": "_is_amx_tile_supported", "avx512_bf16": "_is_avx512_bf16_supported",
              "avx512f": "_is_avx512_supported"}
    return frozenset(flag for flag, probe in probes.items() if getattr(torch.cpu, probe, lambda: False)())


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else the platform's processor string."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def cpu_bf16_flag() -> str | None:
    """The bfloat16 instruction flag this CPU has (``amx_bf16`` or ``avx512_bf16``), None without one."""
    flags = cpu_flags()
    return next((flag for flag in BF16_FLAGS if flag in flags), None)


@dataclass(frozen=True)
class CpuMode:
    """How to run a model on this CPU: ``bf16`` (autocast/bfloat16) or not, channels-last or not, and why."""

    bf16: bool
    channels_last: bool
    reason: str

    @property
    def training_precision(self) -> str:
        """The Lightning precision string: ``bf16-mixed`` or ``32-true``."""
        return "bf16-mixed" if self.bf16 else "32-true"

    def describe(self) -> str:
        """One line naming the CPU, this mode and why: ``CPU <name>: bf16-mixed, channels-last (avx512_bf16 ...)``."""
        layout = "channels-last" if self.channels_last else "contiguous"
        return f"CPU {cpu_name()}: {self.training_precision}, {layout} ({self.reason})"


def cpu_mode() -> CpuMode:
    """The fastest mode for this CPU, from its flags: bf16 + channels-last with bf16 instructions, else float32
    (channels-last with AVX-512)."""
    flag = cpu_bf16_flag()
    if flag is not None:
        return CpuMode(True, True, f"{flag} detected")
    channels_last = CHANNELS_LAST_FLAG in cpu_flags()
    reason = "no bf16 instructions" + (", avx512f" if channels_last else ", no avx512f")
    return CpuMode(False, channels_last, reason)


def process_rss_mb() -> float:
    """This process's resident memory now, in MiB (Linux ``/proc/self/status``; 0.0 where it is unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
