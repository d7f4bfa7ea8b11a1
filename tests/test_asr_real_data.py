"""Real LibriSpeech fixtures from /work/shared/data (read in place; skipped when absent).

- test-other: a manifest of all 2939 utterances + one real clip (audio/1688-142285-0000.wav);
- test-clean: 4 original FLAC files in LibriSpeech's own SPEAKER/CHAPTER layout.
"""
from pathlib import Path

import pytest

from audioscale.asr.data import load_asr_data
from audioscale.asr.duration import length_profile, manifest_lengths
from audioscale.errors import AudioscaleError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OTHER = SHARED / "librispeech-test-other"
CLEAN = SHARED / "librispeech-test-clean"


@pytest.mark.skipif(not (OTHER / "audio" / "1688-142285-0000.wav").is_file(), reason="shared test-other absent")
def test_test_other_clip_through_the_folder_loader():
    with pytest.raises(AudioscaleError, match="2938 of 2939 transcripts have no audio file"):
        load_asr_data(OTHER)
    data = load_asr_data(OTHER, allow_missing_audio=True)
    assert (data.layout, len(data), data.n_missing_audio) == ("manifest", 1, 2938)
    utt = data.utterances[0]
    assert utt.utt_id == "1688-142285-0000" and utt.transcript.startswith("THERE'S IRON THEY SAY")
    wave = data.load(utt)
    assert len(wave) == 240000 and utt.duration_s == 15.0  # PROVENANCE: 240000 samples = 15.000 s


@pytest.mark.skipif(not (CLEAN / "audio" / "1089").is_dir(), reason="shared test-clean absent")
def test_test_clean_librispeech_layout():
    data = load_asr_data(CLEAN / "audio")
    assert data.layout == "librispeech" and len(data) == 4
    lengths = [len(data.load(u)) for u in data.utterances]
    assert lengths == [166960, 52400, 33360, 86640]  # PROVENANCE: the original FLAC sample counts


@pytest.mark.skipif(not (OTHER / "test-other.manifest.tsv").is_file(), reason="shared test-other absent")
def test_test_other_length_profile():
    prof = length_profile(manifest_lengths(OTHER / "test-other.manifest.tsv"), cut_s=15.0, window_s=30.0)
    assert (prof["n_utts"], prof["n_words"]) == (2939, 52343)  # the official test-other counts
    assert 0.05 < prof["frac_utts_over_cut"] < 0.07
    assert 0.03 < prof["frac_words_beyond_cut"] < 0.04
    assert prof["frac_words_beyond_window"] < 0.002  # only 7 utterances exceed 30 s
