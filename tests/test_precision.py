"""Precision (xP): conversion and bytes, the committed check rows recomputed exactly, the
precision table and its frontiers, the instruction-set probe's log parsing."""
from __future__ import annotations

import pandas as pd
import pytest
import torch

from audioscale.paths import REPO
from audioscale.precision import convert, isa, report, sweep

COMMITTED = REPO / "results" / "precision.csv"
TIMINGS = REPO / "results" / "timings" / "precision.csv"


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(10, 64)
        self.fc = torch.nn.Linear(64, 256)
        self.out = torch.nn.Linear(64, 10, bias=False)
        self.out.weight = self.emb.weight  # tied, as Whisper's proj_out

    def forward(self, x):
        return self.fc(self.emb(x))


def test_precisions_change_bytes_not_structure():
    fp32 = convert.state_dict_bytes(_Tiny())
    bf16 = convert.state_dict_bytes(convert.to_precision(_Tiny().eval(), "bf16"))
    int8_model = convert.to_precision(_Tiny().eval(), "int8")
    assert convert.linear_count(int8_model) == dict(n_linear_fp=0, n_linear_int8=2)
    int8 = convert.state_dict_bytes(int8_model)
    assert bf16 < 0.6 * fp32  # half the tensor bytes, plus the same pickle overhead
    assert int8 < fp32
    with pytest.raises(Exception, match="precision"):
        convert.to_precision(_Tiny(), "fp8")


def test_quantization_warnings_are_caught_not_printed(recwarn):
    convert.to_precision(_Tiny().eval(), "int8")
    assert not [w for w in recwarn if "quantiz" in str(w.message)]


def test_peak_rss_reset_reads_back():
    cur, peak = convert.rss_mb()
    if cur != cur:
        pytest.skip("no /proc on this system")
    assert peak >= cur > 0
    if convert.reset_peak_rss():
        assert convert.rss_mb()[1] <= peak


def test_isa_log_names_the_kernel_per_dtype():
    log = ("onednn_verbose,v1,primitive,exec,cpu,matmul,gemm:jit:bf16,undef,src:bf16::blocked:ab::f0 wei:bf16,,1500\n"
           "onednn_verbose,v1,primitive,exec,cpu,matmul,brg_matmul:avx512_core,undef,src:f32::blocked:ab::f0,,1500\n")
    assert isa._kernels(log) == {"fp32": "brg_matmul:avx512_core", "bf16": "gemm:jit:bf16"}
    assert isa._kernels("no onednn lines\n") == {}  # both ran outside oneDNN


# ---------------------------------------------------------------- the committed rows
def _committed() -> pd.DataFrame:
    if not COMMITTED.is_file():
        pytest.skip("results/precision.csv not committed")
    return report.load_rows(compute=False)


def test_precision_table_has_every_configuration_and_flops_do_not_move():
    rows = _committed()
    table = report.precision_table(rows)
    assert len(table) == len(sweep.MODELS) * 3 * len(sweep.FRAMES) * len(sweep.AXES)
    assert table.groupby(["model", "encoder_frames", "stride"])["gflops"].nunique().eq(1).all()
    assert table["rtfx"].gt(0).all() and table["peak_rss_mb"].gt(0).all()
    mb = table.groupby(["model", "precision"])["model_mb"].first().unstack()
    assert (mb["bf16"] < 0.51 * mb["fp32"]).all() and (mb["int8"] < mb["fp32"]).all()
    front = report.with_frontiers(table)
    # against FLOPs the precisions of one configuration stack: at most one of them is on the frontier
    assert front[front["front_gflops"]].groupby(["model", "encoder_frames", "stride"]).size().max() == 1
    assert len(report.conclusions(table)) == 6 + len(report.COSTS)
    steps = report.steps_beside_paper(table)
    assert set(steps["step"]) == {"1 -> 2", "1500 -> 750", "fp32 -> bf16", "fp32 -> int8", "tiny.en -> base"}
    assert (steps.loc[steps["axis"] == "precision", "gflops_saving_pct"] == 0).all()
    dis = report.precision_disagreements(rows)
    subset = {u.utt_id for u in sweep._data(sweep.N_UTTERANCES).utterances}
    assert (dis["spread"] > 0).all() and dis["utt_id"].isin(subset).all()
    assert report.loop_note(rows).startswith(dis["utt_id"].iloc[0])


def test_fp32_rows_reproduce_the_real_sweep_on_the_same_utterances():
    agree = report.real_sweep_agreement(_committed())
    if agree.empty:
        pytest.skip("results/asr_real.csv has no matching rows")
    assert (agree["same_hypotheses"] == agree["utterances"]).all()
    assert (agree["errors"] == agree["errors_real_sweep"]).all()


def test_timings_record_the_machine_state():
    if not TIMINGS.is_file():
        pytest.skip("results/timings/precision.csv not committed")
    t = pd.read_csv(TIMINGS)
    for col in ("rtfx", "peak_rss_mb", "rss_before_model_mb", "torch_threads", "load_avg_1m", "load_avg_start_1m",
                "cpu_model", "cpu_avx512_bf16", "torch_version", "quantized_engine"):
        assert col in t and t[col].notna().all(), col


def _installed(name: str) -> bool:
    from audioscale.models.weights.shipped import is_installed

    return is_installed(name)


@pytest.mark.slow
def test_committed_int8_check_rows_recompute_exactly(tmp_path):
    """tiny.en int8, full window, first CHECK_LIMIT utterances: errors, words, WER, decoded
    tokens and model bytes of all four committed rows are recomputed equal (same threads)."""
    from audioscale.results import ResultStore

    if not _installed("tiny.en"):
        pytest.skip("Whisper tiny.en not installed (make setup installs it)")
    pytest.importorskip("piper")
    rows = _committed()
    want = rows[(rows["model"] == "tiny.en") & (rows["limit"] == sweep.CHECK_LIMIT) & (rows["precision"] == "int8")]
    assert len(want) == len(sweep.AXES) * len(sweep.GUARDS), "the committed check rows are missing"
    threads = int(want["torch_threads"].iloc[0])
    store = ResultStore(sweep.STORE, root=tmp_path)
    old = torch.get_num_threads()
    try:
        sweep.run_group("tiny.en", "int8", 1500, limit=sweep.CHECK_LIMIT, threads=threads, store=store)
    finally:
        torch.set_num_threads(old)
    got = store.rows().set_index("config_key")
    want = want.set_index("config_key")
    assert sorted(got.index) == sorted(want.index)
    cols = ["wer_pct", "substitutions", "deletions", "insertions", "n_ref_words", "decoded_tokens_mean",
            "n_guard_changed", "model_bytes", "params_m", "n_linear_int8", "gflops_matmul"]
    pd.testing.assert_frame_equal(got.loc[want.index, cols].astype(float), want[cols].astype(float), check_exact=True)
