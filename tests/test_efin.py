"""Notebook 08's EFIN sweep (audioscale.efin): the training-FLOPs accounting, the budget ->
steps search, and the committed rows, recomputed: every row's steps and training FLOPs from the
accounting alone, the committed fits from the committed rows, the decoding guard, and the check
run (``sweep.CHECK_CONFIG``) end to end, byte for byte (skipped where the training corpus is not
cached: a fresh clone)."""
import numpy as np
import pandas as pd
import pytest

from audioscale import paper
from audioscale.efin import budget as B
from audioscale.efin import report, sweep
from audioscale.efin.strategies import STRATEGIES, EfinConfig
from audioscale.errors import AudioscaleError
from audioscale.results import ResultStore


def test_train_flops_follow_the_convention():
    conv, layer, dec, ctc = B.forward_parts("micro", 170, 13)
    enc = conv + 2 * layer
    assert B.utterance_train_flops("micro", "joint", 170, 13) == pytest.approx(3 * (enc + dec + ctc))
    assert B.utterance_train_flops("micro", "encoder", 170, 13) == pytest.approx(3 * (enc + ctc))
    assert B.utterance_train_flops("micro", "decoder", 170, 13) == pytest.approx(enc + 3 * dec)
    assert B.utterance_train_flops("micro", "decoder+top1", 170, 13) == pytest.approx(conv + layer + 3 * (layer + dec))
    # a frozen encoder makes a step cheaper than joint; tuning its top layer costs in between
    j, f, t = (B.utterance_train_flops("tiny", m, 200, 12) for m in ("joint", "decoder", "decoder+top1"))
    assert f < t < j


def test_steps_within_a_budget_is_the_largest_that_fits():
    rng = np.random.default_rng(0)
    crop, pos = rng.integers(40, 400, 500), rng.integers(3, 17, 500)
    costs = B.step_costs("micro", "joint", crop, pos)
    for flops in (2e11, 3.3e11, 5e11):
        s = costs.steps_within(flops)
        assert costs.total(s) <= flops < costs.total(s + 1)
    assert B.full_window_steps(200) == 20 and B.full_window_steps(201) == 21
    with pytest.raises(AudioscaleError, match="raise max_steps"):
        costs.steps_within(1e15)


def test_strategies_split_the_budget():
    cfg = EfinConfig("micro", "encoder-first-top1", 1.0)
    (m1, f1), (m2, f2) = cfg.stages()
    assert (m1, m2) == ("encoder", "decoder+top1") and f1 + f2 == pytest.approx(1e12)
    assert EfinConfig("micro", "joint", 1.0).stages() == [("joint", 1e12)]
    with pytest.raises(AudioscaleError):
        EfinConfig("micro", "decoder-first", 1.0)
    configs = sweep.study_configs()
    assert len({c.budget_tflops for c in configs}) >= 4
    assert max(c.budget_tflops for c in configs) / min(c.budget_tflops for c in configs) >= 8
    cheapest = [c for c in configs if c.budget_tflops == min(sweep.BUDGETS_TFLOPS)]
    assert {c.seed for c in cheapest} == {0, 1} and len(cheapest) == 2 * len(sweep.MODELS) * len(STRATEGIES)


def test_efin_values_are_labelled():
    c = paper.efin_claims()
    assert set(c["source"]) == {"EFIN"}
    assert paper.efin_value("flops_fraction_pct") == 49.9
    assert paper.efin_value("relative_cer_reduction_pct") == 21.1


ROWS = ResultStore(sweep.EXPERIMENT).rows()


def _corpus():
    from audioscale.embedded import asr_corpus
    return (asr_corpus._train_folder(16000, 0, asr_corpus.ASR_TRAIN_POOL) / "index.json").is_file()


needs_rows = pytest.mark.skipif(ROWS.empty, reason="no results/efin.csv (run `make efin`)")
needs_corpus = pytest.mark.skipif(not _corpus(), reason="the 16,000-utterance training corpus is not cached")


@needs_rows
def test_committed_rows_belong_to_the_study():
    """Every committed row is one of the study's runs (notebook 08 prints the runs still to go,
    ``report.pending``), and spends its budget without exceeding it."""
    keys = {(c.model, c.strategy, c.budget_tflops, c.seed) for c in sweep.study_configs()}
    have = set(zip(ROWS["model"], ROWS["strategy"], ROWS["budget_tflops"], ROWS["seed"]))
    assert have <= keys
    assert len(report.pending(ROWS)) == len(keys - have)
    assert (ROWS["budget_used_pct"] <= 100).all() and (ROWS["budget_used_pct"] > 95).all()


@needs_rows
@needs_corpus
def test_committed_steps_and_flops_follow_from_the_accounting():
    from audioscale.efin.train import plan_stage
    data = sweep._data(16000)
    for _, r in ROWS.iterrows():
        cfg = EfinConfig(r["model"], r["strategy"], float(r["budget_tflops"]), int(r["seed"]))
        got = []
        for k, (mode, flops) in enumerate(cfg.stages()):
            seed = cfg.seed + (100 if k else 0)
            steps, costs, _ = plan_stage(cfg.model, mode, data, flops, seed, sweep.MAX_STEPS)
            got.append((steps, round(costs.total(steps) / 1e9, 3)))
        assert got[0] == (r["steps_stage_a"], r["train_gflops_stage_a"])
        if len(got) > 1:
            assert got[1] == (r["steps_stage_b"], r["train_gflops_stage_b"])


@needs_rows
def test_committed_fits_are_recomputed():
    committed = ResultStore(report.FITS_EXPERIMENT).rows()
    fresh = report.fit_rows(report.load_rows())
    if fresh.empty:  # an unfinished sweep: no (size, strategy) has its four budgets yet
        assert committed.empty
        return
    assert not committed.empty, "results/efin_fits.csv is missing: run `make efin`"
    cols = ["model", "strategy", "param", "estimate", "ci_lo", "ci_hi"]
    pd.testing.assert_frame_equal(fresh[cols].reset_index(drop=True),
                                  committed.sort_values(["model", "strategy", "param"])[cols].reset_index(drop=True),
                                  check_dtype=False, rtol=1e-9)


CHECK_ROWS = ResultStore(sweep.CHECK_EXPERIMENT)


@needs_corpus
def test_recompute_the_check_run(tmp_path):
    """The check configuration (``sweep.CHECK_CONFIG``: the study's code path at 0.05 TFLOPs,
    ~30 steps) end to end, byte for byte against the committed ``results/efin_check.csv``."""
    assert CHECK_ROWS.path.is_file(), "results/efin_check.csv is missing: `python -m audioscale.efin.sweep --check-only`"
    store = ResultStore(sweep.CHECK_EXPERIMENT, root=tmp_path)
    sweep.run_config(sweep.CHECK_CONFIG, store)
    assert store.path.read_bytes() == CHECK_ROWS.path.read_bytes()


def test_the_decoding_guard_caps_and_trims_loops():
    from audioscale.efin.guard import MAX_HYP_WORDS, guard_words, words_of
    from audioscale.embedded.vocab import BOS_ID, EOS_ID, PAD_ID, SPECIALS
    w = list(range(len(SPECIALS), len(SPECIALS) + 6))
    assert words_of([BOS_ID, w[0], w[1], EOS_ID, PAD_ID, PAD_ID]) == [w[0], w[1]]
    assert guard_words(w[:5]) == w[:5]  # an ordinary hypothesis passes unchanged
    loop = [w[0], w[1]] + [w[2], w[3]] * 20
    assert guard_words(loop) == [w[0], w[1], w[2], w[3]]  # cut after the loop's first copy
    varied = (w * 10)[:40]
    assert len(guard_words(varied)) <= MAX_HYP_WORDS


@needs_rows
def test_rows_carry_the_guard_and_the_unguarded_wer():
    """Every row names its decoding guard; where the guard cut no hypothesis both WERs agree."""
    assert (ROWS["decode_guard"] == "cap16+repetition").all()
    same = ROWS[ROWS["n_guard_changed"] == 0]
    assert (same["wer_pct"] == same["wer_unguarded_pct"]).all()
    assert (ROWS["n_guard_changed"] <= ROWS["eval_n"]).all()
