"""ASR evaluation sets: utterance ids, reference transcripts and a way to get the audio.

Three sources, one result type (``AsrData``):
- a folder in **LibriSpeech's layout**: ``SPEAKER/CHAPTER/SPEAKER-CHAPTER.trans.txt`` (one
  ``UTT_ID TRANSCRIPT`` per line) beside ``UTT_ID.flac`` (or ``.wav``), at any depth;
- a folder with a **manifest**: ``*.manifest.tsv`` (header with ``utt_id`` and ``transcript``
  columns, optional ``duration_s``) and audio at ``audio/UTT_ID.{flac,wav}`` or
  ``audio/SPEAKER/CHAPTER/UTT_ID.{flac,wav}`` (the layout of ``/work/shared/data``);
- a **hub dataset id** read through ``datasets`` (``openslr/librispeech_asr``, config
  ``other``, split ``test`` for the paper's set), which needs the network or a local cache.

A transcript whose audio file is missing is an error unless ``allow_missing_audio=True``;
then it is skipped and *counted* (``n_missing_audio``), never dropped silently. Audio that
exists but cannot be read is a per-utterance ``AudioError`` raised by ``load``: a sweep
catches it, counts it (``n_bad_files``) and goes on.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..audio import AudioError, check_wave, load_audio, resample
from ..paths import SAMPLE_RATE
from ..errors import AudioscaleError
from ..textfile import read_text

AUDIO_SUFFIXES = (".flac", ".wav")
# Short names for the paper's evaluation set on the hub: (dataset id, config, split).
HUB_SETS = {
    "librispeech-test-other": ("openslr/librispeech_asr", "other", "test"),
    "librispeech-test-clean": ("openslr/librispeech_asr", "clean", "test"),
}


@dataclass(frozen=True)
class Utterance:
    utt_id: str
    transcript: str
    audio_path: Path | None = None  # None for hub rows (audio held in memory by the loader)
    duration_s: float | None = None  # from a manifest, when it has one


@dataclass
class AsrData:
    """An evaluation set. ``load(utt)`` returns 16 kHz mono float32 or raises ``AudioError``."""
    name: str  # portable description of the source (relative path or hub id)
    layout: str  # librispeech | manifest | hub
    utterances: list[Utterance]
    n_missing_audio: int = 0  # transcripts listed without an audio file (allow_missing_audio=True)
    _loader: Callable[[Utterance], np.ndarray] | None = field(default=None, repr=False)
    fingerprint: str = ""  # a local folder's content (audioscale.fingerprint); "" for named, versioned sets

    def __len__(self) -> int:
        return len(self.utterances)

    def load(self, utt: Utterance) -> np.ndarray:
        if self._loader is not None:
            return self._loader(utt)
        # Stereo files are an error here, not a silent downmix (see audioscale.audio).
        return load_audio(utt.audio_path, SAMPLE_RATE)

    def head(self, limit: int | None) -> "AsrData":
        """The first ``limit`` utterances in id order (all when None)."""
        if limit is None:
            return self
        return AsrData(self.name, self.layout, self.utterances[:limit], self.n_missing_audio, self._loader,
                       self.fingerprint)


def portable_name(source: str | Path) -> str:
    """A machine-independent label for a local path: relative to the repository when
    possible (rows and notebooks must not carry /work or /tmp paths)."""
    from ..paths import REPO

    p = Path(source).expanduser()
    if not p.exists():
        return str(source)
    p = p.resolve()
    try:
        return os.path.relpath(p, REPO)
    except ValueError:  # another drive (Windows)
        return p.name


def load_asr_data(source: str | Path, limit: int | None = None, allow_missing_audio: bool = False,
                  hub_config: str | None = None, hub_split: str | None = None) -> AsrData:
    """An ``AsrData`` from a local folder (LibriSpeech or manifest layout) or a hub id."""
    src = str(source)
    p = Path(src).expanduser()
    looks_local = p.exists() or src.startswith((".", "/", "~")) or src.count("/") > 1
    if looks_local:
        data = _load_folder(p, allow_missing_audio)
    else:
        data = _load_hub(src, hub_config, hub_split)
    if limit is not None:
        if limit < 1:
            raise AudioscaleError(f"limit={limit} must be >= 1 (number of utterances), or omitted for all.")
        data = data.head(limit)
    return data


def _find_audio(folder: Path, utt_id: str) -> Path | None:
    for suffix in AUDIO_SUFFIXES:
        cand = folder / f"{utt_id}{suffix}"
        if cand.is_file():
            return cand
    return None


def _load_folder(root: Path, allow_missing_audio: bool) -> AsrData:
    if not root.is_dir():
        raise AudioscaleError(f"data folder {str(root)!r} does not exist. Fix: give a folder in LibriSpeech's "
                              "layout (SPEAKER/CHAPTER/*.trans.txt + *.flac), or a hub id such as "
                              "'librispeech-test-other'.")
    transcripts = sorted(root.rglob("*.trans.txt"))
    if transcripts:
        return _librispeech(root, transcripts, allow_missing_audio)
    manifests = sorted(root.glob("*.manifest.tsv"))
    if manifests:
        if len(manifests) > 1:
            raise AudioscaleError(f"{root}: {len(manifests)} manifests ({[m.name for m in manifests]}); "
                                  "Fix: keep one *.manifest.tsv per data folder.")
        return _manifest(root, manifests[0], allow_missing_audio)
    raise AudioscaleError(f"data folder {str(root)!r} holds no *.trans.txt (LibriSpeech layout) and no "
                          "*.manifest.tsv: nothing to evaluate. Fix: point --data at the folder that "
                          "contains the SPEAKER/CHAPTER sub-folders.")


def _finish(root: Path, layout: str, utts: list[Utterance], missing: list[str],
            allow_missing_audio: bool) -> AsrData:
    if missing and not allow_missing_audio:
        raise AudioscaleError(
            f"{root}: {len(missing)} of {len(utts) + len(missing)} transcripts have no audio file "
            f"(first: {missing[:3]}). Fix: add the audio, or pass allow_missing_audio=True "
            "(CLI: --allow-missing-audio) to score only the utterances present; the rest are counted "
            "in n_missing_audio.")
    if not utts:
        raise AudioscaleError(f"{root}: none of the {len(missing)} transcripts has an audio file "
                              f"({AUDIO_SUFFIXES}). Fix: check that the audio sits beside its transcript.")
    utts.sort(key=lambda u: u.utt_id)
    from ..fingerprint import folder_fingerprint

    texts = [p for pattern in ("*.trans.txt", "*.manifest.tsv") for p in root.rglob(pattern)]
    audio = [u.audio_path for u in utts if u.audio_path is not None and u.audio_path.is_file()]
    return AsrData(portable_name(root), layout, utts, n_missing_audio=len(missing),
                   fingerprint=folder_fingerprint(root, texts + audio))


def _librispeech(root: Path, transcripts: list[Path], allow_missing_audio: bool) -> AsrData:
    utts, missing, seen = [], [], set()
    for tfile in transcripts:
        for i, line in enumerate(read_text(tfile, "transcript file").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.strip().split(maxsplit=1)
            utt_id, text = parts[0], (parts[1] if len(parts) > 1 else "")
            if utt_id in seen:
                raise AudioscaleError(f"{tfile}:{i}: utterance {utt_id!r} is listed twice. Fix: remove the duplicate.")
            seen.add(utt_id)
            audio = _find_audio(tfile.parent, utt_id)
            if audio is None:
                missing.append(utt_id)
            else:
                utts.append(Utterance(utt_id, text, audio))
    return _finish(root, "librispeech", utts, missing, allow_missing_audio)


def _manifest(root: Path, manifest: Path, allow_missing_audio: bool) -> AsrData:
    rows = list(csv.DictReader(io.StringIO(read_text(manifest, "manifest"), newline=""), delimiter="\t",
                               quoting=csv.QUOTE_NONE))
    if not rows or not {"utt_id", "transcript"} <= set(rows[0]):
        raise AudioscaleError(f"{manifest}: needs a header with 'utt_id' and 'transcript' columns.")
    audio_dir = root / "audio"
    utts, missing = [], []
    for r in rows:
        utt_id = r["utt_id"]
        audio = _find_audio(audio_dir, utt_id)
        if audio is None and r.get("speaker_id") and r.get("chapter_id"):
            audio = _find_audio(audio_dir / r["speaker_id"] / r["chapter_id"], utt_id)
        dur = float(r["duration_s"]) if r.get("duration_s") else None
        if audio is None:
            missing.append(utt_id)
        else:
            utts.append(Utterance(utt_id, r["transcript"], audio, dur))
    return _finish(root, "manifest", utts, missing, allow_missing_audio)


def _load_hub(source: str, hub_config: str | None, hub_split: str | None) -> AsrData:
    dataset_id, config, split = HUB_SETS.get(source, (source, hub_config, hub_split or "test"))
    config = hub_config or config
    split = hub_split or split
    from ..hub import check_reachable

    check_reachable(dataset_id, f"data {source!r}", repo_type="dataset")
    try:
        import datasets
        ds = datasets.load_dataset(dataset_id, config, split=split)
    except Exception as e:  # offline, unknown id, missing config: all surface as different types
        raise AudioscaleError(
            f"could not load dataset {dataset_id!r} (config={config!r}, split={split!r}) from the hub: "
            f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}. Fix: run where the hub is "
            "reachable (or its datasets cache holds it), or pass a local folder in LibriSpeech's layout.") from None
    for col in ("audio", "text", "id"):
        if col not in ds.column_names:
            raise AudioscaleError(f"dataset {dataset_id!r} has no {col!r} column (has {ds.column_names}).")
    # Decode ourselves (soundfile) rather than through datasets' optional audio backends.
    ds = ds.cast_column("audio", datasets.Audio(decode=False))
    index = {row_id: i for i, row_id in enumerate(ds["id"])}
    utts = sorted((Utterance(str(row_id), text) for row_id, text in zip(ds["id"], ds["text"])),
                  key=lambda u: u.utt_id)

    def load(utt: Utterance) -> np.ndarray:
        import soundfile as sf
        item = ds[index[utt.utt_id]]["audio"]
        try:
            if item.get("bytes"):
                wave, sr = sf.read(io.BytesIO(item["bytes"]), dtype="float32", always_2d=True)
            else:
                wave, sr = sf.read(item["path"], dtype="float32", always_2d=True)
        except Exception as e:
            raise AudioError(f"{utt.utt_id}: cannot be decoded ({type(e).__name__}: {e}).") from None
        wave = check_wave(wave[:, 0] if wave.shape[1] == 1 else wave, utt.utt_id)
        return check_wave(resample(wave, sr, SAMPLE_RATE), utt.utt_id)

    return AsrData(f"{dataset_id}:{config}:{split}", "hub", utts, 0, load)
