"""Weights in a precision: fp32 as shipped, bf16 (weights and compute), int8 dynamic
quantization of every ``nn.Linear`` through PyTorch's own API; the bytes each one holds;
the machine state a timing depends on.

int8 is ``torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)``:
weights are stored int8 per tensor, activations are quantized on the fly per call with a
scale taken from the whole activation tensor (so an utterance's int8 result depends on its
batch-mates; ``batch_size`` is part of every row's key), matmuls run in the quantized engine
(``x86`` here: fbgemm's VNNI kernels), convolutions, layer norms, attention and the token
embedding stay fp32. Whisper ties ``proj_out`` to the token embedding; quantizing every
Linear unties it: the int8 model holds the fp32 embedding *and* an int8 copy of the output
projection, which is why tiny.en's int8 state dict is not a quarter of its fp32 one.

In torch 2.13 the API works but warns that ``torch.ao.quantization`` is deprecated in favour
of torchao (not installed here, not on the pinned list); the warnings are caught and recorded
(``QUANTIZATION_WARNINGS``), never printed into a notebook.
"""
from __future__ import annotations

import gc
import io
import os
import platform
import warnings

import torch

from ..errors import check_choice

PRECISIONS = ("fp32", "bf16", "int8")
COMPUTE_DTYPE = {"fp32": "float32", "bf16": "bfloat16", "int8": "float32"}  # activations' dtype
QUANTIZATION = {"fp32": "none", "bf16": "none", "int8": "dynamic-int8-linear"}
QUANTIZATION_WARNINGS: list[str] = []  # what the quantization API warned, first line of each (deduplicated)


def to_precision(model: torch.nn.Module, precision: str) -> torch.nn.Module:
    """``model`` (fp32, eval) in ``precision``: cast in place for bf16, a quantized copy for int8."""
    check_choice("precision", precision, PRECISIONS)
    if precision == "fp32":
        return model
    if precision == "bf16":
        return model.to(torch.bfloat16)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=False)
    for w in caught:
        line = f"{w.category.__name__}: {str(w.message).strip().splitlines()[0]}"
        if line not in QUANTIZATION_WARNINGS:
            QUANTIZATION_WARNINGS.append(line)
    del model
    gc.collect()
    return out.eval()


def state_dict_bytes(model: torch.nn.Module) -> int:
    """Bytes of ``torch.save(model.state_dict())``: what the weights occupy in this precision
    (a tied tensor counts once; int8 packed weights count as their int8 bytes plus scales)."""
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.tell()


def linear_count(model: torch.nn.Module) -> dict[str, int]:
    """How many linear layers are fp (``nn.Linear``) and how many dynamic-int8."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    mods = list(model.modules())
    return dict(n_linear_fp=sum(type(m) is torch.nn.Linear for m in mods),
                n_linear_int8=sum(isinstance(m, DynamicLinear) for m in mods))


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_state() -> dict:
    """What a CPU timing depends on, written beside it (never into a result row)."""
    flags = cpu_flags()
    return dict(cpu_model=cpu_model(), cpu_avx512_bf16=int("avx512_bf16" in flags),
                cpu_amx_bf16=int("amx_bf16" in flags), cpu_avx512_vnni=int("avx512_vnni" in flags),
                cpu_count=os.cpu_count() or 0, torch_cpu_capability=torch.backends.cpu.get_cpu_capability(),
                quantized_engine=torch.backends.quantized.engine,
                mkldnn_bf16_supported=int(bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())),
                onednn_max_cpu_isa=os.environ.get("ONEDNN_MAX_CPU_ISA", ""),
                torch_version=torch.__version__)


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS since the last ``reset_peak_rss``) of this process, MB (1e6 bytes),
    from /proc/self/status; NaN where there is no /proc."""
    out = {}
    try:
        with open("/proc/self/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line[:5]] = int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return float("nan"), float("nan")
    return out.get("VmRSS", float("nan")), out.get("VmHWM", float("nan"))


def release_freed_memory() -> None:
    """Hand the heap's freed pages back to the system (glibc ``malloc_trim``), so the fp32 weights
    a bf16/int8 model was converted from stop counting in its RSS; a no-op elsewhere."""
    import ctypes
    import ctypes.util

    gc.collect()
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reset_peak_rss() -> bool:
    """Start the peak-RSS mark afresh (Linux: ``5`` into /proc/self/clear_refs resets VmHWM), so
    the peak of what follows excludes the fp32 load a bf16/int8 model was converted from."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False
