"""The committed embedded rows are reproducible: recompute ONE cheap configuration (smallest
mini, full window, stride 1, the first EMBEDDED_CHECK_LIMIT test utterances) and compare it
with its committed row in results/asr_embedded.csv, column by column, exactly.

Skipped when no trained mini exists (a fresh clone before `make pretrain`). When minis exist,
the committed check row must exist too: a missing or different row means the committed
results are stale for these checkpoints.
"""
import pytest
import torch

from audioscale.asr import run
from audioscale.asr.config import AsrConfig
from audioscale.results import ResultStore

MINIS = run.find_minis()
METRICS = ["n_utterances", "n_ref_words", "hits", "substitutions", "deletions", "insertions", "wer_pct",
           "n_bad_files", "decoded_tokens_mean", "decoder_positions", "params_m", "gflops_paper", "gflops_matmul",
           "normalizer", "normalizer_version", "scorer_version"]


@pytest.mark.skipif(not MINIS, reason="no trained minis in checkpoints/ (run `make pretrain`)")
def test_recompute_one_committed_row(tmp_path):
    smallest = MINIS[0]
    committed = ResultStore("asr_embedded").rows()
    full = run.embedded_configs(run._full_frames(smallest))[0]
    assert not committed.empty, "results/asr_embedded.csv is missing: run `audioscale asr-sweep --scale embedded`"
    mine = committed[(committed["model"] == run.model_label(str(smallest)))
                     & (committed["weights"] == run.weights_id(str(smallest)))
                     & (committed["limit"] == run.EMBEDDED_CHECK_LIMIT)
                     & (committed["encoder_frames"] == full[0]) & (committed["stride"] == 1)]
    assert len(mine) == 1, ("no committed check row for these weights (stale results after retraining?): "
                            "rerun `audioscale asr-sweep --scale embedded`")
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # as the sweep runs
    try:
        store = ResultStore("asr_embedded", root=tmp_path)
        config = AsrConfig(str(smallest), "embedded", full[0], 1, "select", limit=run.EMBEDDED_CHECK_LIMIT,
                           scale="embedded", device="cpu")
        run.run_asr(config, store=store, batch_size=32)
    finally:
        torch.set_num_threads(n)
    fresh = store.rows()  # read back through the same CSV formatting as the committed file
    assert fresh["config_key"].iloc[0] == mine["config_key"].iloc[0]
    for col in METRICS:
        assert fresh[col].iloc[0] == mine[col].iloc[0], col
    # Byte for byte, as `make reproduce` must leave results/: the same header and the same line.
    committed_lines = ResultStore("asr_embedded").path.read_text().splitlines()
    fresh_lines = store.path.read_text().splitlines()
    assert fresh_lines[0] == committed_lines[0]
    assert fresh_lines[1] in committed_lines[1:]
    committed_utts = ResultStore("asr_embedded").utterances.read()
    committed_utts = committed_utts[committed_utts["config_id"] == run.config_id(mine["config_key"].iloc[0])]
    fresh_utts = store.utterances.read()
    assert list(fresh_utts["hypothesis"]) == list(committed_utts["hypothesis"])


def test_size_step_intervals_agree_with_the_committed_rows():
    """The bootstrap table notebook 01 prints is built from the per-utterance rows; its point
    estimates must equal the differences of the committed corpus WERs, inside their intervals."""
    from audioscale.asr import report

    rows = report.load_rows("embedded", compute=False)
    steps = report.size_step_intervals(rows, n_boot=500)
    if rows.empty or steps.empty:
        pytest.skip("no committed embedded rows with per-utterance results")
    full = rows[(rows["encoder_frames"] == rows["full_encoder_frames"]) & (rows["stride"] == 1)]
    wer = full.sort_values("params_m")["wer_pct"].to_numpy()
    assert len(steps) == len(wer) - 1
    assert steps["wer_gain_pts"].to_numpy() == pytest.approx(wer[:-1] - wer[1:], abs=1e-5)  # CSV keeps 6 decimals
    assert ((steps["ci95_low_pts"] <= steps["wer_gain_pts"]) & (steps["wer_gain_pts"] <= steps["ci95_high_pts"])).all()
    assert set(steps["resolved"]) <= {"yes", "no (interval reaches 0)"}
