"""Offline stand-ins for hub checkpoints and LibriSpeech: random-init Whisper systems saved
with ``save_pretrained`` and synthetic folders in LibriSpeech's layout.

They exercise the real code paths (loading, feature extraction, xT/xV, decoding, WER,
result rows) with no download; their WER is meaningless (random weights) and is never
compared with the paper. Used by tests, ``benchmarks/asr_bench.py`` and notebook
development before trained checkpoints exist.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..embedded.vocab import SPECIALS, VOCAB
from ..paths import SAMPLE_RATE

# Real Whisper (multilingual) ids of the tokens the decoder prompt uses.
WHISPER_SPECIAL_IDS = {"<|endoftext|>": 50257, "<|startoftranscript|>": 50258, "<|en|>": 50259,
                       "<|transcribe|>": 50359, "<|notimestamps|>": 50363}


def word_tokenizer(vocab_size: int | None = None, whisper_specials: bool = False):
    """A word-level tokenizer like the embedded minis' (``embedded.vocab``): ``<pad> <s> </s> <unk>``
    then the 32 words; with ``vocab_size`` it is padded with ``w<i>`` fillers up to that size and,
    with ``whisper_specials``, Whisper's prompt tokens sit at their real ids."""
    from ..embedded.vocab import word_tokenizer as vocab_tokenizer

    tokens = [*SPECIALS, *VOCAB]
    if vocab_size is not None:
        tokens += [f"w{i}" for i in range(len(tokens), vocab_size)]
    if whisper_specials:
        for tok, i in WHISPER_SPECIAL_IDS.items():
            tokens[i] = tok
    # no lower-casing and the decoder's clean-up on: how the toy folders were always saved
    return vocab_tokenizer(tokens, lowercase=False, cleanup=True,
                           additional_special_tokens=list(WHISPER_SPECIAL_IDS) if whisper_specials else ())


def whisper_tokenizer():
    """Whisper's real multilingual tokenizer (51,865 tokens) as a ``WhisperTokenizerFast``,
    built offline from the BPE ranks that the openai-whisper package ships; its ids equal
    openai-whisper's (``<|startoftranscript|>`` = 50258, ``<|notimestamps|>`` = 50363)."""
    import os

    import whisper.tokenizer as wt
    from transformers import WhisperTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    enc = wt.get_encoding("multilingual")
    ranks = os.path.join(os.path.dirname(wt.__file__), "assets", "multilingual.tiktoken")
    specials = [tok for tok, _ in sorted(enc._special_tokens.items(), key=lambda kv: kv[1])]
    tk = TikTokenConverter(vocab_file=ranks, pattern=enc._pat_str, extra_special_tokens=specials).converted()
    end = "<|endoftext|>"
    return WhisperTokenizerFast(tokenizer_object=tk, unk_token=end, bos_token=end, eos_token=end, pad_token=end)


def whisper_generation_config(tokenizer):
    """What hub checkpoints carry so ``generate(language="en", task="transcribe")`` and the
    ASR pipeline can build the 4-token prompt (multilingual ids)."""
    from transformers import GenerationConfig

    ids = tokenizer.get_vocab()
    return GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=ids["<|endoftext|>"],
        pad_token_id=ids["<|endoftext|>"], bos_token_id=ids["<|endoftext|>"], is_multilingual=True,
        lang_to_id={"<|en|>": ids["<|en|>"]},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], max_length=448,
        begin_suppress_tokens=[220, ids["<|endoftext|>"]])


def mini_config(d_model: int = 32, layers: int = 1, heads: int = 2, window_s: float = 4.0, **overrides):
    """A tiny Whisper config with a word vocabulary and a ``window_s`` encoder window."""
    from transformers import WhisperConfig

    kw = dict(vocab_size=len(SPECIALS) + len(VOCAB), num_mel_bins=80, d_model=d_model, encoder_layers=layers,
              decoder_layers=layers, encoder_attention_heads=heads, decoder_attention_heads=heads,
              encoder_ffn_dim=4 * d_model, decoder_ffn_dim=4 * d_model,
              max_source_positions=int(round(window_s * 50)), max_target_positions=32,
              pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
              begin_suppress_tokens=None, suppress_tokens=None, attn_implementation="eager",
              # Random weights at Whisper's init_std 0.02 emit one token forever; at 0.4 the output
              # depends on the audio, so equality tests between decoders are not vacuous.
              init_std=0.4)
    kw.update(overrides)
    return WhisperConfig(**kw)


def save_system(folder: str | Path, config, seed: int = 0, tokenizer=None) -> Path:
    """Random-init model (safetensors) + matching feature extractor + tokenizer in ``folder``."""
    from transformers import GenerationConfig, WhisperFeatureExtractor
    from transformers.utils import logging as hf_logging

    from ..models.architectures import build_whisper

    hf_logging.disable_progress_bar()

    folder = Path(folder)
    model = build_whisper(config, device="cpu", seed=seed)
    if config.vocab_size == len(SPECIALS) + len(VOCAB):  # a word-vocabulary mini
        model.generation_config = GenerationConfig(decoder_start_token_id=1, eos_token_id=2, pad_token_id=0,
                                                   bos_token_id=1)
        tokenizer = tokenizer or word_tokenizer()
    elif tokenizer is None and config.vocab_size == 51865:  # the real multilingual vocabulary
        tokenizer = whisper_tokenizer()
        model.generation_config = whisper_generation_config(tokenizer)
    else:
        tokenizer = tokenizer or word_tokenizer(config.vocab_size, whisper_specials=True)
    model.save_pretrained(folder, safe_serialization=True)
    # 100 mel frames per second, 2 mel frames per encoder token; whole seconds only.
    window_s, rest = divmod(config.max_source_positions * 2, 100)
    if rest:
        raise ValueError(f"max_source_positions={config.max_source_positions} is not a whole-second window")
    WhisperFeatureExtractor(feature_size=config.num_mel_bins, chunk_length=window_s).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tone_speech(duration_s: float, seed: int, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A deterministic speech-like signal: a few harmonic 'syllables' with pauses."""
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sr))
    t = np.arange(n) / sr
    f0 = 100 + 80 * rng.random()
    env = (np.sin(2 * np.pi * (2 + 3 * rng.random()) * t) > -0.2).astype(np.float32)
    wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 5)) * env
    return (0.2 * wave / np.max(np.abs(wave) + 1e-9) + 0.003 * rng.standard_normal(n)).astype(np.float32)


def write_librispeech_folder(root: str | Path, durations_s=(1.0, 1.5, 2.0, 2.5), speaker: str = "11",
                             chapter: str = "22", seed: int = 0, sr: int = SAMPLE_RATE) -> list[str]:
    """``root/SPEAKER/CHAPTER/*.flac`` + ``SPEAKER-CHAPTER.trans.txt`` (LibriSpeech layout); returns ids."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    folder = Path(root) / speaker / chapter
    folder.mkdir(parents=True, exist_ok=True)
    lines, ids = [], []
    for k, dur in enumerate(durations_s):
        utt = f"{speaker}-{chapter}-{k:04d}"
        sf.write(folder / f"{utt}.flac", tone_speech(dur, seed + k, sr), sr, subtype="PCM_16")
        words = rng.choice(VOCAB, size=int(rng.integers(2, 7)))
        lines.append(f"{utt} {' '.join(words).upper()}")
        ids.append(utt)
    trans = folder / f"{speaker}-{chapter}.trans.txt"
    with trans.open("w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return ids
