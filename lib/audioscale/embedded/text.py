"""Sentences of the embedded world, drawn with a seed from the closed vocabulary (``vocab``).

Sentences are only loosely grammatical (random chunks), so a decoder cannot lean on a
language model and must listen.
"""
from __future__ import annotations

import random

from ..errors import check_int_range
from .vocab import COLOURS, DIGITS, NOUNS, VERBS, VOCAB


def _chunk(rng: random.Random) -> list[str]:
    kind = rng.randrange(6)
    if kind == 0:  # a digit run, as in a code or a number read digit by digit
        return [rng.choice(DIGITS) for _ in range(rng.randint(1, 4))]
    if kind == 1:
        return [rng.choice(VERBS), "the", rng.choice(COLOURS), rng.choice(NOUNS)]
    if kind == 2:
        return [rng.choice(COLOURS), rng.choice(NOUNS)]
    if kind == 3:
        return [rng.choice(NOUNS), rng.choice(("on", "with")), "the", rng.choice(NOUNS)]
    if kind == 4:
        return ["and"]
    return [rng.choice(VOCAB)]


def sentence(rng: random.Random, n_words: int) -> str:
    """One sentence of exactly ``n_words`` words (lower case, single spaces)."""
    n_words = check_int_range("n_words", n_words, 1, 64)
    words: list[str] = []
    while len(words) < n_words:
        words += _chunk(rng)
    return " ".join(words[:n_words])


def sentences(n: int, seed: int, min_words: int = 3, max_words: int = 15) -> list[str]:
    """``n`` sentences with a length drawn uniformly from [min_words, max_words]; same seed, same list."""
    n = check_int_range("n", n, 0)
    lo = check_int_range("min_words", min_words, 1, 64)
    hi = check_int_range("max_words", max_words, lo, 64, fix="max_words must be >= min_words.")
    rng = random.Random(f"audioscale-text-{seed}")
    return [sentence(rng, rng.randint(lo, hi)) for _ in range(n)]
