"""The embedded world's closed vocabulary and its word-level tokenizer.

Ids are positions in ``TOKENS``: the four specials, then the 32 words in a fixed order. Digit
homophones ("to", "for") are left out on purpose: a word-level model could not tell "two"
from "to".
"""
from __future__ import annotations

from typing import Iterable, Sequence

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COLOURS = ("red", "green", "blue", "yellow", "white", "black")
NOUNS = ("cat", "dog", "bird", "car", "box", "ball")
VERBS = ("take", "move", "find", "open", "stop", "go")
FUNCTION_WORDS = ("the", "and", "with", "on")
VOCAB = DIGITS + COLOURS + NOUNS + VERBS + FUNCTION_WORDS  # 32 words, in a fixed order

PAD, BOS, EOS, UNK = "<pad>", "<s>", "</s>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)
TOKENS = SPECIALS + VOCAB
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(len(SPECIALS))

_WORD_ID = {t: i for i, t in enumerate(TOKENS)}


def encode(text: str) -> list[int]:
    """Ids of a lower-case, space-separated sentence of vocabulary words (KeyError on any other word)."""
    return [_WORD_ID[w] for w in text.split()]


def decode(ids: Iterable[int]) -> str:
    """The words of ``ids``, specials dropped."""
    return " ".join(TOKENS[i] for i in ids if i >= len(SPECIALS))


def word_tokenizer(tokens: Sequence[str] = TOKENS, lowercase: bool = True, cleanup: bool = False,
                   additional_special_tokens: Sequence[str] = ()):
    """A word-level ``PreTrainedTokenizerFast`` over ``tokens`` (id = position) that
    ``AutoTokenizer`` loads back offline; ``tokens`` must begin with ``SPECIALS``.

    ``lowercase``: lower-case the input first (LibriSpeech transcripts are upper case).
    ``cleanup``: the WordPiece decoder's clean-up of spaces before punctuation, a no-op on this
    vocabulary; ``asr.toy``'s folders were saved with it on and without ``lowercase``, and
    pass both so that their bytes stay as they were.
    """
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    if tuple(tokens[:len(SPECIALS)]) != SPECIALS:
        raise ValueError(f"tokens must begin with {SPECIALS}, got {tuple(tokens[:len(SPECIALS)])}")
    tok = Tokenizer(WordLevel({t: i for i, t in enumerate(tokens)}, unk_token=UNK))
    if lowercase:
        tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=cleanup)  # joins words with spaces
    specials = dict(pad_token=PAD, bos_token=BOS, eos_token=EOS, unk_token=UNK)
    if additional_special_tokens:
        specials["additional_special_tokens"] = list(additional_special_tokens)
    return PreTrainedTokenizerFast(tokenizer_object=tok, **specials)
