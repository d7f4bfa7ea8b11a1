"""Tables the notebooks print as text, read back into cells so the book can show them as HTML.

The notebooks print their tables with ``DataFrame.to_string`` (``audioscale.tables.show``):
nbval compares text exactly, so the committed outputs are plain stdout, and the book must not
re-execute them. ``to_string``'s layout is regular enough to read back:

- every line of one table has the same length (cells are padded to the column width);
- data columns are right-justified, so a column's header and each of its values end at the
  column's right edge, and one space separates two columns: a position that is blank on every
  line of the table (a *gutter*) right after the header's last character is a column edge;
- index columns (``index=True``) are left-justified and come first; an index with names adds
  a second header line that ends in blanks (data rows never do: their last column is
  right-justified and never empty).

A gutter inside a column (``same direction``; ``rel_wer_change_pct (ours)`` over narrower
numbers) is not an edge: inside a header only the header has text there, and a value's inner
space is not under the end of a header. Anything that does not read back as a table with at
least two columns stays text, so a misread can only cost a table its HTML form, never its
content: ``split_stdout`` returns every input line, in order, in a text or a table block.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

# Columns whose values are verdicts: the book colours them (match / differs, agrees / unclear)
VERDICT_COLUMNS = ("verdict", "match", "resolved")
GOOD = re.compile(r"^(match|agrees|yes|true|same direction)$", re.IGNORECASE)
BAD = re.compile(r"^(differs|disagrees|no\b.*|false|opposite direction)$", re.IGNORECASE)
MISSING = ("NaN", "<NA>", "nan", "None", "-")
NUMBER = re.compile(r"^[-+]?(\d[\d,]*\.?\d*|\.\d+)(e[-+]?\d+)?%?$|^(NaN|<NA>|nan|inf|-inf|None)$")


@dataclass
class TextTable:
    """A table read from ``to_string`` text: one or two header rows, then data rows."""
    header: list[list[str]]
    rows: list[list[str]]
    lines: list[str] = field(repr=False, default_factory=list)

    @property
    def columns(self) -> list[str]:
        """One name per column: the header rows' cells joined (an index name and a column name)."""
        return [" ".join(h[i] for h in self.header if h[i]).strip() for i in range(len(self.header[0]))]

    def to_html(self) -> str:
        names = self.columns
        numeric = [bool(col) and all(NUMBER.match(v) for v in col if v)
                   for col in zip(*self.rows)] if self.rows else [False] * len(names)
        out = ['<table class="audioscale-table">', "<thead>"]
        for hrow in self.header:
            out.append("<tr>" + "".join(f'<th class="{"num" if numeric[i] else "text"}">{html.escape(c)}</th>'
                                        for i, c in enumerate(hrow)) + "</tr>")
        out += ["</thead>", "<tbody>"]
        for row in self.rows:
            cells = []
            for i, value in enumerate(row):
                cls = ["num" if numeric[i] else "text"] + (["na"] if value in MISSING else [])
                if names[i].split(" ")[-1] in VERDICT_COLUMNS and value:
                    cls.append("good" if GOOD.match(value) else "bad" if BAD.match(value) else "neutral")
                cells.append(f'<td class="{" ".join(cls)}">{html.escape(value)}</td>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        out += ["</tbody>", "</table>"]
        return "\n".join(out)


def _blank(line: str, i: int) -> bool:
    return i >= len(line) or line[i] == " "


def _runs(lines: list[str], width: int) -> list[tuple[int, int]]:
    """Maximal runs [start, end) of positions that are blank on every line."""
    runs, start = [], None
    for i in range(width + 1):
        blank = i < width and all(_blank(ln, i) for ln in lines)
        if blank and start is None:
            start = i
        elif not blank and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _header_lines(lines: list[str]) -> int:
    """2 when the second line names the index: all its text lies left of at least two header
    names of the first line (a data row has values under them); else 1."""
    if len(lines) < 3 or not lines[1].strip():
        return 1
    right = len(lines[1].rstrip())
    names_after = re.findall(r"\S+", lines[0][right:])
    return 2 if len(names_after) >= 2 else 1


def parse_table(lines: list[str]) -> TextTable | None:
    """Read one ``to_string`` block (equal-length lines, header first) into cells, or None."""
    if len(lines) < 2 or len({len(ln) for ln in lines}) != 1:
        return None
    width = len(lines[0])
    n_head = _header_lines(lines)
    head = lines[:n_head]
    runs = [r for r in _runs(lines, width) if r[0] > 0]
    if len(lines) == 2 and not any(end - start >= 2 for start, end in runs):
        return None  # two lines of prose that happen to share a length: words one space apart
    edges, start, index_region = [], 0, True
    for gap_start, gap_end in runs:
        segment = [ln[start:gap_start] for ln in lines]
        data = segment[n_head:]
        has_data = any(s.strip() for s in data)
        header_ends_here = any(not _blank(h, gap_start - 1) for h in head)
        # an index column: left-justified, and named or with a value on every row
        left_justified = all(s[0] != " " for s in segment if s.strip())
        named = any(s.strip() for s in segment[:n_head])
        index_like = left_justified and (named or all(s.strip() for s in data))
        # a header that ends here with no value under it is the first word of a longer header,
        # unless two spaces set it off (a column blank on every row: a sparse pivot)
        if header_ends_here and (has_data or gap_end - gap_start >= 2):
            edges.append((start, gap_start))
            start, index_region = gap_end, index_region and left_justified
        elif index_region and index_like:
            edges.append((start, gap_start))
            start = gap_end
        else:
            index_region = False
    edges.append((start, width))
    if len(edges) < 2:
        return None
    cells = [[ln[a:b].strip() for a, b in edges] for ln in lines]
    header, rows = cells[:n_head], cells[n_head:]
    names = [c for c in header[0] if c]
    if (sum(1 for c in zip(*header) if any(c)) < 2 or all(NUMBER.match(c) for c in names)
            or any(sum(1 for v in r if v) < 1 for r in rows)):
        return None
    return TextTable(header, rows, list(lines))


def split_stdout(text: str) -> list[str | TextTable]:
    """A cell's stdout as blocks in order: text (str, lines joined, newlines kept) or tables.

    A table is a run of at least two consecutive non-blank lines of equal length that
    ``parse_table`` reads; every other line stays in a text block.
    """
    lines = text.split("\n")
    blocks: list[str | TextTable] = []
    pending: list[str] = []

    def emit_text(chunk: list[str]):
        if blocks and isinstance(blocks[-1], str):
            blocks[-1] += "\n" + "\n".join(chunk)
        else:
            blocks.append("\n".join(chunk))

    i = 0
    while i < len(lines):
        j = i
        if lines[i].strip():
            while j + 1 < len(lines) and lines[j + 1].strip() and len(lines[j + 1]) == len(lines[i]):
                j += 1
        table = None
        while j > i and table is None:  # a prose line may share the table's width: drop it
            table = parse_table(lines[i:j + 1])
            if table is None:
                j -= 1
        if table is not None:
            if pending:
                emit_text(pending)
                pending = []
            blocks.append(table)
            i = j + 1
        else:
            pending.append(lines[i])
            i += 1
    if pending:
        emit_text(pending)
    return blocks
