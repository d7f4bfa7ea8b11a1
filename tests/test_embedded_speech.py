"""The embedded world's synthesizer and sentence generator are deterministic and sane."""
import numpy as np
import pytest

from audioscale.embedded import speech, text
from audioscale.errors import AudioscaleError


def test_same_arguments_give_identical_samples_whatever_was_spoken_before():
    args = ("take the red ball and go", "en-us+f2", 150, 60, 70, 100, 2)
    a = speech.synthesize(*args)
    speech.synthesize("one two three four", "en-029+m3", 200, 20, 90, 60, 4)  # disturbs eSpeak's state
    b = speech.synthesize(*args)
    assert a.dtype == np.float32 and a.ndim == 1
    np.testing.assert_array_equal(a, b)
    # ~2 s of speech at 16 kHz, clearly non-silent and within [-1, 1]
    assert 1.0 < len(a) / speech.SAMPLE_RATE < 3.5
    assert 0.05 < np.abs(a).max() <= 1.0 and a.std() > 0.01


def test_parameters_change_the_audio():
    slow = speech.synthesize("one two three", rate_wpm=100)
    fast = speech.synthesize("one two three", rate_wpm=250)
    assert len(slow) > 1.5 * len(fast)
    assert not np.array_equal(speech.synthesize("go", pitch=20), speech.synthesize("go", pitch=80))


def test_word_events_give_increasing_times_inside_the_audio():
    wave, starts = speech.synthesize_with_words("five six seven eight", "en", 140)
    ends = speech.word_end_times_s(starts, wave)
    assert len(starts) == len(ends) == 4
    assert list(starts) == sorted(starts) and all(e > s for s, e in zip(starts, ends))
    assert ends[-1] <= len(wave) / speech.SAMPLE_RATE + 1e-6


def test_voice_lists_are_disjoint_and_all_speak():
    assert len(speech.TRAIN_VOICES) == 45 and len(speech.HELDOUT_VOICES) == 8
    assert not set(speech.TRAIN_VOICES) & set(speech.HELDOUT_VOICES)
    for v in speech.TRAIN_VOICES[::9] + speech.HELDOUT_VOICES[::3]:
        assert len(speech.synthesize("go", v)) > 1000


def test_asr_pool_extends_the_training_voices_and_every_voice_sounds_different():
    pool = speech.ASR_TRAIN_VOICES
    assert pool[:45] == speech.TRAIN_VOICES and len(set(pool)) == len(pool) > 500
    assert not set(pool) & set(speech.HELDOUT_VOICES)
    assert not {v.split("+")[-1] for v in pool} & set(speech.VARIANTS_HELDOUT)
    # a variant eSpeak did not know would silently fall back to the plain accent
    plain = speech.synthesize("take the red ball", "en-us")
    for v in speech.VARIANTS_ASR_EXTRA[::7] + ("klatt", "m8"):
        assert not np.array_equal(speech.synthesize("take the red ball", f"en-us+{v}"), plain), v
    assert not np.array_equal(speech.synthesize("take the red ball", "en-us-nyc"), plain)


def test_bad_inputs_raise_named_errors():
    with pytest.raises(AudioscaleError, match="voice='en-gb'"):
        speech.synthesize("go", "en-gb")
    with pytest.raises(AudioscaleError, match="rate_wpm"):
        speech.synthesize("go", rate_wpm=10)
    with pytest.raises(AudioscaleError, match="empty"):
        speech.synthesize("  ")


def test_sentences_are_seeded_and_closed_vocabulary():
    a, b = text.sentences(50, seed=3), text.sentences(50, seed=3)
    assert a == b and a != text.sentences(50, seed=4)
    assert len(text.VOCAB) == len(set(text.VOCAB)) == 32
    for s in a:
        words = s.split()
        assert 3 <= len(words) <= 15 and set(words) <= set(text.VOCAB)


def test_cached_resampling_filter_gives_resample_polys_own_samples():
    from scipy.signal import resample_poly
    rng = np.random.default_rng(0)
    for n in (1, 441, 22050, 54321):
        x = (0.1 * rng.standard_normal(n)).astype(np.float32)
        a = resample_poly(x, 320, 441).astype(np.float32)
        b = resample_poly(x, 320, 441, window=speech._resample_filter()).astype(np.float32)
        assert a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert not speech._resample_filter().flags.writeable
