"""The arithmetic the models run in at question time: float32, or bfloat16 where the CPU has it.

"bf16" runs torch's CPU autocast (matrix products in bfloat16), "fp32" float32 throughout, and
"auto" bfloat16 only where the CPU multiplies it in hardware (avx512_bf16 or amx_bf16); elsewhere
autocast would emulate it, likely slower than float32 (no such CPU was at hand to time). Indexes
are always embedded in float32.
"""

from __future__ import annotations

import contextlib
from functools import cache
from pathlib import Path

from rag.errors import SettingError

CHOICES = ("auto", "bf16", "fp32")
DEFAULT = "auto"  # README, stop 34: what it costs in answers and what it saves


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU multiplies bfloat16 in hardware."""
    try:
        flags = cpuinfo.read_text(errors="replace").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@cache
def _native() -> bool:
    return native_bf16()


def uses_bf16(precision: str) -> bool:
    """`precision` ("auto", "bf16", "fp32") resolved on this machine.

    >>> uses_bf16("fp32"), uses_bf16("bf16")
    (False, True)
    """
    if precision not in CHOICES:
        raise SettingError(f"precision {precision!r} (RAG_PRECISION): use auto, bf16 or fp32")
    return precision == "bf16" or (precision == "auto" and _native())


def autocast(bf16: bool):
    """The context a forward pass runs in: bfloat16 autocast when `bf16`, else nothing."""
    if not bf16:
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", torch.bfloat16)
