"""What a user's data folder holds, as one short digest recorded in every row made from it.

A row is keyed by its configuration; for a local folder (LibriSpeech or manifest layout for
ASR, CREMA-D's layout for SER) that includes this fingerprint, so replacing a bad file or
rewriting a transcript makes the old row stale instead of being shown again, and a different
folder with the same name never shares a row. The study's own data (the embedded corpora, the
read-aloud set) is named by its version instead. Each file is hashed once per process and
(path, size, mtime): fingerprinting a folder again costs one ``stat`` per file.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    st = os.stat(path)
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def folder_fingerprint(root: Path, files) -> str:
    """``sha256:`` + 16 hex digits over the files' names (relative to ``root``) and contents."""
    root = Path(root)
    h = hashlib.sha256()
    for f in sorted(Path(p) for p in files):
        h.update(f"{f.relative_to(root).as_posix()}\0{file_digest(f)}\n".encode())
    return "sha256:" + h.hexdigest()[:16]
