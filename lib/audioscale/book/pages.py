"""The book's copy of each committed notebook: same cells, same outputs, dressed for reading.

Nothing is re-executed. The copy differs from the committed notebook only in presentation:

- every code cell is tagged ``hide-input`` (folded; MyST-NB draws a "show code" toggle);
- stderr streams and progress-bar widget views are dropped (``audioscale.notebooks.clean``
  already strips them on commit; a notebook run by hand may still carry them);
- stdout is split into text and tables (``text_tables``): each table becomes an HTML table;
- the line ``save_figure`` prints (``['figures/x.png', 'figures/x.svg']``) gives way to the
  figure itself, as a captioned figure naming the function and code cell that drew it: where
  the prose already shows the image (``![alt](../figures/x.png)``) the caption goes there,
  otherwise the figure follows the cell that saved it;
- a provenance note after the title names the commit and date of the committed outputs.

Which function drew a figure is read from the code, not written by hand: the cell that calls
``plots.save_figure(fig, NB, "section")`` is found with ``ast``, and the last assignment to
``fig`` before it names the call, resolved through the notebook's imports.
"""
from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..paths import REPO
from . import provenance
from .text_tables import TextTable, split_stdout

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
FIGURES = "figures"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SAVED_LINE = re.compile(r"^\['figures/[^'\s]+\.png', 'figures/[^'\s]+\.svg'\]$")
MD_IMAGE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\(\.\./figures/(?P<file>[^)\s]+\.png)\)\s*$")
WORDS = {"flops": "FLOPs", "gflops": "GFLOPs", "wer": "WER", "ua": "UA", "asr": "ASR", "ser": "SER"}


@dataclass
class Figure:
    """One figure a notebook saves, and where it came from."""
    notebook: str       # notebook stem, e.g. "00_compute_budget"
    section: str        # save_figure's section, e.g. "flops_breakdown"
    function: str       # the dotted name of the function that drew it ("" if not found)
    code_cell: int      # 1-based number of the code cell that saved it (= In [n] of the run)
    cell_index: int     # its index among all the notebook's cells
    alt: str = ""       # the prose's alt text for it, if the prose shows it

    @property
    def file(self) -> str:
        return f"{FIGURES}/{self.notebook}_{self.section}.png"

    @property
    def label(self) -> str:
        return "fig-" + re.sub(r"[^a-z0-9]+", "-", f"{self.notebook}-{self.section}".lower()).strip("-")

    @property
    def title(self) -> str:
        if self.alt:
            return self.alt[0].upper() + self.alt[1:]
        words = [WORDS.get(w, w) for w in self.section.split("_")]
        text = " ".join(words)
        return text[0].upper() + text[1:]

    def exists(self, repo: Path = REPO) -> bool:
        return (repo / self.file).is_file()

    def caption(self) -> str:
        drawn = f"Drawn by `{self.function}`" if self.function else "Drawn"
        return f"**{self.title}.** {drawn} in code cell {self.code_cell}; `{self.file}`."

    def directive(self) -> str:
        return (f"```{{figure}} {self.file}\n:name: {self.label}\n:alt: {self.title}\n:width: 100%\n\n"
                f"{self.caption()}\n```")


def notebooks(repo: Path = REPO) -> list[Path]:
    """The study's notebooks in order; ones added later (08, 09, ...) join by name."""
    return sorted((repo / "notebooks").glob(NOTEBOOK_GLOB))


def title(nb) -> str:
    """The first heading's text: ``00 · Compute accounting: what each configuration costs``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if m:
                return m.group(1).strip()
    return ""


# ----------------------------------------------------------------------------- figures
def _dotted(node, aliases: dict[str, str]) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    base = aliases.get(node.id, node.id)
    return ".".join([base, *reversed(parts)])


def _code_trees(nb) -> list[tuple[int, int, ast.AST | None]]:
    """(cell index, code cell number, parsed source) for each code cell."""
    out, n = [], 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        n += 1
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics: no figure is found there, the rest still is
            tree = None
        out.append((i, n, tree))
    return out


def find_figures(nb, stem: str) -> list[Figure]:
    """Every ``save_figure`` call in the notebook, with the function that drew its figure."""
    aliases: dict[str, str] = {}
    strings: dict[str, str] = {}
    drawn_by: dict[str, str] = {}
    figures = []
    for index, number, tree in _code_trees(nb):
        if tree is None:
            continue
        nodes = sorted((n for n in ast.walk(tree) if hasattr(n, "lineno")),
                       key=lambda n: (n.lineno, n.col_offset))
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Tuple) and target.elts:
                    target = target.elts[0]  # fig, data = plot(...)
                if not isinstance(target, ast.Name):
                    continue
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    strings[target.id] = node.value.value
                elif isinstance(node.value, ast.Call):
                    drawn_by[target.id] = _dotted(node.value.func, aliases)
            elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
                  and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "save_figure"
                  and len(node.args) >= 3):
                fig, nb_arg, section = node.args[:3]
                name = (nb_arg.value if isinstance(nb_arg, ast.Constant)
                        else strings.get(nb_arg.id, "") if isinstance(nb_arg, ast.Name) else "")
                if not isinstance(section, ast.Constant) or name != stem:
                    continue
                function = drawn_by.get(fig.id, "") if isinstance(fig, ast.Name) else _dotted(
                    getattr(fig, "func", None), aliases)
                figures.append(Figure(stem, section.value, function, number, index))
    return figures


# ----------------------------------------------------------------------------- outputs
def _is_noise(output) -> bool:
    if output.output_type == "stream" and output.name == "stderr":
        return True
    data = output.get("data", {})
    return output.output_type == "display_data" and WIDGET_VIEW in data and "image/png" not in data


def _stdout_outputs(text: str) -> list:
    """stdout as outputs for the book: text blocks as streams, tables as HTML."""
    out = []
    for block in split_stdout(text):
        if isinstance(block, TextTable):
            out.append(nbformat.v4.new_output("display_data", data={"text/html": block.to_html(),
                                                                    "text/plain": "\n".join(block.lines)}))
            continue
        lines = [ln for ln in block.split("\n") if not SAVED_LINE.match(ln.strip())]
        body = "\n".join(lines).strip("\n")
        if body.strip():
            out.append(nbformat.v4.new_output("stream", name="stdout", text=body + "\n"))
    return out


def _book_outputs(outputs: list) -> list:
    out = []
    for o in outputs:
        if _is_noise(o):
            continue
        if o.output_type == "stream":
            out.extend(_stdout_outputs(o.text))
        else:
            o = copy.deepcopy(o)
            o.get("data", {}).pop(WIDGET_VIEW, None)
            out.append(o)
    return out


# ----------------------------------------------------------------------------- the page
def stamp_markdown(path: Path, repo: Path = REPO) -> str:
    """The provenance note a notebook page carries below its title."""
    rel = path.relative_to(repo)
    nb_stamp = provenance.last_change(rel, repo=repo)
    rows = provenance.last_change("results", repo=repo)
    return ("```{admonition} Where these numbers come from\n:class: audioscale-stamp\n\n"
            f"Computed at {nb_stamp.describe()}: the last commit that changed `{rel}`, whose executed "
            f"outputs this page shows. The result rows it reads (`results/`) last changed at "
            f"{rows.describe()}. Nothing was re-executed to build this page: "
            "`make reproduce && make book` for fresh numbers.\n```")


def book_notebook(path: Path, repo: Path = REPO) -> tuple[nbformat.NotebookNode, list[Figure]]:
    """The book's copy of the notebook at ``path`` and the figures it shows."""
    nb = nbformat.read(path, as_version=4)
    stem = path.stem
    figures = [f for f in find_figures(nb, stem) if f.exists(repo)]
    by_file = {f.file: f for f in figures}
    placed: set[str] = set()

    cells = []
    for i, cell in enumerate(nb.cells):
        cell = copy.deepcopy(cell)
        cell.pop("id", None)
        if cell.cell_type == "code":
            tags = list(cell.metadata.get("tags", []))
            cell.metadata["tags"] = tags + ["hide-input"] if "hide-input" not in tags else tags
            cell.outputs = _book_outputs(cell.get("outputs", []))
        elif cell.cell_type == "markdown":
            lines = []
            for line in cell.source.split("\n"):
                m = MD_IMAGE.match(line.strip())
                fig = by_file.get(f"{FIGURES}/{m.group('file')}") if m else None
                if fig is not None and fig.file not in placed:
                    fig.alt = m.group("alt")
                    placed.add(fig.file)
                    lines += ["", fig.directive(), ""]
                else:
                    lines.append(line.replace("](../figures/", "](figures/"))
            cell.source = "\n".join(lines)
        cells.append((i, cell))

    out = []
    for i, cell in cells:
        out.append(cell)
        if i == 0:
            out.append(nbformat.v4.new_markdown_cell(stamp_markdown(path, repo)))
        for fig in figures:
            if fig.cell_index == i and fig.file not in placed:
                out.append(nbformat.v4.new_markdown_cell(fig.directive()))
                placed.add(fig.file)
    for cell in out:
        cell.pop("id", None)
    nb.cells = out
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    return nb, figures
