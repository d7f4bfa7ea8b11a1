"""Reading the text files users give us (transcripts, TSVs, manifests): UTF-8, with a UTF-8
byte-order mark removed, and any other encoding reported as one line naming the file, the
line and the offending byte, never as a UnicodeDecodeError traceback."""
from __future__ import annotations

import codecs
from pathlib import Path

from .errors import AudioscaleError


def read_text(path, what: str = "text file") -> str:
    """The file's text; ``what`` names it in errors ("transcript", "manifest", ...)."""
    p = Path(path)
    if p.is_dir():
        raise AudioscaleError(f"{path}: is a folder, not a {what}. Fix: give the {what} itself.")
    if not p.is_file():
        raise AudioscaleError(f"{path}: no such {what}.")
    raw = p.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]  # Windows editors write one; it is not part of the first id
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise AudioscaleError(
            f"{path}:{line}: byte 0x{raw[e.start]:02x} at offset {e.start} is not UTF-8. Fix: save the {what} "
            f"as UTF-8 (e.g. iconv -f latin1 -t utf-8 {p.name} > {p.stem}.utf8{p.suffix}).") from None
