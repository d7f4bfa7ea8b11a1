"""``audioscale asr`` (one configuration), ``asr-sweep`` (the paper's 11 or the embedded
grid) and ``wer`` (corpus WER of two ``id<TAB>text`` files)."""
from __future__ import annotations

from ..errors import check_int_range



def _common(p) -> None:
    p.add_argument("--batch-size", type=int, default=32, help="utterances per batch (timing only)")
    p.add_argument("--limit", type=int, default=None, help="score only the first N utterances (in the set's order)")
    p.add_argument("--force", action="store_true", help="recompute rows that are already finished")
    p.add_argument("--allow-missing-audio", action="store_true",
                   help="skip (and count) transcripts whose audio file is missing")


def register(sub) -> None:
    p = sub.add_parser("asr", help="WER of one Whisper configuration (model, T, stride, pooling)")
    p.add_argument("--model", required=True, help="short name (tiny..large-v3), hub id, or folder")
    p.add_argument("--data", required=True,
                   help="folder (LibriSpeech layout or manifest), hub id, or 'embedded' (the embedded test set)")
    p.add_argument("--frames", type=int, default=None, help="encoder frames T (default: the full window)")
    p.add_argument("--stride", type=int, default=1, help="encoder-token stride s before cross-attention")
    p.add_argument("--pooling", choices=("select", "mean"), default="select")
    p.add_argument("--beam-size", type=int, default=1)
    p.add_argument("--max-new-tokens", type=int, default=None)
    p.add_argument("--scale", choices=("paper", "embedded"), default="paper",
                   help="which results file the row goes to (results/asr_<scale>.csv)")
    p.add_argument("--normalizer", choices=("whisper", "none"), default=None,
                   help="text normalizer before WER (default: whisper for paper, none for embedded)")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None)
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default="float32")
    _common(p)
    p.set_defaults(func=_asr)

    p = sub.add_parser("asr-sweep", help="the paper's 11 ASR configurations, or the embedded grid")
    p.add_argument("--scale", choices=("paper", "embedded"), default="embedded")
    p.add_argument("--data", default=None, help="evaluation set (default: paper = librispeech-test-other; "
                                                "embedded = the embedded test set)")
    p.add_argument("--model", action="append", default=[], metavar="SIZE=ID_OR_DIR",
                   help="paper: map a size to a hub id/folder (repeatable); embedded: a mini folder (repeatable)")
    p.add_argument("--checkpoints", default=None, help="embedded: folder holding asr-mini-*/")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None)
    p.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default=None)
    _common(p)
    p.set_defaults(func=_sweep)

    p = sub.add_parser("wer", help="corpus WER of two 'id<TAB>text' files")
    p.add_argument("ref", metavar="REF.tsv")
    p.add_argument("hyp", metavar="HYP.tsv")
    p.add_argument("--normalizer", choices=("whisper", "none"), default="whisper")
    p.set_defaults(func=_wer)


def _asr(args) -> int:
    from ..asr.config import AsrConfig
    from ..asr.run import run_asr

    # AsrConfig checks the axes before any model is loaded (a minute for large-v3).
    config = AsrConfig(args.model, args.data, args.frames, args.stride, args.pooling, args.beam_size,
                       args.max_new_tokens, args.limit, args.scale, args.device, args.dtype, args.normalizer)
    row = run_asr(config, batch_size=args.batch_size, force=args.force, allow_missing_audio=args.allow_missing_audio)
    print(f"{row['model']} T={row['encoder_frames']} s={row['stride']} {row['pooling']}: "
          f"WER {row['wer_pct']:.2f} % (S {row['substitutions']}, D {row['deletions']}, I {row['insertions']}; "
          f"{row['n_utterances']} utterances, {row['n_bad_files']} bad files), "
          f"{row['gflops_paper']:.4g} GFLOPs per utterance (paper convention)")
    return 0


def _sweep(args) -> int:
    from ..asr import run
    from ..errors import AudioscaleError

    check_int_range("batch_size", args.batch_size, 1, None, fix="Use e.g. 16.")
    if args.scale == "paper":
        ids = {}
        for item in args.model:
            if "=" not in item:
                raise AudioscaleError(f"--model {item!r}: use SIZE=ID_OR_DIR, e.g. small=openai/whisper-small.")
            size, src = item.split("=", 1)
            ids[size] = src
        df = run.sweep_paper(args.data or run.PAPER_DATA, ids, batch_size=args.batch_size, limit=args.limit,
                             device=args.device, dtype=args.dtype, force=args.force,
                             allow_missing_audio=args.allow_missing_audio)
    else:
        kw = {"checkpoints": args.checkpoints} if args.checkpoints else {}
        df = run.sweep_embedded(args.data, batch_size=args.batch_size, limit=args.limit, force=args.force,
                                models=args.model or None, **kw)
    print(f"{len(df)} rows in results/asr_{args.scale}.csv")
    return 0


def _wer(args) -> int:
    from ..asr.wer import wer_of_files

    r = wer_of_files(args.ref, args.hyp, args.normalizer)
    print(f"WER {r.wer_pct:.2f} % over {r.n_utterances} utterances, {r.n_ref_words} words: "
          f"S {r.substitutions}, D {r.deletions}, I {r.insertions} (normalizer {r.normalizer}, {r.scorer})")
    return 0
