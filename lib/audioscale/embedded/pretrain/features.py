"""Log-mel features of the training corpus, computed once and cached, and the corpora a
pretraining run reads, built before any job starts."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...paths import SAMPLE_RATE
from .. import asr_corpus
from ..models import MEL_FRAMES, SER_BACKBONE_NAME, feature_extractor
from ..vocab import encode
from .recipe import DEFAULT_STEPS, EVAL_SIZE, N_TRAIN, SER_TRAIN_POOL
from .schedule import encoder_frames

FEATURE_BATCH = 64  # utterances per log_mel call while the training features are built


def log_mel(waves: list[np.ndarray]) -> np.ndarray:
    """(B, 80, 800) float32 Whisper log-mel of each wave padded/cut to the 8 s window."""
    fe = feature_extractor()
    return fe(waves, sampling_rate=SAMPLE_RATE, return_tensors="np", device="cpu")["input_features"].astype(np.float32)


def train_features(n: int = N_TRAIN, seed: int = 0, pool: str = asr_corpus.ASR_TRAIN_POOL,
                   workers: int | None = None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(features memmap (N, 80, 800) fp16, texts, lengths in samples) of the training set;
    cached. Missing features are computed by ``workers`` processes (default: up to 2, one
    thread each), each writing its batches into the one file; a batch's log-mel does not
    depend on the thread count or on which process computes it (tested), so any split gives
    the same bytes."""
    path = asr_corpus.cache_dir() / f"train-features-{pool}-n{n}-s{seed}-v{asr_corpus.CORPUS_VERSION}.f16"
    texts, n_samples = asr_corpus.train_index(n, seed, pool=pool)
    if not path.is_file():
        folder = asr_corpus.train_set_folder(n, seed, pool=pool)
        # one temporary file per process: two processes that build the same features at once
        # (pretrain jobs started on a fresh cache) must not write into one file
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(len(texts), 80, MEL_FRAMES)).flush()
        starts = list(range(0, len(texts), FEATURE_BATCH))
        workers = asr_corpus._default_workers() if workers is None else workers
        if workers <= 1 or len(starts) < 4:
            _write_features(str(tmp), str(folder), starts)
        else:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context
            size = -(-len(starts) // min(len(starts), 8 * workers))  # 8 tasks a worker: they end together
            parts = [starts[i:i + size] for i in range(0, len(starts), size)]
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as ex:
                list(ex.map(_write_features_1thread, [str(tmp)] * len(parts), [str(folder)] * len(parts), parts))
        os.replace(tmp, path)  # the features are a function of (n, seed, pool): either copy is right
    return np.load(path, mmap_mode="r"), texts, n_samples


@dataclass(frozen=True)
class TrainingSet:
    """The training utterances as the mini Whisper stages read them."""
    feats: np.ndarray  # (N, 80, 800) float16 log-mel memmap
    texts: list[str]
    labels: list[list[int]]  # word ids of each text
    n_samples: np.ndarray  # length of each utterance in samples
    frames: torch.Tensor  # encoder frames that hold each utterance


def training_set(n: int = N_TRAIN, seed: int = 0) -> TrainingSet:
    feats, texts, n_samples = train_features(n, seed)
    return TrainingSet(feats, texts, [encode(t) for t in texts], n_samples, encoder_frames(n_samples))


def _write_features_1thread(tmp: str, folder: str, starts: list[int]) -> None:
    torch.set_num_threads(1)  # a worker process: the workers share the cores
    _write_features(tmp, folder, starts)


def _write_features(tmp: str, folder: str, starts: list[int]) -> None:
    """Log-mel of the training batches that begin at ``starts``, written into the memmap ``tmp``."""
    mm = np.load(tmp, mmap_mode="r+")
    for i in starts:
        mm[i:i + FEATURE_BATCH] = log_mel(asr_corpus.read_waves(Path(folder), i, i + FEATURE_BATCH)).astype(np.float16)
    mm.flush()


def prepare_corpora(names, seed: int = 0, n_train: int = N_TRAIN, eval_size: int = EVAL_SIZE) -> None:
    """Build every corpus and feature cache that pretraining ``names`` reads, once, with all cores.

    ``audioscale pretrain --jobs 2`` calls this before it starts any job: on a fresh cache
    each job would otherwise synthesise the same corpus at the same time.
    """
    if any(n in DEFAULT_STEPS for n in names):
        train_features(n_train, seed)
        for split in ("other", "clean"):
            asr_corpus.load_test_set(split=split, size=eval_size)
    if SER_BACKBONE_NAME in names:
        asr_corpus.train_set_folder(n_train, seed, pool=SER_TRAIN_POOL)
        asr_corpus.load_test_set(split="other", size=eval_size)
