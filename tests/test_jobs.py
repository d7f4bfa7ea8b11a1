"""audioscale.jobs: a dependency-aware job queue with N workers, longest remaining chain first."""
import sys
import threading
import time

import pytest

from audioscale.errors import AudioscaleError
from audioscale.jobs import Job, JobsFailed, chain_s, run_jobs


def recorder():
    """(a callable-job factory that records start/end order, the log, the peak concurrency)."""
    log, lock, live = [], threading.Lock(), {"now": 0, "peak": 0}

    def job(name, sleep_s=0.02, fail=False):
        def run():
            with lock:
                live["now"] += 1
                live["peak"] = max(live["peak"], live["now"])
                log.append(("start", name))
            time.sleep(sleep_s)
            with lock:
                live["now"] -= 1
                log.append(("end", name))
            if fail:
                raise RuntimeError(f"{name} broke")
        return run
    return job, log, live


def test_priority_is_the_longest_remaining_chain():
    jobs = [Job("a", lambda: None, cost_s=5), Job("b", lambda: None, cost_s=3),
            Job("c", lambda: None, ("b",), cost_s=4), Job("d", lambda: None, ("c",), cost_s=1)]
    assert chain_s(jobs) == {"a": 5, "b": 8, "c": 5, "d": 1}


def test_one_worker_starts_ready_jobs_in_priority_order():
    job, log, _ = recorder()
    jobs = [Job("short", job("short"), cost_s=1), Job("long", job("long"), cost_s=10),
            Job("middle", job("middle"), cost_s=5)]
    run_jobs(jobs, 1, poll_s=0.001)
    assert [n for kind, n in log if kind == "start"] == ["long", "middle", "short"]


def test_dependencies_are_respected_and_a_short_head_with_a_long_tail_goes_first():
    job, log, _ = recorder()
    jobs = [Job("tail", job("tail"), ("head",), cost_s=10), Job("head", job("head"), cost_s=1),
            Job("alone", job("alone"), cost_s=5)]
    wall = run_jobs(jobs, 1, poll_s=0.001)
    starts = [n for kind, n in log if kind == "start"]
    assert starts == ["head", "tail", "alone"]  # head's chain (11) beats alone (5)
    assert log.index(("end", "head")) < log.index(("start", "tail"))
    assert set(wall) == {"head", "tail", "alone"}


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_worker_count_is_honoured(workers):
    job, _, live = recorder()
    run_jobs([Job(str(i), job(str(i), 0.1)) for i in range(6)], workers, poll_s=0.001)
    assert live["peak"] == workers


def test_a_failing_job_is_named_its_dependents_skipped_and_the_rest_still_run(capsys):
    job, log, _ = recorder()
    jobs = [Job("bad", job("bad", fail=True), cost_s=9), Job("after-bad", job("after-bad"), ("bad",)),
            Job("after-after", job("after-after"), ("after-bad",)), Job("fine", job("fine"))]
    with pytest.raises(JobsFailed, match="job 'bad' failed: RuntimeError: bad broke") as err:
        run_jobs(jobs, 2, poll_s=0.001)
    assert list(err.value.failed) == ["bad"] and err.value.skipped == ["after-bad", "after-after"]
    assert ("end", "fine") in log and ("start", "after-bad") not in log
    assert isinstance(err.value, AudioscaleError)  # the CLI prints it as one line
    out = capsys.readouterr().out
    assert "start bad" in out and "FAILED bad" in out and "finished fine" in out


def test_commands_run_as_subprocesses_and_a_nonzero_exit_fails():
    ok = Job("ok", [sys.executable, "-c", "pass"])
    bad = Job("bad", [sys.executable, "-c", "raise SystemExit(3)"])
    assert set(run_jobs([ok], 1, poll_s=0.01)) == {"ok"}
    with pytest.raises(JobsFailed, match="job 'bad' failed: exit status 3"):
        run_jobs([ok, bad], 2, poll_s=0.01)


@pytest.mark.parametrize("jobs, message", [
    ([Job("a", lambda: None), Job("a", lambda: None)], "two jobs are named 'a'"),
    ([Job("a", lambda: None, ("missing",))], "unknown job"),
    ([Job("a", lambda: None, ("b",)), Job("b", lambda: None, ("a",))], "cycle"),
])
def test_bad_plans_are_refused_before_anything_runs(jobs, message):
    with pytest.raises(AudioscaleError, match=message):
        run_jobs(jobs, 1, poll_s=0)
    with pytest.raises(AudioscaleError, match="workers=0"):
        run_jobs([Job("a", lambda: None)], 0)
