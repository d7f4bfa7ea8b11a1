"""`audioscale precision`: real Whisper tiny.en/base in fp32, bf16 and int8 (dynamic, linear layers)
x encoder frames 1500/750 x stride 1/2 on the read test-other subset, into results/precision.csv
(see audioscale.precision); --measure recomputes every group to refresh the timings."""
from __future__ import annotations

from ..errors import check_threads


def register(sub) -> None:
    from ..precision import convert, sweep

    p = sub.add_parser(
        "precision", help="precision (fp32 / bf16 / int8) x frames x stride on real Whisper, measured",
        description="Score real Whisper tiny.en and base in fp32, bf16 and int8 dynamic quantization "
                    f"(torch.ao, every linear layer) at encoder frames 1500/750 and stride 1/2, on the first "
                    f"{sweep.N_UTTERANCES} utterances of the read test-other subset (test-other's text read by a "
                    "synthetic voice). Each (model, precision, frames) runs in its own process, one at a time, "
                    "so its peak RSS is its own. Finished rows are reused; --measure recomputes every group "
                    "(the rows come out identical, the timings are new) and the bf16 instruction-set probe.",
        epilog="examples:\n"
               "  audioscale precision                      compute what is missing\n"
               "  audioscale precision --measure            re-measure every timing (on a quiet machine)\n"
               "  audioscale precision --models tiny.en --precisions int8 --measure")
    p.add_argument("--models", nargs="+", choices=sweep.MODELS, default=list(sweep.MODELS), help="models")
    p.add_argument("--precisions", nargs="+", choices=convert.PRECISIONS, default=list(convert.PRECISIONS),
                   help="precisions")
    p.add_argument("--frames", nargs="+", type=int, choices=sweep.FRAMES, default=list(sweep.FRAMES),
                   help="encoder windows")
    p.add_argument("--threads", type=int, default=sweep.THREADS, help="CPU threads for torch in each group")
    p.add_argument("--measure", action="store_true", help="recompute every group (refresh the timings)")
    p.add_argument("--no-isa", action="store_true", help="skip the bf16 instruction-set probe")
    p.set_defaults(func=_precision)


def _precision(args) -> int:
    import os
    import time

    from ..precision import isa, report, sweep

    check_threads(args.threads)
    t0 = time.perf_counter()
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs", flush=True)
    rows = sweep.sweep_precision(models=args.models, precisions=args.precisions, frames=args.frames,
                                 force=args.measure, threads=args.threads, verbose=not args.quiet)
    if not args.no_isa:
        isa.measure(force=args.measure)
    table = report.precision_table(rows)
    for r in table.itertuples():
        print(f"{r.model:8s} {r.precision:5s} T={r.encoder_frames:4d} s={r.stride} WER {r.wer_pct:6.2f} %  "
              f"RTFx {r.rtfx:6.2f}  {r.model_mb:6.1f} MB  peak {r.peak_rss_mb:6.0f} MB  load {r.load_avg_1m:.2f}")
    print(f"{len(rows)} rows in results/{sweep.STORE}.csv ({table['audio'].iloc[0]}); "
          f"{time.perf_counter() - t0:.0f} s wall")
    return 0
