"""User-facing errors.

An ``AudioscaleError`` is a mistake in the *input* (a parameter out of range, a missing
folder, an unreadable file). Its message names the offending value and says how to fix
it; the CLI prints it without a traceback and exits with status 2.
"""


class AudioscaleError(ValueError):
    """Bad input: the message names the value, the valid range and the fix."""


def check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise AudioscaleError(f"{name}={value!r} is not one of {sorted(map(str, choices))}.")


def check_int_range(name: str, value, lo: int, hi: int | None = None, fix: str = "") -> int:
    """Return ``value`` as int if lo <= value <= hi (hi=None: no upper bound)."""
    ok = isinstance(value, int) or (isinstance(value, float) and float(value).is_integer())
    if not ok:
        raise AudioscaleError(f"{name}={value!r} must be an integer. {fix}".strip())
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        rng = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise AudioscaleError(f"{name}={value} is out of range: valid is {rng}. {fix}".strip())
    return value


def check_positive(name: str, value: float, fix: str = "") -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise AudioscaleError(f"{name}={value!r} must be a number > 0. {fix}".strip()) from None
    if not value > 0:  # also rejects NaN
        raise AudioscaleError(f"{name}={value} must be > 0. {fix}".strip())
    return value


def check_threads(threads) -> int:
    """A CPU thread count: 1 up to this machine's cores (more only oversubscribes them)."""
    import os

    return check_int_range("threads", threads, 1, os.cpu_count() or 1, fix="At most this machine's core count.")
