"""Corpora are seeded, cached, shaped like test-other relative to the window, and write
LibriSpeech's layout."""
import numpy as np
import pytest

from audioscale.embedded import asr_corpus as C


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOSCALE_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_test_set_length_profile_and_cache(cache):
    utts = C.load_test_set(split="other", size=40)
    prof = C.length_profile(utts)
    # round(5.8 % of 40) = 2 utterances longer than the 4 s half window, none beyond 8 s
    assert prof["frac_utts_over_half"] == pytest.approx(2 / 40)
    assert max(u.duration_s for u in utts) <= C.WINDOW_S
    assert 0.0 < prof["frac_words_beyond_half"] < 0.15
    again = C.load_test_set(split="other", size=40)  # from the cache
    assert [u.utt_id for u in again] == [u.utt_id for u in utts]
    np.testing.assert_array_equal(again[5].wave, utts[5].wave)
    u = utts[0]
    assert u.wave.dtype == np.float32 and u.duration_s == pytest.approx(len(u.wave) / 16000)
    assert len(u.word_end_s) == len(u.text.split())
    assert C.load_test_set(3, split="other", size=40)[2].utt_id == utts[2].utt_id


def test_heldout_voices_and_no_training_sentences(cache):
    other = C.load_test_set(split="other", size=20)
    spk = {int(u.utt_id.split("-")[0]) for u in other}
    assert spk <= set(range(9045, 9053))  # speakers 9045.. are the held-out voices
    train = set(C.train_sentences(16000, 0))
    assert not {u.text for u in other} & train


def test_train_set_is_deterministic_and_fits_the_window(cache):
    a = C.load_train_set(12, seed=5, workers=1)
    assert len(a) == 12 and all(u.duration_s <= C.WINDOW_S for u in a)
    import shutil
    shutil.rmtree(C.cache_dir())
    b = C.load_train_set(12, seed=5, workers=1)
    assert [u.text for u in a] == [u.text for u in b]
    np.testing.assert_array_equal(a[3].wave, b[3].wave)


def test_train_pools_draw_from_their_own_voices(cache):
    from audioscale.embedded import speech
    v2 = C.load_train_set(30, seed=5, workers=1)  # default pool: the mini Whispers' v2
    v1 = C.load_train_set(30, seed=5, workers=1, pool="v1")
    assert [u.text for u in v1] == [u.text for u in v2]  # same sentences, other speakers
    spk = lambda utts: {C._ALL_VOICES[int(u.utt_id.split("-")[0]) - 9000] for u in utts}
    assert spk(v1) <= set(speech.TRAIN_VOICES) and spk(v2) <= set(speech.ASR_TRAIN_VOICES)
    assert spk(v2) - set(speech.TRAIN_VOICES)  # 30 draws from ~580 voices leave the v1 pool
    # the v1 cache key predates the pools, so the SER backbone's cached corpus stays valid
    assert C._train_folder(16000, 0, "v1").name == "asr-train-n16000-s0-" + C._key(n=16000, seed=0)
    texts, lengths = C.train_index(30, seed=5, pool="v1")
    assert texts == [u.text for u in v1] and list(lengths) == [len(u.wave) for u in v1]
    with pytest.raises(C.AudioscaleError, match="pool"):
        C.load_train_set(5, pool="v3")


def test_rendering_stops_once_enough_and_read_waves_reads_a_slice(cache, monkeypatch):
    calls = []
    plans = [C._Plan(index=i, text="go", voice="en-us", rate_wpm=150, pitch=50, pitch_range=50, volume=100,
                     word_gap_10ms=0, lead_silence_s=0.0, noise_std=0.0, noise_seed=0) for i in range(600)]
    with monkeypatch.context() as m:  # (undo() would also drop the cache fixture's setenv)
        m.setattr(C, "_render", lambda plan: calls.append(plan.index) or (np.zeros(3, np.int16), ()))
        out = C._render_all(plans, workers=1, enough=lambda rendered: len(rendered) >= 260)
        assert len(out) == 500 and calls == list(range(500))  # two chunks of 250, not the third
        assert len(C._render_all(plans, workers=1)) == 600
    assert str(C.cache_dir()).startswith(str(cache))
    folder = C.train_set_folder(12, seed=5, workers=1)
    whole = C.load_train_set(12, seed=5, workers=1)
    part = C.read_waves(folder, 4, 7)
    assert len(part) == 3 and all(np.array_equal(a, b.wave) for a, b in zip(part, whole[4:7]))
    assert len(C.read_waves(folder, 10, 99)) == 2


def test_a_synthesis_crash_drops_a_training_utterance_but_fails_a_test_set(cache, monkeypatch):
    import json
    render = C._render

    def crashing(plan):
        if plan.index == 3:
            raise C.AudioscaleError("eSpeak NG produced no audio for text='...' (crash 11).")
        return render(plan)

    monkeypatch.setattr(C, "_render", crashing)
    utts = C.load_train_set(8, seed=5, workers=1)
    cands = C.train_sentences(8, 5)
    assert len(utts) == 8 and [u.text for u in utts][:3] == cands[:3] and utts[3].text == cands[4]
    meta = json.loads((C._train_folder(8, 5, "v2") / "index.json").read_text())
    assert [p["index"] for p in meta["synthesis_failed"]] == [3]
    with pytest.raises(C.AudioscaleError, match="crash 11"):
        C.load_test_set(split="clean", size=20)


def test_librispeech_layout(cache):
    import soundfile as sf
    utts = C.load_test_set(3, split="clean", size=20)
    root = C.write_librispeech_layout(utts, cache / "ls")
    u = utts[0]
    spk, chap, _ = u.utt_id.split("-")
    wave, sr = sf.read(root / spk / chap / f"{u.utt_id}.flac", dtype="float32")
    assert sr == 16000 and np.abs(wave - u.wave).max() < 1e-3
    lines = (root / spk / chap / f"{spk}-{chap}.trans.txt").read_text().splitlines()
    assert f"{u.utt_id} {u.text.upper()}" in lines


def test_training_features_from_two_worker_processes_equal_one_process(cache):
    """``pretrain --jobs 2`` builds the features in two processes; the bytes must not change."""
    from audioscale.embedded import pretrain as P
    two, _, _ = P.train_features(300, seed=5, workers=2)
    two = np.array(two)
    path = next(C.cache_dir().glob("train-features-*n300-s5-*"))
    path.unlink()
    one, texts, n_samples = P.train_features(300, seed=5, workers=1)
    assert two.shape == (300, 80, 800) and len(texts) == 300 == len(n_samples)
    assert np.array_equal(two.view(np.uint16), np.asarray(one).view(np.uint16))
    utts = C.load_train_set(300, seed=5)
    assert np.array_equal(np.asarray(one[64:128]), P.log_mel([u.wave for u in utts[64:128]]).astype(np.float16))
