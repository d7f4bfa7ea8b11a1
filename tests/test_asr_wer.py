"""Golden tests for the pinned normalizer and corpus WER (input strings -> expected output)."""
from importlib import metadata

import pytest

from audioscale.asr.wer import corpus_wer, normalize_texts, normalizer_version, wer_of_files
from audioscale.errors import AudioscaleError


@pytest.mark.parametrize("text, expected", [
    ("Mr. Smith paid $20.50 for two hundred and five apples!", "mister smith paid $20.50 for 205 apples"),
    ("THERE'S IRON THEY SAY IN ALL OUR BLOOD", "there is iron they say in all our blood"),
    ("Hello, world. It's 10:30 am.", "hello world it is 10 30 am"),
    ("my favourite colour", "my favorite color"),
    ("um uh hmm okay", "okay"),
    ("  spaced\tout   text ", "spaced out text"),
])
def test_whisper_normalizer_golden(text, expected):
    assert normalize_texts([text], "whisper") == [expected]


def test_none_normalizer_only_lowercases_and_collapses_space():
    assert normalize_texts(["Hello,  World!"], "none") == ["hello, world!"]


def test_corpus_wer_counts_golden():
    r = corpus_wer(["a b c", "d e"], ["a x c", "d e f"], "none")
    assert (r.substitutions, r.deletions, r.insertions, r.hits, r.n_ref_words) == (1, 0, 1, 4, 5)
    assert r.wer_pct == pytest.approx(40.0)


def test_corpus_wer_pools_words_not_utterances():
    # per-utterance mean would be (100 % + 0 %) / 2 = 50 %; the corpus rate is 1 error / 5 words
    r = corpus_wer(["one", "two three four five"], ["six", "two three four five"], "none")
    assert r.wer_pct == pytest.approx(20.0)


def test_deletions_and_empty_hypothesis():
    r = corpus_wer(["the red cat sat"], [""], "none")
    assert (r.deletions, r.wer_pct) == (4, pytest.approx(100.0))


def test_normalizer_changes_the_number():
    refs, hyps = ["Hello, World!"], ["hello world"]
    assert corpus_wer(refs, hyps, "whisper").wer_pct == 0.0
    assert corpus_wer(refs, hyps, "none").wer_pct == pytest.approx(100.0)


def test_empty_reference_counts_insertions():
    r = corpus_wer(["a b", "um"], ["a b", "x y"], "whisper")  # "um" normalizes to nothing
    assert (r.n_ref_words, r.insertions, r.wer_pct) == (2, 2, pytest.approx(100.0))


def test_wer_errors_name_the_problem():
    with pytest.raises(AudioscaleError, match="2 references but 1 hypotheses"):
        corpus_wer(["a", "b"], ["a"])
    with pytest.raises(AudioscaleError, match="empty after normalizer"):
        corpus_wer(["um", ""], ["a", "b"])
    with pytest.raises(AudioscaleError, match="normalizer='nope'"):
        corpus_wer(["a"], ["a"], "nope")


def test_versions_are_recorded():
    r = corpus_wer(["a"], ["a"])
    assert r.normalizer == normalizer_version("whisper")
    assert r.normalizer.endswith(metadata.version("openai-whisper"))
    assert r.scorer == "jiwer@" + metadata.version("jiwer")
    assert {"wer_pct", "substitutions", "deletions", "insertions", "normalizer_version",
            "scorer_version"} <= set(r.as_metrics())


def test_whisper_normalizer_merges_digit_runs():
    # why the embedded world (digit words in a closed vocabulary) is scored with normalizer="none"
    assert normalize_texts(["one two three four"], "whisper") == ["1234"]
    assert corpus_wer(["one two three four"], ["one two three five"], "whisper").wer_pct == 100.0
    assert corpus_wer(["one two three four"], ["one two three five"], "none").wer_pct == 25.0


def test_wer_of_files(tmp_path):
    ref, hyp = tmp_path / "ref.tsv", tmp_path / "hyp.tsv"
    ref.write_text("u2\tTHE CAT\nu1\tGO HOME NOW\n")
    hyp.write_text("u1\tgo home\nu2\tthe cat\n")
    r = wer_of_files(ref, hyp)
    assert (r.deletions, r.n_ref_words) == (1, 5)
    hyp.write_text("u1\tgo home\nu3\tx\n")
    with pytest.raises(AudioscaleError, match=r"1 id\(s\) missing from .*hyp.tsv \(first: \['u2'\]\).*"
                                              r"1 id\(s\) missing from .*ref.tsv \(first: \['u3'\]\)"):
        wer_of_files(ref, hyp)
    hyp.write_text("u1\tgo\nu1\tgo\n")
    with pytest.raises(AudioscaleError, match="'u1' appears twice"):
        wer_of_files(ref, hyp)


def test_paired_bootstrap_difference():
    from audioscale.asr.wer import paired_bootstrap_difference as pb
    words = [10, 8, 12, 9, 11] * 20
    a = [2, 1, 3, 0, 2] * 20
    same = pb(a, a, words)
    assert (same["delta_wer_pts"], same["ci_low_pts"], same["ci_high_pts"], same["p_b_not_better"]) == (0, 0, 0, 1)
    better = pb(a, [max(0, e - 1) for e in a], words)  # b never worse, better on 80 of 100 utterances
    assert better["delta_wer_pts"] == pytest.approx(100 * 80 / sum(words))  # the corpus WERs' difference
    assert 0 < better["ci_low_pts"] < better["delta_wer_pts"] < better["ci_high_pts"]
    assert better["p_b_not_better"] == 0 and better == pb(a, [max(0, e - 1) for e in a], words)  # seeded
    # one utterance of 100 decides it: the interval must reach 0 though the estimate is positive
    one = pb(a, a[:-1] + [a[-1] - 1], words, n_boot=4000)
    assert one["delta_wer_pts"] > 0 and one["ci_low_pts"] == 0 and one["p_b_not_better"] > 0.2
    with pytest.raises(AudioscaleError, match="aligned"):
        pb([1, 2], [1], [3, 3])
    with pytest.raises(AudioscaleError, match="n_boot"):
        pb([1], [1], [3], n_boot=10)
