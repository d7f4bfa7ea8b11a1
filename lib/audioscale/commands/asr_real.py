"""`audioscale asr-real`: real Whisper (tiny.en, base) on test-other's text read aloud, every
(frames, stride, pooling, guard) row into results/asr_real.csv (see audioscale.asr.real)."""
from __future__ import annotations

from ..errors import check_int_range, check_threads


def register(sub) -> None:
    from ..asr import real
    from ..cli import add_preset_option

    p = sub.add_parser(
        "asr-real", help="real Whisper tiny.en/base on test-other's text read by a synthetic voice",
        description="Score OpenAI's Whisper tiny.en and base (installed by 'audioscale weights install') on "
                    "LibriSpeech test-other's real transcripts read aloud by a synthetic voice at their real "
                    "durations, at encoder frames 1500/750, stride 1/2 (select, mean) and every decoding guard. "
                    "Finished rows are reused.",
        epilog="examples:\n"
               "  audioscale asr-real                                  what make reproduce scores\n"
               "  audioscale asr-real --preset real-base-750           one model and window\n"
               "  audioscale asr-real --all --device cuda --batch-size 32")
    add_preset_option(p, "asr-real")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--n", type=int, default=None, metavar="N",
                      help=f"the stratified subset of N utterances (default: {real.REPRODUCE_N}, what make reproduce "
                           "scores)")
    size.add_argument("--all", action="store_true", help="all 2939 utterances (hours on a CPU)")
    p.add_argument("--models", nargs="+", choices=real.REAL_MODELS, default=list(real.REAL_MODELS),
                   help="models to run")
    p.add_argument("--frames", nargs="+", type=int, choices=real.FRAMES, default=list(real.FRAMES),
                   help="encoder windows")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: cuda if visible, else cpu")
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32",
                   help="weights and compute dtype (float16/bfloat16 for GPUs)")
    p.add_argument("--batch-size", type=int, default=8, help="utterances per batch")
    p.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    p.add_argument("--force", action="store_true", help="recompute rows that are already finished")
    p.set_defaults(func=_asr_real)


def _asr_real(args) -> int:
    from ..asr import real, real_report

    n = None if args.all else (real.REPRODUCE_N if args.n is None else args.n)
    check_int_range("batch_size", args.batch_size, 1, 1024, fix="Use e.g. 8 on a CPU, 32 on a GPU.")
    check_threads(args.threads)
    rows = real.sweep_real(n, models=args.models, frames=args.frames, batch_size=args.batch_size,
                           device=args.device, dtype=args.dtype, threads=args.threads, force=args.force,
                           verbose=not args.quiet)
    t = real_report.side_by_side(rows, "none") if not rows.empty else rows
    for r in t.itertuples():
        print(f"{r.model:8s} T={r.encoder_frames:4d} s={r.stride} {r.pooling:6s} WER {r.wer_pct:6.2f} % (guard none)"
              + (f", paper {r.paper_model} {r.paper_wer_pct:.2f} %" if r.paper_wer_pct == r.paper_wer_pct else ""))
    print(f"{len(rows)} rows in results/{real.STORE}.csv ({rows['audio'].iloc[0] if len(rows) else ''})")
    return 0
