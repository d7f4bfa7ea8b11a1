"""`audioscale read-aloud`: render LibriSpeech test-other's text read aloud (Piper voice) at
each utterance's real duration, into the cache (see audioscale.asr.read_aloud)."""
from __future__ import annotations

import os

from ..asr.real import REPRODUCE_N as DEFAULT_N  # the subset `make reproduce` scores
from .. import progress
from ..errors import check_int_range


def register(sub) -> None:
    p = sub.add_parser("read-aloud", help="render test-other's text read aloud (Piper 'joe' voice) into the cache",
                       description="Have the Piper voice 'joe' read LibriSpeech test-other's real transcripts, each "
                                   "stretched to its utterance's real duration, into the cache that asr-real reads. "
                                   "Rendered utterances are kept; a rerun renders only what is missing.",
                       epilog="examples:\n  audioscale read-aloud\n  audioscale read-aloud --all --jobs 2")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--n", type=int, default=None, metavar="N",
                      help=f"the stratified subset of N utterances (default: {DEFAULT_N}, what make reproduce scores)")
    size.add_argument("--all", action="store_true", help="all 2939 utterances")
    p.add_argument("--jobs", type=int, default=2, metavar="J",
                   help="worker processes, each with one single-threaded voice")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar when stderr is a terminal)")
    p.set_defaults(func=_read_aloud)


def _read_aloud(args) -> int:
    import time

    from ..asr import read_aloud

    n = None if args.all else (DEFAULT_N if args.n is None else args.n)
    if n is not None:
        check_int_range("n", n, 1, None, fix="Number of utterances (the set has 2939), or --all.")
    jobs = check_int_range("jobs", args.jobs, 1, os.cpu_count() or 1, fix="Worker processes, e.g. 2.")
    ids = read_aloud.stratified_subset(n)
    start = time.perf_counter()
    bar = progress.wanted(False if args.no_progress or args.quiet else None)
    rendered = read_aloud.ensure_rendered(ids, jobs=jobs, progress=bar)
    wall_s = time.perf_counter() - start
    prof = read_aloud.length_profile(ids)
    print(f"{prof['n']} utterances ({rendered} rendered now, {prof['n'] - rendered} cached), "
          f"{prof['audio_h']:.3f} h of audio, {prof['frac_over_15s'] * 100:.1f} % longer than 15 s; "
          f"wall {wall_s:.1f} s with {jobs} jobs")
    print(f"speech / target duration before padding: min {prof['speech_ratio_min']:.3f}, "
          f"median {prof['speech_ratio_median']:.3f}, max {prof['speech_ratio_max']:.3f} "
          f"(aim {read_aloud.VOICE.speech_fraction}); length_scale median {prof['length_scale_median']:.2f} "
          f"(range {prof['length_scale_min']:.2f}-{prof['length_scale_max']:.2f}), "
          f"{prof['passes_mean']:.2f} passes per utterance, {prof['n_at_max_length_scale']} at the "
          f"maximum length_scale {read_aloud.VOICE.max_length_scale}")
    print(f"cache: {read_aloud.cache_dir()}")
    return 0
