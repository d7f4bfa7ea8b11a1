"""Build, execute and clean the study's notebooks.

- Authoring format: ``notebooks/src/NN_name.py`` in "percent" format (``# %%`` code cells,
  ``# %% [markdown]`` prose cells, ``# %% tags=["parameters"]`` for papermill's parameters
  cell). ``build`` turns each into ``notebooks/NN_name.ipynb``; a test checks they agree.
- ``reproduce``: recomputes every result row (``audioscale.study``, what ``make results``
  runs), then builds and executes every notebook with papermill; stops at the first failure
  naming notebook and cell.
- ``figures``: the same execution without recomputing: result rows are read as committed.
Notebooks only read rows here (a row is computed in a notebook only when it is missing), so
two run side by side.
After execution, papermill's timing metadata and stderr streams (which carry machine
paths and warnings) are stripped, so committed notebooks diff cleanly.

- ``run NOTEBOOK [-f params.yaml] [-p name value ...]``: a user's re-run with other
  parameters (lists through YAML, as papermill's ``-p`` takes scalars only), written to
  ``notebooks/executed/`` (git-ignored); the committed notebook is left untouched.

Usage: python -m audioscale.notebooks {build|reproduce|figures|clean} [NOTEBOOK ...]
       python -m audioscale.notebooks run NOTEBOOK [-f PARAMS.yaml] [-p NAME VALUE ...]
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat

from .paths import REPO

NOTEBOOK_DIR = REPO / "notebooks"
SRC_DIR = NOTEBOOK_DIR / "src"
# Each runs FlopCounterMode over every paper configuration (large-v3 included): ~100-120 s,
# against 10-25 s for any other notebook (benchmarks/notebook_times.py).
SLOWEST = ("00_compute_budget", "06_pareto_scaling")
_MARKER = re.compile(r"^# %%(?P<md> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$")


def py_to_notebook(text: str) -> nbformat.NotebookNode:
    """Percent-format Python source -> notebook with no outputs."""
    cells, kind, tags, lines = [], None, [], []

    def flush():
        if kind is None:
            return
        body = "\n".join(lines).strip("\n")
        if kind == "markdown":
            body = "\n".join(re.sub(r"^# ?", "", ln) for ln in body.splitlines())
            cell = nbformat.v4.new_markdown_cell(body)
        else:
            cell = nbformat.v4.new_code_cell(body)
        if tags:
            cell.metadata["tags"] = tags
        cell.pop("id", None)
        cells.append(cell)

    for line in text.splitlines():
        m = _MARKER.match(line)
        if m:
            flush()
            kind = "markdown" if m.group("md") else "code"
            tags = json.loads(m.group("tags")) if m.group("tags") else []
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    nb.nbformat_minor = 4  # no cell ids: stable diffs
    return nb


def cell_sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def clean(path: Path) -> None:
    """Strip papermill metadata, widget state and views, execution timing and stderr outputs in place."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)  # progress-bar widgets' state: run noise, no content
    for cell in nb.cells:
        cell.pop("id", None)
        for key in ("papermill", "execution", "ExecuteTime"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams([o for o in cell.get("outputs", [])
                                              if not (o.output_type == "stream" and o.name == "stderr")
                                              and not _is_widget(o)])
    nb.nbformat_minor = 4
    _write(nb, path)


def _is_widget(output) -> bool:
    """A progress-bar widget's view (tqdm in a kernel): run noise that only appears when a cell
    computes, so a rerun that reuses rows would differ from the committed notebook by it."""
    return output.output_type == "display_data" and WIDGET_VIEW in output.get("data", {})


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _write(nb, path: Path) -> None:
    import warnings

    # Cell ids are left out on purpose (nbformat 4.4: stable diffs); nbformat warns about each.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Cell is missing an id field")
        nbformat.write(nb, path)


def _coalesce_streams(outputs: list) -> list:
    """Join consecutive stdout chunks: the kernel splits a cell's prints at arbitrary points,
    which would make a re-executed notebook differ from the committed one by its chunking."""
    out = []
    for o in outputs:
        if out and o.output_type == "stream" and out[-1].output_type == "stream" and out[-1].name == o.name:
            out[-1].text += o.text
        else:
            out.append(o)
    return out


def build(names: list[str] | None = None) -> list[Path]:
    out = []
    for src in sorted(SRC_DIR.glob("[0-9][0-9]_*.py")):
        if names and src.stem not in names:
            continue
        dst = NOTEBOOK_DIR / f"{src.stem}.ipynb"
        _write(py_to_notebook(src.read_text()), dst)
        out.append(dst)
    return out


def _execute_one(path: Path) -> tuple[str, float, str | None]:
    """Execute one notebook in place and clean it; (name, seconds, failure or None)."""
    import papermill as pm

    t0 = time.perf_counter()
    failure = None
    try:
        pm.execute_notebook(str(path), str(path), cwd=str(NOTEBOOK_DIR), progress_bar=False,
                            kernel_name="python3", log_output=False)
    except pm.PapermillExecutionError as e:
        failure = f"cell {e.exec_count}: {e.ename}: {e.evalue}"
    clean(path)
    return path.name, time.perf_counter() - t0, failure


def execute(names: list[str] | None, jobs: int = 2) -> None:
    """Execute the notebooks, ``jobs`` kernels side by side through the study's job queue
    (``audioscale.jobs``; they read rows, never write one another reads: ``make results`` has
    computed them). The slow ones start first, so they do not end up queued behind each other."""
    from .jobs import Job, JobsFailed, run_jobs

    notebooks = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if names:
        notebooks = [p for p in notebooks if p.stem in names]
    os.environ.setdefault("MPLBACKEND", "Agg")
    total = time.perf_counter()
    print(f"{len(notebooks)} notebooks, {jobs} at a time ...", flush=True)
    # Threads suffice: each notebook runs in its own kernel process.
    queue = [Job(p.stem, lambda p=p: _execute_or_raise(p), cost_s=100.0 if p.stem in SLOWEST else 15.0)
             for p in notebooks]
    try:
        run_jobs(queue, workers=jobs, poll_s=0.2)
    except JobsFailed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"all {len(notebooks)} notebooks in {time.perf_counter() - total:.1f} s")


def _execute_or_raise(path: Path) -> None:
    name, _, failure = _execute_one(path)
    if failure:
        raise RuntimeError(f"{name}, {failure}")


def run_with_parameters(name: str, params: dict) -> Path:
    """Execute notebook ``name`` with ``params`` into notebooks/executed/; returns the path."""
    import papermill as pm

    src = NOTEBOOK_DIR / f"{name}.ipynb"
    if not src.is_file():
        known = sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
        raise SystemExit(f"no notebook {name!r}: choose one of {known}")
    out = NOTEBOOK_DIR / "executed" / f"{name}.ipynb"
    out.parent.mkdir(exist_ok=True)
    print(f"running {src.name} with {params} -> {out.relative_to(REPO)}", flush=True)
    pm.execute_notebook(str(src), str(out), parameters=params, cwd=str(NOTEBOOK_DIR),
                        kernel_name="python3", progress_bar=True)
    return out


def _parse_run_args(args: list[str]) -> tuple[str, dict]:
    import yaml

    if not args:
        raise SystemExit(__doc__)
    name, params, rest = args[0], {}, args[1:]
    while rest:
        flag = rest.pop(0)
        if flag == "-f" and rest:
            params.update(yaml.safe_load(Path(rest.pop(0)).read_text()) or {})
        elif flag == "-p" and len(rest) >= 2:
            key, value = rest.pop(0), rest.pop(0)
            params[key] = yaml.safe_load(value)  # "750" -> int, "true" -> bool, "[1, 2]" -> list
        else:
            raise SystemExit(f"unexpected argument {flag!r}\n\n{__doc__}")
    return name, params


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        run_with_parameters(*_parse_run_args(argv[1:]))
        return
    if not argv or argv[0] not in ("build", "reproduce", "figures", "clean"):
        raise SystemExit(__doc__)
    cmd, names = argv[0], argv[1:] or None
    if cmd == "build":
        for p in build(names):
            print("built", p.relative_to(REPO))
    elif cmd == "clean":
        for p in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
            if not names or p.stem in names:
                clean(p)
    else:
        if cmd == "reproduce":
            from .study import compute_all

            compute_all(recompute=True)
            build(names)  # the percent sources are the authoring format
        execute(names, jobs=2)


if __name__ == "__main__":
    main()
