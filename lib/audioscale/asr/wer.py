"""Corpus word error rate under a pinned text normalizer.

WER = (substitutions + deletions + insertions) / reference words, summed over the whole
corpus (not averaged per utterance), after both sides pass through the same normalizer.
The open_asr_leaderboard's lesson is that normalizer and scorer changes move WER by whole
points, so their names and versions travel with every number (``WerResult.provenance``).

Normalizers:
- ``whisper``: openai-whisper's ``EnglishTextNormalizer`` (the paper's and the leaderboard's
  choice; lower-cases, expands contractions, spells out/normalises numbers, British -> US
  spelling, drops fillers such as "um"). Its spelling map ships inside the package: offline.
- ``none``: lower-case and collapse whitespace only: for closed-vocabulary worlds (the
  embedded world's 32 words), where Whisper's normalizer would distort the count — it turns
  digit-word runs into one number token ("one two three four" -> "1234"), so one wrong digit
  would cost a whole run — and to see how much the normalizer moves a number.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from typing import Callable, Sequence

from ..errors import AudioscaleError, check_choice

NORMALIZERS = ("whisper", "none")


@lru_cache(maxsize=None)
def get_normalizer(name: str = "whisper") -> Callable[[str], str]:
    check_choice("normalizer", name, NORMALIZERS)
    if name == "none":
        return lambda text: " ".join(text.lower().split())
    try:
        from whisper.normalizers import EnglishTextNormalizer
    except ImportError as e:  # pragma: no cover - the pinned environment has it
        raise AudioscaleError(
            f"normalizer='whisper' needs the openai-whisper package ({e}). Fix: "
            "pip install --no-deps openai-whisper==20250625 (see Makefile), or use normalizer='none'.") from None
    return EnglishTextNormalizer()


def normalizer_version(name: str = "whisper") -> str:
    """``name@version``: the package version that defines the normalizer's behaviour."""
    check_choice("normalizer", name, NORMALIZERS)
    if name == "none":
        return "none@audioscale-" + _version("audioscale")
    return "whisper.EnglishTextNormalizer@openai-whisper-" + _version("openai-whisper")


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "absent"


@dataclass(frozen=True)
class WerResult:
    """Corpus-level counts; ``wer_pct`` is what the paper's tables print."""
    n_utterances: int
    n_ref_words: int
    hits: int
    substitutions: int
    deletions: int
    insertions: int
    normalizer: str  # name@version
    scorer: str  # jiwer@version

    @property
    def wer(self) -> float:
        return (self.substitutions + self.deletions + self.insertions) / self.n_ref_words

    @property
    def wer_pct(self) -> float:
        return 100.0 * self.wer

    def as_metrics(self) -> dict:
        """Flat columns for a result row (counts, not only the rate, so rows can be pooled)."""
        d = asdict(self)
        d["normalizer_version"] = d.pop("normalizer")  # the row's config names the normalizer itself
        d["scorer_version"] = d.pop("scorer")
        d["wer_pct"] = self.wer_pct
        return d


def normalize_texts(texts: Sequence[str], normalizer: str = "whisper") -> list[str]:
    norm = get_normalizer(normalizer)
    return [" ".join(norm(t or "").split()) for t in texts]


def corpus_wer(references: Sequence[str], hypotheses: Sequence[str], normalizer: str = "whisper") -> WerResult:
    """Corpus WER of aligned reference/hypothesis lists (one entry per utterance).

    A reference that normalizes to nothing still counts its hypothesis words as insertions
    (jiwer does this); a corpus with no reference words at all is an error, since WER is
    undefined there.
    """
    import jiwer

    if len(references) != len(hypotheses):
        raise AudioscaleError(f"{len(references)} references but {len(hypotheses)} hypotheses: "
                              "they must be aligned one per utterance.")
    if not references:
        raise AudioscaleError("no utterances to score: WER needs at least one reference.")
    refs = normalize_texts(references, normalizer)
    hyps = normalize_texts(hypotheses, normalizer)
    n_words = sum(len(r.split()) for r in refs)
    if n_words == 0:
        raise AudioscaleError(f"all {len(refs)} references are empty after normalizer={normalizer!r}: "
                              "WER is undefined. Fix: check the reference column / transcript files.")
    out = jiwer.process_words(refs, hyps)
    return WerResult(n_utterances=len(refs), n_ref_words=n_words, hits=int(out.hits),
                     substitutions=int(out.substitutions), deletions=int(out.deletions),
                     insertions=int(out.insertions), normalizer=normalizer_version(normalizer),
                     scorer="jiwer@" + _version("jiwer"))


def read_tsv(path) -> dict[str, str]:
    """``id<TAB>text`` lines -> {id: text}; blank lines skipped, duplicates and bad lines are errors."""
    from ..textfile import read_text

    out: dict[str, str] = {}
    for i, line in enumerate(read_text(path, "tab-separated file of 'id<TAB>text' lines").splitlines(), 1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise AudioscaleError(f"{path}:{i}: no tab in {line[:60]!r}. Fix: each line must be 'id<TAB>text'.")
        utt, text = line.split("\t", 1)
        utt = utt.strip()
        if utt in out:
            raise AudioscaleError(f"{path}:{i}: id {utt!r} appears twice. Fix: one line per utterance.")
        out[utt] = text.strip()
    return out


def wer_of_files(ref_path, hyp_path, normalizer: str = "whisper") -> WerResult:
    """Corpus WER of two ``id<TAB>text`` files; every id must be on both sides."""
    refs, hyps = read_tsv(ref_path), read_tsv(hyp_path)
    only_ref = sorted(set(refs) - set(hyps))
    only_hyp = sorted(set(hyps) - set(refs))
    if only_ref or only_hyp:
        parts = []
        if only_ref:
            parts.append(f"{len(only_ref)} id(s) missing from {hyp_path} (first: {only_ref[:3]})")
        if only_hyp:
            parts.append(f"{len(only_hyp)} id(s) missing from {ref_path} (first: {only_hyp[:3]})")
        raise AudioscaleError("; ".join(parts) + ". Fix: both files must list the same utterance ids.")
    ids = sorted(refs)
    return corpus_wer([refs[i] for i in ids], [hyps[i] for i in ids], normalizer)


def paired_bootstrap_difference(errors_a: Sequence[int], errors_b: Sequence[int], ref_words: Sequence[int],
                                n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> dict:
    """Corpus WER of system a minus system b, in points, with a paired bootstrap interval.

    Both systems scored the same utterances (per-utterance error and reference-word counts,
    aligned). Each resample draws utterances with replacement and recomputes both corpus
    WERs on the same draw, so what the two systems share (hard utterances) cancels, as it
    does in the difference itself. ``p_b_not_better`` is the fraction of resamples in which b
    is not better than a (difference <= 0): a one-sided bootstrap p-value for "b beats a".
    Seeded: the same inputs give the same interval.
    """
    import numpy as np

    ea, eb, w = (np.asarray(x, dtype=np.int64) for x in (errors_a, errors_b, ref_words))
    if not (ea.ndim == eb.ndim == w.ndim == 1 and len(ea) == len(eb) == len(w)):
        raise AudioscaleError(f"paired bootstrap: {len(ea)}, {len(eb)} and {len(w)} per-utterance counts; "
                              "give one error count per system and one reference-word count per utterance, aligned.")
    if len(w) == 0 or w.sum() <= 0:
        raise AudioscaleError("paired bootstrap: no reference words; WER is undefined.")
    if not 0 < level < 1 or int(n_boot) < 100:
        raise AudioscaleError(f"paired bootstrap: level={level}, n_boot={n_boot}; give 0 < level < 1 and n_boot >= 100.")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(w), size=(int(n_boot), len(w)))
    words = w[idx].sum(1)
    diffs = 100.0 * (ea[idx].sum(1) - eb[idx].sum(1)) / np.maximum(words, 1)
    tail = 100 * (1 - level) / 2
    return {"delta_wer_pts": 100.0 * float(ea.sum() - eb.sum()) / float(w.sum()),
            "ci_low_pts": float(np.percentile(diffs, tail)), "ci_high_pts": float(np.percentile(diffs, 100 - tail)),
            "p_b_not_better": float(np.mean(diffs <= 0)), "n_utterances": int(len(w)), "n_boot": int(n_boot),
            "level": level}
