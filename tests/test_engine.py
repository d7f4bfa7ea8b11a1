"""The sweep engines (issue 26): the local engine and a real Ray instance run the same tasks to
the same rows, byte for byte; only the driver writes the store; a task that fails is reported
with its configuration and never dropped; a worker killed mid-task is retried without a
duplicate row; a driver stopped part-way resumes to the bytes of a run never stopped."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audioscale.asr import toy
from audioscale.engine import LocalEngine, Task, make_engine, run_tasks
from audioscale.errors import AudioscaleError
from audioscale.paths import REPO
from audioscale.results import Computed, ResultStore

HERE = Path(__file__).resolve().parent


# ----------------------------------------------------------------------------- no Ray needed
def _square(x: int) -> Computed:
    if x < 0:
        raise AudioscaleError(f"x={x} is negative")
    return Computed("squares", {"x": x}, {"x2": x * x}, {"wall_s": 0.0}, "embedded")


def test_the_driver_stores_rows_and_counts_failures(tmp_path, capsys):
    store = ResultStore("squares", root=tmp_path)
    tasks = [Task(f"x={x}", _square, {"x": x}) for x in (3, -1, 2)]
    summary = run_tasks(tasks, LocalEngine(1), {"squares": store})
    assert summary.done == 2 and summary.failed == [("x=-1", "AudioscaleError: x=-1 is negative")]
    assert sorted(store.rows()["x2"]) == [4, 9]
    assert "[2/3] x=-1: FAILED: AudioscaleError: x=-1 is negative" in capsys.readouterr().out
    assert "1 failed" in str(summary) and "x=-1" in str(summary)


def test_engine_choices_are_checked():
    with pytest.raises(AudioscaleError, match="engine='spark' is not one of"):
        make_engine("spark")
    with pytest.raises(AudioscaleError, match="--address is for --engine ray"):
        make_engine("local", address="auto")
    with pytest.raises(AudioscaleError, match="workers=0"):
        make_engine("local", workers=0)


def test_sweep_command_refuses_a_bad_engine_in_one_line(capsys):
    from audioscale.cli import main

    assert main(["sweep", "asr", "--engine", "local", "--address", "auto", "--scale", "embedded"]) == 2
    err = capsys.readouterr().err
    assert "--address is for --engine ray" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def toy_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine")
    toy.save_system(root / "asr-mini-e", toy.mini_config(), seed=0)
    toy.write_librispeech_folder(root / "ls", durations_s=(1.0, 1.5, 2.0, 2.5), speaker="5", chapter="6")
    return root


def _asr_sweep(world: Path, results: Path, engine) -> None:
    from audioscale.asr.run import sweep_embedded

    sweep_embedded(str(world / "ls"), models=[world / "asr-mini-e"], batch_size=2, verbose=False,
                   store=ResultStore("asr_embedded", root=results), engine=engine)


ROW_FILES = ("asr_embedded.csv", "asr_embedded_utterances.csv")


def test_local_pool_gives_the_rows_of_one_process(toy_world, tmp_path):
    _asr_sweep(toy_world, tmp_path / "one", LocalEngine(1))
    _asr_sweep(toy_world, tmp_path / "pool", LocalEngine(2))
    for name in ROW_FILES:
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert len(ResultStore("asr_embedded", root=tmp_path / "one").rows()) == 7  # 6 + the check row


# ----------------------------------------------------------------------------- a real Ray instance
@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'audioscale[ray]'")
    # workers import this module for the fault-injecting task below; they inherit the environment
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_rows_of_the_local_engine(ray_instance, toy_world, tmp_path):
    from audioscale.engine.engines import RayEngine

    _asr_sweep(toy_world, tmp_path / "local", LocalEngine(1))
    _asr_sweep(toy_world, tmp_path / "ray", RayEngine())
    for name in ROW_FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


@pytest.mark.slow
def test_ray_ser_rows_equal_the_committed_local_ones(ray_instance, tmp_path):
    from audioscale.engine.engines import RayEngine
    from audioscale.ser.sweep import BACKBONE, cheapest_config, sweep

    if not (REPO / BACKBONE / "config.json").is_file():
        pytest.skip("the embedded SER backbone is not in checkpoints/")
    store = ResultStore("ser_embedded_check", root=tmp_path)
    summary = sweep([cheapest_config()], "ser_embedded_check", "embedded", RayEngine(), store=store, verbose=False)
    assert summary.done == 1 and not summary.failed
    # results/ser_embedded_check.csv was written by `make results` on the local engine
    assert store.path.read_bytes() == (REPO / "results" / "ser_embedded_check.csv").read_bytes()
    assert (tmp_path / "splits").is_dir()  # the split file came back with the row, written by the driver


def crash_first_attempt(marker: str, **kwargs) -> Computed:
    """A task that kills its own worker process on its first attempt (fault injection)."""
    from audioscale.asr import tasks

    with open(marker, "a") as fh:
        fh.write(f"{os.getpid()}\n")
    if len(Path(marker).read_text().splitlines()) == 1:
        os._exit(1)
    return tasks.compute(**kwargs)


@pytest.mark.slow
def test_a_killed_worker_is_retried_without_a_duplicate_row(ray_instance, toy_world, tmp_path):
    from audioscale.asr.config import AsrConfig
    from audioscale.engine.engines import RayEngine

    config = AsrConfig(str(toy_world / "asr-mini-e"), "ls", None, 1, "select", scale="embedded", device="cpu")
    marker = tmp_path / "attempts.txt"
    task = Task("crash once", crash_first_attempt,
                dict(marker=str(marker), configs=[config], data=str(toy_world / "ls"), batch_size=2))
    store = ResultStore("asr_embedded", root=tmp_path / "results")
    summary = run_tasks([task], RayEngine(retries=2), {"asr_embedded": store}, verbose=False)
    attempts = marker.read_text().split()
    assert len(attempts) == 2 and attempts[0] != attempts[1]  # two worker processes: the first died
    assert summary.done == 1 and not summary.failed
    assert len(store.rows()) == 1 and store.utterances.read()["config_id"].nunique() == 1


@pytest.mark.slow
def test_a_task_that_keeps_killing_its_worker_is_reported(ray_instance, tmp_path):
    from audioscale.engine.engines import RayEngine

    summary = run_tasks([Task("always dies", os._exit, {"status": 3})], RayEngine(retries=1),
                        {}, verbose=False)
    assert summary.done == 0 and summary.failed[0][0] == "always dies"
    assert "WorkerCrashedError" in summary.failed[0][1] or "died" in summary.failed[0][1]


@pytest.mark.slow
def test_a_stopped_ray_driver_resumes_to_the_same_bytes(toy_world, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'audioscale[ray]'")

    def start(results: Path) -> subprocess.Popen:
        env = {**os.environ, "AUDIOSCALE_RESULTS": str(results), "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"}
        return subprocess.Popen([sys.executable, "-m", "audioscale.cli", "-q", "sweep", "asr", "--scale", "embedded",
                                 "--model", str(toy_world / "asr-mini-e"), "--data", str(toy_world / "ls"),
                                 "--batch-size", "2", "--engine", "ray", "--workers", "1"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    whole = tmp_path / "whole"
    _asr_sweep(toy_world, whole, LocalEngine(1))
    results = tmp_path / "results"
    p = start(results)
    rows = results / "asr_embedded.csv"
    deadline = time.monotonic() + 300
    while not rows.exists() or len(rows.read_text().splitlines()) < 3:  # header + 2 rows
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=120) == 130
    assert "interrupted" in p.stderr.read()
    assert 2 <= len(rows.read_text().splitlines()) - 1 < 6
    again = start(results)
    assert again.wait(timeout=300) == 0, again.stderr.read()
    for name in ROW_FILES:
        assert (results / name).read_bytes() == (whole / name).read_bytes(), name


# ----------------------------------------------------------------------------- SER at paper scale
@pytest.fixture(scope="module")
def tone_world(tmp_path_factory):
    from ser_testdata import tiny_wav2vec2_config, write_tone_corpus

    from audioscale.models.architectures import build_wav2vec2

    root = tmp_path_factory.mktemp("ser-paper")
    # four layers: the paper's reference recipe unfreezes the top 4
    build_wav2vec2(tiny_wav2vec2_config(num_hidden_layers=4), device="cpu", seed=0).save_pretrained(root / "w2v")
    write_tone_corpus(root / "CREMA-D", n_speakers=6, per_class=2)
    return root


@pytest.mark.slow
def test_paper_scale_ser_sweep_with_bf16_autocast_and_saved_adapters(tone_world, tmp_path, monkeypatch):
    """`sweep ser --scale paper` over a CREMA-D-layout folder, on the CPU in bf16 autocast: the
    rows name device and amp in their key, and each trained LoRA adapter is saved in peft's layout."""
    from audioscale.cli import main

    from audioscale.ser import sweep

    monkeypatch.setattr(sweep, "TRAINING", {**sweep.TRAINING, "epochs": 1})
    results = tmp_path / "results"
    monkeypatch.setenv("AUDIOSCALE_RESULTS", str(results))
    monkeypatch.setattr("audioscale.results.RESULTS_DIR", results)
    code = main(["-q", "sweep", "ser", "--scale", "paper", "--data", str(tone_world / "CREMA-D"),
                 "--model", str(tone_world / "w2v"), "--study", "duration", "--seeds", "0", "--amp", "bf16",
                 "--save-adapters", str(tmp_path / "adapters"), "--workers", "1"])
    assert code == 0
    rows = ResultStore("ser_paper", root=results).rows()
    assert len(rows) == 6 and set(rows["amp"]) == {"bf16"} and "device" not in rows  # cpu: the default
    assert rows["ua"].between(0, 1).all()
    saved = sorted((tmp_path / "adapters").iterdir())
    assert len(saved) == 6
    for folder in saved:  # lora+top-k: the adapter in peft's layout, and every trained tensor
        assert {"adapter_config.json", "adapter_model.safetensors", "trainable.safetensors"} <= {
            f.name for f in folder.iterdir()}


def test_paper_scale_ser_sweep_needs_a_folder(capsys):
    from audioscale.cli import main

    assert main(["sweep", "ser", "--scale", "paper"]) == 2
    assert "needs a CREMA-D folder" in capsys.readouterr().err


def test_fp16_autocast_is_refused_on_the_cpu(capsys):
    from audioscale.cli import main

    assert main(["sweep", "ser", "--amp", "fp16"]) == 2
    assert "amp='fp16' is for GPUs" in capsys.readouterr().err


def test_default_device_and_amp_stay_out_of_the_key():
    from dataclasses import replace

    from audioscale.ser.run import row_config
    from audioscale.ser.sweep import cheapest_config

    cfg = cheapest_config()
    assert "device" not in row_config(cfg) and "amp" not in row_config(cfg)  # committed keys unchanged
    assert row_config(replace(cfg, amp="bf16"))["amp"] == "bf16"
