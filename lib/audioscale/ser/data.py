"""CREMA-D on disk: file names -> labelled clips, speaker-independent splits, waveforms.

CREMA-D names every clip ``ActorID_Sentence_Emotion_Intensity.wav`` (``1001_DFA_ANG_XX.wav``:
actor 1001, sentence "DFA", anger, unspecified intensity) under ``AudioWAV/``; actor
demographics live in ``VideoDemographics.csv``. The label is the *intended* emotion in the
file name (the paper's protocol; the crowd votes are not used).

Splits are by speaker (no actor in two splits), because SER accuracy on seen speakers
overstates what a model does on new voices. They are drawn from a seeded permutation of the
sorted actor ids, so a seed names one split exactly, and are written to CSV for the record.
A corpus may pin its test speakers with ``test_actors.csv`` (one ``ActorID`` column): the
embedded corpus does this so its test voices are held-out eSpeak voices.

A hub dataset can be materialised into the same layout (``materialize_hub``) through
``datasets``; offline that fails with a message saying so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..models.architectures import SER_CLASSES
from ..audio import AudioError, load_audio
from ..errors import AudioscaleError

EMOTION_NAMES = {"ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "happy",
                 "NEU": "neutral", "SAD": "sad"}
LABEL_OF = {code: i for i, code in enumerate(SER_CLASSES)}
INTENSITIES = ("LO", "MD", "HI", "XX")  # XX = unspecified (11 of the 12 sentences)
SPLITS = ("train", "validation", "test")
_NAME = re.compile(r"^(?P<actor>\d+)_(?P<sentence>[A-Za-z0-9]+)_(?P<emotion>[A-Za-z]+)_(?P<intensity>[A-Za-z]+)$")
AUDIO_SUFFIXES = (".wav", ".flac")
# wav2vec2's CNN needs 400 samples (25 ms at 16 kHz) for one output frame.
MIN_CLIP_SAMPLES = 400


@dataclass(frozen=True)
class ClipName:
    actor_id: int
    sentence: str
    emotion: str
    intensity: str

    @property
    def label(self) -> int:
        return LABEL_OF[self.emotion]


def parse_clip_name(name: str) -> ClipName:
    """``1001_DFA_ANG_XX.wav`` -> ClipName(1001, 'DFA', 'ANG', 'XX'); bad names raise."""
    stem = Path(name).stem
    m = _NAME.match(stem)
    if not m:
        raise AudioscaleError(
            f"clip name {name!r} does not follow CREMA-D's ActorID_Sentence_Emotion_Intensity "
            "pattern (e.g. 1001_DFA_ANG_XX.wav). Fix: rename the file or remove it from the folder.")
    emotion = m["emotion"].upper()
    if emotion not in LABEL_OF:
        raise AudioscaleError(
            f"clip {name!r}: emotion code {m['emotion']!r} is not one of {list(SER_CLASSES)}. "
            "Fix: rename the file with a CREMA-D emotion code or remove it.")
    intensity = m["intensity"].upper()
    if intensity not in INTENSITIES:
        raise AudioscaleError(
            f"clip {name!r}: intensity {m['intensity']!r} is not one of {list(INTENSITIES)}. "
            "Fix: rename the file or remove it.")
    return ClipName(int(m["actor"]), m["sentence"].upper(), emotion, intensity)


def audio_dir(root: str | Path) -> Path:
    """``root/AudioWAV`` if present, else ``root`` itself when it holds audio files."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise AudioscaleError(f"data folder {str(root)!r} does not exist. Fix: pass a CREMA-D folder "
                              "(with AudioWAV/) or build the embedded corpus first.")
    sub = root / "AudioWAV"
    if sub.is_dir():
        return sub
    if any(p.suffix.lower() in AUDIO_SUFFIXES for p in root.iterdir()):
        return root
    raise AudioscaleError(f"data folder {str(root)!r} has no AudioWAV/ sub-folder and no .wav/.flac "
                          "files. Fix: point --data at the CREMA-D root (the folder holding AudioWAV/).")


def _find(root: Path, name: str) -> Path | None:
    for cand in (root / name, root / "metadata" / name):
        if cand.is_file():
            return cand
    return None


def read_demographics(root: str | Path) -> pd.DataFrame | None:
    """``VideoDemographics.csv`` (ActorID, Age, Sex, Race, Ethnicity) if the folder has it."""
    path = _find(Path(root), "VideoDemographics.csv")
    if path is None:
        return None
    demo = pd.read_csv(path)
    if "ActorID" not in demo:
        raise AudioscaleError(f"{path.name} has no ActorID column (columns: {list(demo.columns)}). "
                              "Fix: use CREMA-D's VideoDemographics.csv unchanged.")
    repeated = sorted(set(demo.loc[demo["ActorID"].duplicated(), "ActorID"]))
    if repeated:  # a merge on it would copy each of that actor's clips once per line
        raise AudioscaleError(f"{path.name} lists actor {repeated[0]} more than once ({len(repeated)} repeated "
                              "actor(s)): each would duplicate that actor's clips. Fix: keep one line per ActorID.")
    return demo.rename(columns={"ActorID": "actor_id", "Age": "age", "Sex": "sex"})


def scan(root: str | Path) -> pd.DataFrame:
    """One row per clip: file, path, actor_id, sentence, emotion, intensity, label (+ sex, age).

    Rows are sorted by file name so everything downstream is order-independent of the
    file system.
    """
    folder = audio_dir(root)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise AudioscaleError(f"no .wav/.flac clips in {str(folder)!r}.")
    rows = []
    for p in files:
        c = parse_clip_name(p.name)
        rows.append({"file": p.name, "path": str(p), "actor_id": c.actor_id, "sentence": c.sentence,
                     "emotion": c.emotion, "intensity": c.intensity, "label": c.label})
    df = pd.DataFrame(rows)
    demo = read_demographics(root)
    if demo is not None:
        unknown = sorted(set(df.actor_id) - set(demo.actor_id))
        if unknown:
            raise AudioscaleError(
                f"actors {unknown[:5]} have clips but are not in VideoDemographics.csv. "
                "Fix: add them to the CSV or remove their clips.")
        keep = [c for c in ("actor_id", "sex", "age") if c in demo]
        df = df.merge(demo[keep], on="actor_id", how="left")
    return df


def read_test_actors(root: str | Path) -> list[int] | None:
    path = _find(Path(root), "test_actors.csv")
    if path is None:
        return None
    ids = pd.read_csv(path)
    if "ActorID" not in ids:
        raise AudioscaleError(f"{path.name} needs an ActorID column listing the test speakers.")
    return sorted(int(a) for a in ids.ActorID)


def make_splits(df: pd.DataFrame, seed: int = 0, val_frac: float = 0.15, test_frac: float = 0.15,
                test_actors: list[int] | None = None) -> pd.DataFrame:
    """Add a ``split`` column (train / validation / test), no actor in two splits.

    Actors are permuted by ``numpy.random.default_rng(seed)`` from their sorted order; the
    first ``round(test_frac·n)`` go to test (unless ``test_actors`` pins them), the next
    ``round(val_frac·n)`` to validation (at least one each), the rest to train.
    """
    actors = np.array(sorted(df.actor_id.unique()))
    pinned = sorted(set(test_actors)) if test_actors else []
    missing = sorted(set(pinned) - set(actors))
    if missing:
        raise AudioscaleError(f"test actors {missing[:5]} have no clips in the data. "
                              "Fix: correct test_actors.csv or the data folder.")
    pool = np.array([a for a in actors if a not in set(pinned)])
    n_test = 0 if pinned else max(1, int(round(test_frac * len(actors))))
    n_val = max(1, int(round(val_frac * len(actors))))
    if len(pool) - n_test - n_val < 1:
        raise AudioscaleError(
            f"{len(actors)} speakers are too few for speaker-independent train/validation/test "
            "splits: need at least 3 (one per split). Fix: add speakers.")
    order = pool[np.random.default_rng(seed).permutation(len(pool))]
    test = set(pinned) | set(order[:n_test].tolist())
    val = set(order[n_test:n_test + n_val].tolist())
    out = df.copy()
    out["split"] = ["test" if a in test else "validation" if a in val else "train" for a in out.actor_id]
    check_speaker_disjoint(out)
    return out


def check_speaker_disjoint(df: pd.DataFrame) -> None:
    """Raise if any actor has clips in more than one split."""
    per_actor = df.groupby("actor_id")["split"].nunique()
    leaked = per_actor[per_actor > 1].index.tolist()
    if leaked:
        where = df[df.actor_id == leaked[0]].split.unique().tolist()
        raise AudioscaleError(
            f"speaker {leaked[0]} is in splits {sorted(where)} ({len(leaked)} such speakers): splits "
            "must be speaker-independent. Fix: regenerate the splits with make_splits.")


def splits_csv(df: pd.DataFrame) -> str:
    """The split of every clip as CSV text (file, actor_id, emotion, split): no machine paths."""
    return df[["file", "actor_id", "emotion", "split"]].sort_values("file").to_csv(index=False)


def write_splits(df: pd.DataFrame, path: str | Path) -> Path:
    """``splits_csv`` of ``df`` written to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(splits_csv(df))
    return path


def read_splits(path: str | Path, clips: pd.DataFrame) -> pd.DataFrame:
    """Attach the ``split`` column stored at ``path`` to ``clips`` (from ``scan``), checked."""
    stored = pd.read_csv(path)
    missing = sorted(set(clips.file) - set(stored.file))
    if missing:
        raise AudioscaleError(f"splits file {Path(path).name} has no split for {missing[0]} "
                              f"({len(missing)} clips). Fix: regenerate it with make_splits.")
    out = clips.merge(stored[["file", "split"]], on="file", how="left")
    bad = sorted(set(out.split) - set(SPLITS))
    if bad:
        raise AudioscaleError(f"splits file {Path(path).name}: unknown split names {bad}; use {list(SPLITS)}.")
    check_speaker_disjoint(out)
    return out


def load_waves(df: pd.DataFrame) -> tuple[list[np.ndarray], pd.DataFrame, list[tuple[str, str]]]:
    """Load every clip (16 kHz mono float32). Bad clips are skipped, reported and counted.

    Returns (waves, the rows that loaded, [(file, reason), ...] for the ones that did not).
    """
    waves, keep, bad = [], [], []
    for i, row in enumerate(df.itertuples(index=False)):
        try:
            wave = load_audio(row.path)
            if len(wave) < MIN_CLIP_SAMPLES:
                raise AudioError(f"{row.file}: {len(wave)} samples is shorter than one wav2vec2 frame "
                                 f"({MIN_CLIP_SAMPLES} samples = 25 ms). Fix: drop the clip.")
            waves.append(wave)
            keep.append(i)
        except AudioError as e:
            bad.append((row.file, str(e).replace(str(Path(row.path).parent) + "/", "")))
    if not waves:
        raise AudioscaleError(f"none of the {len(df)} clips could be loaded; first error: {bad[0][1]}")
    return waves, df.iloc[keep].reset_index(drop=True), bad


def materialize_hub(hub_id: str, dest: str | Path, split: str = "train") -> Path:
    """Write a hub copy of CREMA-D (``datasets``) into ``dest/AudioWAV`` in CREMA-D's layout.

    The dataset must carry the original file names (``audio["path"]`` or a ``path``/``file``
    column), since the label and speaker come from them.
    """
    import soundfile as sf
    try:
        import datasets
        ds = datasets.load_dataset(hub_id, split=split)
    except Exception as e:  # offline, unknown id, auth: all the same fix
        raise AudioscaleError(
            f"could not load dataset {hub_id!r} through `datasets` ({type(e).__name__}: "
            f"{str(e).splitlines()[0][:160] if str(e) else ''}). Fix: run where the HuggingFace hub "
            "is reachable, or pass a local CREMA-D folder (with AudioWAV/) to --data.") from None
    out = Path(dest) / "AudioWAV"
    out.mkdir(parents=True, exist_ok=True)
    for ex in ds:
        audio = ex.get("audio") or {}
        name = Path(audio.get("path") or ex.get("path") or ex.get("file") or "").name
        parse_clip_name(name)  # fail early, naming the clip
        from ..audio import resample
        wave = resample(np.asarray(audio["array"], dtype=np.float32), int(audio["sampling_rate"]))
        sf.write(out / (Path(name).stem + ".wav"), wave, 16000, subtype="PCM_16")
    return Path(dest)
