"""Shared test fixtures for the SER tests: a tiny random wav2vec2 and a CREMA-D-layout corpus
of synthetic tones (each emotion its own pitch and tremolo, each speaker its own offset)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from audioscale.models.architectures import SER_CLASSES

SR = 16000
REAL_CREMA_D = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "crema-d"


def tiny_wav2vec2_config(**overrides):
    from transformers import Wav2Vec2Config
    kw = dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
              conv_dim=(8,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
              classifier_proj_size=8, num_labels=len(SER_CLASSES), attn_implementation="eager",
              mask_time_prob=0.0, layerdrop=0.0)
    kw.update(overrides)
    return Wav2Vec2Config(**kw)


def save_tiny_wav2vec2(folder: Path, seed: int = 0) -> Path:
    from audioscale.models.architectures import build_wav2vec2
    build_wav2vec2(tiny_wav2vec2_config(), device="cpu", seed=seed).save_pretrained(folder)
    return folder


def tone(emotion: str, speaker: int, k: int, rng: np.random.Generator) -> np.ndarray:
    i = SER_CLASSES.index(emotion)
    dur_s = 0.4 + 0.15 * (k % 4) + 0.1 * rng.random()
    t = np.arange(int(dur_s * SR)) / SR
    f0 = 150 + 60 * i + 10 * (speaker % 3)
    trem = 1 + 0.5 * np.sin(2 * np.pi * (2 + i) * t)
    return (0.3 * trem * np.sin(2 * np.pi * f0 * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def write_tone_corpus(root: Path, n_speakers: int = 6, per_class: int = 2, seed: int = 0,
                      demographics: bool = True) -> Path:
    rng = np.random.default_rng(seed)
    wav_dir = root / "AudioWAV"
    wav_dir.mkdir(parents=True, exist_ok=True)
    actors = [1001 + s for s in range(n_speakers)]
    for s, actor in enumerate(actors):
        for emotion in SER_CLASSES:
            for k in range(per_class):
                sentence = ("DFA", "IEO", "TIE", "MTI")[k % 4]
                sf.write(wav_dir / f"{actor}_{sentence}_{emotion}_XX.wav", tone(emotion, s, k, rng), SR,
                         subtype="PCM_16")
    if demographics:
        lines = ['"ActorID","Age","Sex","Race","Ethnicity"'] + [
            f'{a},30,"{"Male" if a % 2 else "Female"}","Unknown","Unknown"' for a in actors]
        (root / "VideoDemographics.csv").write_text("\n".join(lines) + "\n")
    return root
