"""Build the book: stage the sources, then one Sphinx run (MyST-NB, sphinx-book-theme).

``book/`` holds what is written by hand (``conf.py``, the front page, the FLOPs walk-through,
the glossary, the figures page, CSS). ``stage`` copies it to ``_build/book-src/`` and adds what
is derived: the book's copy of every committed notebook (``pages.book_notebook``), the figures
they show, and ``_generated/`` (the sections table, the figure index, the headline figures,
and ``context.json``: MyST substitutions that ``conf.py`` reads, the FLOPs walk-through's
numbers among them). Sphinx then writes ``_build/book/``, one page per notebook named after
it (``00_compute_budget.html``).

Everything is local: MyST-NB does not execute (``nb_execution_mode = "off"``), and the theme's
fonts and scripts ship in its wheel. Sphinx's warnings go to ``_build/book-warnings.txt``; the
book's test requires it empty.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..paths import REPO
from . import pages, provenance

BUILD = REPO / "_build"
OUT = BUILD / "book"
STAGE = BUILD / "book-src"
WARNINGS = BUILD / "book-warnings.txt"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"IEND\xaeB`\x82"  # the IEND chunk and its CRC: the last 8 bytes of every PNG
# The front page's headline figures (README's three), each shown if the study drew it
HEADLINE = (("06_pareto_scaling_frontiers", "Pareto frontiers, the paper's points beside ours"),
            ("01_asr_model_size_real_wer_vs_gflops", "Real Whisper: WER against GFLOPs, beside the paper's"),
            ("03_asr_stride_flops_vs_time_saving", "Stride 2: the FLOPs it saves against the time it saves"))


@dataclass
class BuildReport:
    out: Path
    pages: list[str]               # HTML files written for the book's documents, in reading order
    seconds: float
    warnings: list[str]
    figures: list[pages.Figure] = field(default_factory=list)


def _write_notebook(nb, path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Cell is missing an id field")
        nbformat.write(nb, path)


def _copy_png(src: Path, dst: Path, tries: int = 40) -> None:
    """Copy a PNG once it is whole: under ``make test`` nbval re-executes the notebooks beside
    the book's test, and each execution rewrites its figures in place."""
    for _ in range(tries):
        data = src.read_bytes()
        if data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END):
            dst.write_bytes(data)
            return
        time.sleep(0.25)
    raise RuntimeError(f"{src} is not a complete PNG (still being written?)")


def _short_title(title: str) -> str:
    """``01 — ASR: model size (xN)`` -> ``ASR: model size (xN)``."""
    parts = title.split(" ", 2)
    return parts[2] if len(parts) == 3 and parts[0].isdigit() and parts[1] in ("·", "—", "-", "–") else title


def _sections_table(rows: list[tuple[str, str, int, provenance.Stamp]]) -> str:
    out = ["| | section | figures | numbers computed at |", "|---|---|--:|---|"]
    for stem, title, n_figures, stamp in rows:
        out.append(f"| {stem[:2]} | {{doc}}`{_short_title(title)} <{stem}>` | {n_figures} | {stamp.describe()} |")
    return "\n".join(out)


def _figures_index(figures: list[pages.Figure], titles: dict[str, str]) -> str:
    out = []
    for stem in dict.fromkeys(f.notebook for f in figures):
        mine = [f for f in figures if f.notebook == stem]
        out += [f"## {titles[stem]}", "", f"In the section {{doc}}`{stem}`:", "",
                "| figure | drawn by | code cell |", "|---|---|--:|"]
        for f in mine:
            drawn = f"`{f.function}`" if f.function else "(not found in the code)"
            out.append(f"| {{ref}}`{f.title} <{f.label}>` | {drawn} | {f.code_cell} |")
        out.append("")
        for f in mine:
            out += [f"```{{image}} {f.file}", f":alt: {f.title} ({f.file})", ":width: 32%",
                    f":target: {stem}.html#{f.label}", "```"]
        out.append("")
    return "\n".join(out)


def _headline(repo: Path, labels: dict[str, pages.Figure]) -> str:
    out = []
    for name, caption in HEADLINE:
        fig = labels.get(name)
        if fig is None:
            continue
        out += [f"```{{figure}} {fig.file}", f":alt: {caption}", ":width: 100%", "",
                f"{caption}: {{ref}}`the figure in its section <{fig.label}>`.", "```", ""]
    return "\n".join(out)


def stage(stage_dir: Path = STAGE, repo: Path = REPO) -> tuple[list[pages.Figure], dict]:
    """Write the Sphinx source tree; returns the figures and the substitutions."""
    from . import flops_walkthrough

    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    shutil.copytree(repo / "book", stage_dir, ignore=shutil.ignore_patterns("__pycache__"))
    generated = stage_dir / "_generated"
    generated.mkdir()
    (stage_dir / pages.FIGURES).mkdir()

    figures, rows, titles = [], [], {}
    for path in pages.notebooks(repo):
        nb, figs = pages.book_notebook(path, repo)
        _write_notebook(nb, stage_dir / path.name)
        for f in figs:
            _copy_png(repo / f.file, stage_dir / f.file)
        titles[path.stem] = pages.title(nb)
        rows.append((path.stem, titles[path.stem], len(figs), provenance.last_change(path.relative_to(repo), repo=repo)))
        figures += figs

    by_name = {Path(f.file).stem: f for f in figures}
    (generated / "sections.md").write_text(_sections_table(rows) + "\n")
    (generated / "figures.md").write_text(_figures_index(figures, titles) + "\n")
    (generated / "headline.md").write_text(_headline(repo, by_name) + "\n")

    built = provenance.head(repo)
    figures_stamp = provenance.last_change(pages.FIGURES, repo=repo)
    context = {
        "build_commit": built.describe(),
        "figures_commit": figures_stamp.describe(),
        "n_notebooks": str(len(rows)),
        "n_figures": str(len(figures)),
        **flops_walkthrough.substitutions(),
    }
    (generated / "context.json").write_text(json.dumps(context, indent=1, ensure_ascii=False) + "\n")
    return figures, context


def build(out: Path = OUT, stage_dir: Path = STAGE, warnings_file: Path = WARNINGS, repo: Path = REPO,
          quiet: bool = True) -> BuildReport:
    """Stage and build; the report lists the pages written and the warnings Sphinx raised."""
    from sphinx.cmd.build import build_main

    t0 = time.perf_counter()
    figures, _ = stage(stage_dir, repo)
    for d in (out, stage_dir.parent / "book-doctrees"):
        if d.exists():
            shutil.rmtree(d)
    warnings_file.parent.mkdir(parents=True, exist_ok=True)
    args = ["-b", "html", "-E", "-d", str(stage_dir.parent / "book-doctrees"), "-w", str(warnings_file),
            str(stage_dir), str(out)]
    rc = build_main((["-q"] if quiet else []) + args)
    if rc != 0:
        raise SystemExit(f"sphinx-build failed (exit {rc}); see {warnings_file}")
    documents = [p.stem for p in sorted(stage_dir.glob("*.md")) if p.stem != "index"]
    order = ["index", *(p.stem for p in pages.notebooks(repo)), *documents]
    written = [f"{name}.html" for name in order if (out / f"{name}.html").is_file()]
    warnings = [ln for ln in warnings_file.read_text().splitlines() if ln.strip()]
    return BuildReport(out, written, time.perf_counter() - t0, warnings, figures)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    out = Path(argv[0]).resolve() if argv else OUT
    report = build(out)
    rel = out.relative_to(REPO) if out.is_relative_to(REPO) else out
    print(f"book: {len(report.pages)} pages in {rel}/ ({report.seconds:.1f} s)")
    for name in report.pages:
        print(f"  {name}")
    if report.warnings:
        print(f"{len(report.warnings)} Sphinx warning(s), in {WARNINGS.relative_to(REPO)}:", file=sys.stderr)
        for line in report.warnings:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0
