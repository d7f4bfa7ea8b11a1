"""Notebook 08's decoding guard: ``cap16+repetition``, the embedded analogue of the real-Whisper
rows' ``cap+repetition`` (``asr.real.apply_guard``; docs/real-whisper.md).

Short trainings leave decoders that loop until generate's length cap (48 positions), so one
looping hypothesis adds ~30 insertions and WER then measures the loop, not the recognition
(seeds of one run 93 vs 194 %). The guard stops a greedy decode early, as a user would:

- ``cap``: at most ``MAX_HYP_WORDS`` = 16 word tokens (the longest sentence of the world, 15
  words, + 1), where the real rows cap at 8 tokens per second of window;
- ``repetition``: openai/whisper's compression-ratio check (gzip ratio > 2.4 flags a loop); a
  flagged hypothesis that ends in >= 3 back-to-back copies of one unit is cut after the first
  copy (``asr.real.trim_loop``), as the real rows do.

Greedy decoding is deterministic and a guard only stops it early, so the guarded words are a
prefix of the unguarded ones: both WERs come from the one unguarded decode (the unguarded WER
is kept as ``wer_unguarded_pct``).
"""
from __future__ import annotations

from ..embedded.vocab import EOS_ID, SPECIALS, decode

DECODE_GUARD = "cap16+repetition"
MAX_HYP_WORDS = 16  # the world's longest sentence (15 words) + 1


def words_of(seq: list[int]) -> list[int]:
    """The word ids of one ``generate`` output: after the start token, up to the end token."""
    out = []
    for t in seq[1:]:
        if t == EOS_ID:
            break
        if t >= len(SPECIALS):
            out.append(t)
    return out


def guard_words(ids: list[int]) -> list[int]:
    """``ids`` (word ids) under ``DECODE_GUARD``: capped, then a flagged loop trimmed."""
    from ..asr.real import COMPRESSION_RATIO_MAX, compression_ratio, trim_loop
    out = list(ids[:MAX_HYP_WORDS])
    if compression_ratio(decode(out)) > COMPRESSION_RATIO_MAX:
        out = trim_loop(out)
    return out
