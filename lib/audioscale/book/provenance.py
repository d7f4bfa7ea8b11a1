"""Which commit and date a page's numbers come from, asked of git.

A notebook's numbers are its committed outputs, so its stamp is the last commit that changed
the notebook file (``git log -1 -- notebooks/NN_name.ipynb``); the result rows it reads are
stamped apart with the last commit that changed ``results/``. A file with uncommitted changes
says so instead of borrowing the last commit's date. Outside a git checkout (an unpacked
archive) every stamp reads "not under git" rather than failing the build.
"""
from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..paths import REPO


@dataclass(frozen=True)
class Stamp:
    """The last commit that changed ``paths``; ``dirty`` when the working tree differs from it."""
    paths: tuple[str, ...]
    sha: str | None    # full hash; None outside git or for files never committed
    date: str | None   # committer date, YYYY-MM-DD
    dirty: bool

    @property
    def short(self) -> str | None:
        return self.sha[:7] if self.sha else None

    def describe(self) -> str:
        """``commit `abc1234` (2026-12-06)``, with the working tree's state where it differs."""
        if self.sha is None:
            return "no commit (not under git, or never committed)"
        text = f"commit `{self.short}` ({self.date})"
        if self.dirty:
            text += f", plus uncommitted changes (working tree on {dt.date.today().isoformat()})"
        return text


def _git(*args: str, repo: Path = REPO) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def last_change(*paths: str | Path, repo: Path = REPO) -> Stamp:
    """The stamp of ``paths`` (relative to ``repo``, or absolute inside it)."""
    rel = tuple(str(Path(p).resolve().relative_to(repo.resolve())) if Path(p).is_absolute() else str(p)
                for p in paths)
    line = _git("log", "-1", "--format=%H %cs", "--", *rel, repo=repo)
    sha, date = (line.split() if line else (None, None))
    status = _git("status", "--porcelain", "--", *rel, repo=repo)
    return Stamp(rel, sha, date, bool(status))


def head(repo: Path = REPO) -> Stamp:
    """The checked-out commit: what the book itself was built from."""
    line = _git("log", "-1", "--format=%H %cs", repo=repo)
    sha, date = (line.split() if line else (None, None))
    status = _git("status", "--porcelain", "--untracked-files=no", repo=repo)
    return Stamp((), sha, date, bool(status))
