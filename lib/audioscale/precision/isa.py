"""What bf16 costs on a CPU without AVX512-BF16, measured on this one by capping oneDNN's
instruction set (``ONEDNN_MAX_CPU_ISA``) in a child process.

The probe is one Whisper-base encoder MLP matmul (1500 x 512 @ 512 x 2048, ``nn.Linear``), fp32
and bf16, one thread. oneDNN's verbose log names the kernel that ran:
- no cap (this Zen 4 has ``avx512_bf16``): ``brg_matmul:avx512_core_bf16``, native bf16 dot products;
- ``AVX512_CORE`` (an AVX-512 CPU without the BF16 extension: Skylake-X, Ice Lake, Zen 3 has no
  AVX-512 at all): ``gemm:jit:bf16``, bf16 converted to fp32 inside the kernel;
- ``AVX2`` (most laptops and older servers): oneDNN has no bf16 matmul there, and PyTorch falls
  back to its reference bf16 gemm (no oneDNN line at all).
Rows: the kernel per (cap, dtype) in ``results/precision_isa.csv``; milliseconds in its timings file.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd

from ..results import ResultStore

STORE = "precision_isa"
CAPS = ("", "AVX512_CORE", "AVX2")  # "" = no cap: the CPU's own instruction set
SHAPE = (1500, 512, 2048)  # tokens x d_model -> 4 d_model: Whisper base's encoder fc1 at 1500 frames
REPEATS = 10

_CHILD = r"""
import json, sys, time, torch
torch.set_num_threads(1)
m, k, n = SHAPE
x = torch.randn(m, k, generator=torch.Generator().manual_seed(0))
lin = torch.nn.Linear(k, n)
out = {}
for name, dt in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
    xx, ll = x.to(dt), lin.to(dt)
    with torch.inference_mode():
        for _ in range(2):
            ll(xx)
        t = time.perf_counter()
        for _ in range(REPEATS):
            ll(xx)
        out[name] = (time.perf_counter() - t) / REPEATS * 1e3
print(json.dumps(out))
"""


def _kernels(log: str) -> dict[str, str]:
    """The oneDNN matmul kernel that ran for each dtype, read from its verbose log by the source
    tensor's type (``src:f32`` / ``src:bf16``); a dtype with no line ran outside oneDNN."""
    kernels = {}
    for line in log.splitlines():
        if ",exec,cpu,matmul," not in line:
            continue
        kernel, rest = line.split(",exec,cpu,matmul,", 1)[1].split(",", 1)
        for dtype, tag in (("fp32", "src:f32"), ("bf16", "src:bf16")):
            if tag + ":" in rest:
                kernels.setdefault(dtype, kernel)
    return kernels


NO_ONEDNN = {"fp32": "not oneDNN (PyTorch's BLAS sgemm)", "bf16": "not oneDNN (PyTorch's reference bf16 gemm)"}


def probe(cap: str) -> dict:
    """{dtype: (ms per matmul, kernel)} under oneDNN ISA cap ``cap``, in a fresh process."""
    code = _CHILD.replace("SHAPE", repr(SHAPE)).replace("REPEATS", str(REPEATS))
    env = dict(os.environ, ONEDNN_VERBOSE="1")
    env.pop("ONEDNN_MAX_CPU_ISA", None)
    if cap:
        env["ONEDNN_MAX_CPU_ISA"] = cap
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                          check=True)
    ms = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1])
    kernels = _kernels(proc.stdout + "\n" + proc.stderr)
    return {dt: (ms[dt], kernels.get(dt, "")) for dt in ms}


def measure(store: ResultStore | None = None, force: bool = False) -> pd.DataFrame:
    """One row per (cap, dtype): the kernel; its timings line: ms per matmul and the bf16/fp32 ratio."""
    from .convert import machine_state

    store = store or ResultStore(STORE)
    for cap in CAPS:
        configs = {dt: dict(probe="linear", m=SHAPE[0], k=SHAPE[1], n=SHAPE[2], onednn_max_cpu_isa=cap or "none",
                            dtype=dt) for dt in ("fp32", "bf16")}
        if not force and all(store.get(c) is not None for c in configs.values()):
            continue
        res = probe(cap)
        for dt, config in configs.items():
            ms, kernel = res[dt]
            state = {k: v for k, v in machine_state().items() if k != "onednn_max_cpu_isa"}
            store.put(config, dict(kernel=kernel or NO_ONEDNN[dt]),
                      timings=dict(ms_per_matmul=ms, bf16_over_fp32=res["bf16"][0] / res["fp32"][0],
                                   load_avg_1m=os.getloadavg()[0], torch_threads=1, **state), scale="real")
    return table(store)


def table(store: ResultStore | None = None) -> pd.DataFrame:
    from ..asr.run import rows_with_timings

    df = rows_with_timings("real", store or ResultStore(STORE))
    if df.empty:
        return df
    cols = ["onednn_max_cpu_isa", "dtype", "kernel", "ms_per_matmul", "bf16_over_fp32"]
    order = {c or "none": i for i, c in enumerate(CAPS)}
    df = df.assign(_o=df["onednn_max_cpu_isa"].map(order), _d=df["dtype"] != "fp32")
    return df.sort_values(["_o", "_d"])[cols].reset_index(drop=True)
