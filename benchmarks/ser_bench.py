"""SER training cost per adaptation recipe: examples/s, peak memory, and FLOPs per step.

For two backbones with random weights — the embedded mini wav2vec2 (the shapes of
``checkpoints/ser-backbone-mini``) and wav2vec2-base's true shapes — and every recipe, one
subprocess per (backbone, recipe) measures:
- step time of a training step (forward + backward + AdamW) on a batch of ``duration_s`` clips,
  after warm-up steps, as examples/s;
- peak resident memory of that subprocess (``ru_maxrss``: model, optimizer, activations);
- FLOPs of one training step counted by ``torch.utils.flop_counter.FlopCounterMode``.
Then the full-fine-tune / LoRA ratio of step time beside the ratio of counted FLOPs: the
paper's FLOPs column (2·N·frames, forward only) is the same for every recipe, so it cannot
show that LoRA's saving is in the backward pass.

The machine is shared: the 1-minute load average is printed and stored with every row;
numbers taken with a load above the thread count are contended and only indicative.
Usage: python benchmarks/ser_bench.py [--quick] [--threads N]
Rows: results/timings/ser_bench.csv (machine-dependent, never compared exactly).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECIPES = (("head-only", {}), ("lora", {"rank": 16}), ("lora+top-k", {"rank": 16, "top_k": 1}),
           ("top-k", {"top_k": 1}), ("full", {}))


def _backbone_config(name: str):
    if name == "ser-backbone-mini":
        from audioscale.embedded.models import mini_wav2vec2_config
        return mini_wav2vec2_config(num_labels=6)
    from audioscale.models.architectures import wav2vec2_config
    return wav2vec2_config(name, mask_time_prob=0.0, layerdrop=0.0)


def _measure(backbone: str, recipe: str, kw: dict, batch: int, duration_s: float, steps: int, threads: int, q):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from audioscale.models.adaptation import apply_recipe
    from audioscale.models.architectures import build_wav2vec2

    torch.set_num_threads(threads)
    cfg = _backbone_config(backbone)
    kw = dict(kw)
    if "top_k" in kw and backbone != "ser-backbone-mini":
        kw["top_k"] = 4  # the paper's top-4 on the 12-layer base
    model = build_wav2vec2(cfg, device="cpu").train()
    rr = apply_recipe(model, recipe, **kw)
    cnn = model.wav2vec2.feature_extractor
    if not any(p.requires_grad for p in cnn.parameters()):
        # transformers makes the CNN's *input* require grad unless the encoder is frozen with
        # _freeze_parameters(); without this a frozen-CNN recipe still back-propagates through
        # the whole CNN (measured: ~3x the step FLOPs of the mini backbone). The SER pipeline
        # never pays it (its CNN runs under no_grad, cached).
        cnn._freeze_parameters()
    params = [p for p in rr.model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4)
    x = torch.randn(batch, int(duration_s * 16000))
    mask = torch.ones_like(x, dtype=torch.long)
    y = torch.zeros(batch, dtype=torch.long)

    def step():
        loss = torch.nn.functional.cross_entropy(rr.model(input_values=x, attention_mask=mask).logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    counter = FlopCounterMode(display=False)
    with counter:
        step()  # also the warm-up step
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    step_s = sorted(times)[len(times) // 2]  # median: robust to a neighbour's burst
    q.put({"backbone": backbone, "recipe": recipe, "rank": kw.get("rank"), "top_k": kw.get("top_k"),
           "batch": batch, "duration_s": duration_s, "threads": threads,
           "trainable_params": rr.trainable_params, "total_params": rr.total_params,
           "step_s": step_s, "examples_per_s": batch / step_s,
           "train_step_gflops": counter.get_total_flops() / 1e9,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="mini backbone only, fewer steps")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(REPO / "results" / "timings" / "ser_bench.csv"))
    args = ap.parse_args(argv)
    plan = [("ser-backbone-mini", 16, 4.0, 3 if args.quick else 6)]
    if not args.quick:
        plan.append(("wav2vec2-base", 2, 4.0, 2))
    load0 = os.getloadavg()[0]
    print(f"load average at start: {load0:.2f} on {os.cpu_count()} cores "
          f"({'CONTENDED: numbers are indicative only' if load0 > args.threads + 0.5 else 'quiet'})")
    ctx = mp.get_context("spawn")
    rows = []
    for backbone, batch, dur, steps in plan:
        for recipe, kw in RECIPES:
            q = ctx.Queue()
            p = ctx.Process(target=_measure, args=(backbone, recipe, kw, batch, dur, steps, args.threads, q))
            p.start()
            row = q.get()
            p.join()
            row["load_avg_1min"] = os.getloadavg()[0]
            rows.append(row)
            print(f"{backbone:18s} {recipe:10s} trainable {row['trainable_params']:>11,}  "
                  f"{row['examples_per_s']:7.2f} ex/s  {row['train_step_gflops']:9.1f} GFLOP/step  "
                  f"peak RSS {row['peak_rss_mb']:7.0f} MB  (load {row['load_avg_1min']:.1f})", flush=True)
    import pandas as pd
    df = pd.DataFrame(rows)
    df["machine"] = platform.machine()
    for backbone, g in df.groupby("backbone"):
        full, lora = g.set_index("recipe").loc["full"], g.set_index("recipe").loc["lora"]
        print(f"{backbone}: full / LoRA step time {full.step_s / lora.step_s:.2f}x, "
              f"counted training FLOPs {full.train_step_gflops / lora.train_step_gflops:.2f}x, "
              f"paper-convention FLOPs 1.00x (forward only, same N)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False, float_format="%.6g")
    print(json.dumps({"rows": len(df), "out": str(out.relative_to(REPO)) if out.is_relative_to(REPO) else out.name}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
