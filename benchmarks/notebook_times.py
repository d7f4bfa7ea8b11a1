"""Execution time of every notebook, for the closing note.

Each ``notebooks/NN_*.ipynb`` is executed with papermill as a *copy* in a temporary folder
(the committed notebooks are never touched) with the notebooks folder as working directory,
figures redirected to the temporary folder (``AUDIOSCALE_FIGURES``) and, by default, without
``AUDIOSCALE_RECOMPUTE`` (the ``make figures`` path: committed result rows are read, missing
ones computed). The 1-minute load average is printed before and after each notebook: a load
above the core count means other jobs shared the CPU and the time is contended.

Usage: python benchmarks/notebook_times.py [--recompute] [NN_name ...]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="notebook stems (default: all)")
    ap.add_argument("--recompute", action="store_true", help="set AUDIOSCALE_RECOMPUTE=1 (make reproduce)")
    args = ap.parse_args(argv)

    import papermill as pm

    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
    if not paths:
        print("no notebooks found (build them first: python -m audioscale.notebooks build)")
        return 1
    cores = os.cpu_count() or 1
    results = []
    with tempfile.TemporaryDirectory(prefix="notebook_times_") as tmp:
        os.environ["AUDIOSCALE_FIGURES"] = str(Path(tmp) / "figures")
        os.environ.setdefault("MPLBACKEND", "Agg")
        if args.recompute:
            from audioscale.results import start_recompute_run
            start_recompute_run()
        else:
            os.environ.pop("AUDIOSCALE_RECOMPUTE", None)
            os.environ.pop("AUDIOSCALE_RECOMPUTE_RUN", None)
        for path in paths:
            load_before = os.getloadavg()[0]
            t0 = time.perf_counter()
            status = "ok"
            try:
                pm.execute_notebook(str(path), str(Path(tmp) / path.name), cwd=str(NOTEBOOKS),
                                    progress_bar=False, kernel_name="python3", log_output=False)
            except pm.PapermillExecutionError as e:
                status = f"FAILED cell {e.exec_count}: {e.ename}"
            seconds = time.perf_counter() - t0
            load_after = os.getloadavg()[0]
            contended = max(load_before, load_after) > cores
            results.append((path.stem, seconds, status, load_before, load_after, contended))
            print(f"{path.stem:32s} {seconds:8.1f} s  {status}  load {load_before:.1f}->{load_after:.1f}"
                  + ("  (contended)" if contended else ""), flush=True)
    total = sum(r[1] for r in results)
    print(f"{'total':32s} {total:8.1f} s  ({len(results)} notebooks, {cores} cores"
          + (", recompute" if args.recompute else "") + ")")
    if any(r[5] for r in results):
        print("note: load average above the core count during some runs: those times are contended.")
    return 0 if all(r[2] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
