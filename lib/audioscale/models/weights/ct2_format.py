"""Reader and writer of CTranslate2's ``model.bin`` (binary version 6), the file that
faster-whisper checkpoints ship.

Layout, little endian throughout::

    u32 binary_version                       (6)
    str spec_name                            ("WhisperSpec")
    u32 spec_revision                        (3 for Whisper)
    u32 n_variables
    n_variables x (str name, u8 rank, rank x u32 dim, u8 dtype_id, u32 n_bytes, bytes data)
    u32 n_aliases
    n_aliases x (str alias, str target)

where ``str`` is a u16 length that counts a trailing NUL, then the bytes and the NUL.
Only what a Whisper checkpoint uses is supported; anything else is a clear error naming
the file, never a guess. Reading never executes anything from the file (no pickle).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import AudioscaleError

BINARY_VERSION = 6
# CTranslate2's DataType enum, in its order.
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
DTYPE_IDS = {np.dtype(v): k for k, v in DTYPES.items()}
BFLOAT16_ID = 5  # read as raw uint16 and widened to float32 (numpy has no bfloat16)


@dataclass
class Ct2Model:
    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> np.ndarray:
        """A variable by name, following an alias."""
        name = self.aliases.get(name, name)
        if name not in self.variables:
            raise KeyError(name)
        return self.variables[name]


class _Reader:
    def __init__(self, buf: memoryview, path):
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.buf):
            raise AudioscaleError(
                f"{self.path}: CTranslate2 model.bin ends early (needs {self.pos + n} bytes, has {len(self.buf)}). "
                "Fix: the file is truncated or a part is missing; reinstall it (audioscale weights install).")
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def string(self) -> str:
        (n,) = self.unpack("H")
        raw = bytes(self.take(n))
        return raw[:-1].decode("utf-8") if raw.endswith(b"\0") else raw.decode("utf-8")


def read_ct2(path: str | Path) -> Ct2Model:
    """Parse a CTranslate2 model.bin into numpy arrays (views copied out of the file)."""
    path = Path(path)
    if not path.is_file():
        raise AudioscaleError(f"{path}: no such file. Fix: run `audioscale weights install`.")
    return parse_ct2(path.read_bytes(), path)


def parse_ct2(data: bytes, name: str | Path = "model.bin") -> Ct2Model:
    """Parse model.bin's bytes (``name`` labels errors: a model can come in several parts)."""
    path = name
    r = _Reader(memoryview(data), path)
    (version,) = r.unpack("I")
    if version != BINARY_VERSION:
        raise AudioscaleError(f"{path}: CTranslate2 binary version {version}, this reader knows {BINARY_VERSION}. "
                              "Fix: use a model converted by CTranslate2 4.x (faster-whisper's checkpoints are).")
    spec = r.string()
    (revision,) = r.unpack("I")
    (n_vars,) = r.unpack("I")
    variables = {}
    for _ in range(n_vars):
        name = r.string()
        (rank,) = r.unpack("B")
        shape = r.unpack(f"{rank}I") if rank else ()
        (dtype_id,) = r.unpack("B")
        (n_bytes,) = r.unpack("I")
        data = r.take(n_bytes)
        variables[name] = _array(data, dtype_id, shape, name, path)
    (n_aliases,) = r.unpack("I") if r.pos < len(r.buf) else (0,)
    aliases = {}
    for _ in range(n_aliases):
        alias = r.string()
        aliases[alias] = r.string()
    if r.pos != len(r.buf):
        raise AudioscaleError(f"{path}: {len(r.buf) - r.pos} unexpected bytes after the last alias. "
                              "Fix: the file is corrupt or two parts were joined in the wrong order.")
    return Ct2Model(spec, revision, variables, aliases)


def _array(data: memoryview, dtype_id: int, shape: tuple, name: str, path) -> np.ndarray:
    if dtype_id == BFLOAT16_ID:
        bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
        arr = bits.view(np.float32)
    elif dtype_id in DTYPES:
        arr = np.frombuffer(data, dtype=np.dtype(DTYPES[dtype_id]).newbyteorder("<")).copy()
    else:
        raise AudioscaleError(f"{path}: variable {name!r} has CTranslate2 dtype id {dtype_id}, which this reader "
                              f"does not know (known: {sorted(DTYPES) + [BFLOAT16_ID]}).")
    expected = int(np.prod(shape)) if shape else 1
    if arr.size != expected:
        raise AudioscaleError(f"{path}: variable {name!r} holds {arr.size} values for shape {shape}. "
                              "Fix: the file is corrupt; reinstall it.")
    return arr.reshape(shape)


def _write_string(out: list[bytes], s: str) -> None:
    raw = s.encode("utf-8") + b"\0"
    out += [struct.pack("<H", len(raw)), raw]


def write_ct2(path: str | Path, model: Ct2Model) -> None:
    """Write ``model`` in the layout above (tests build small random checkpoints with it)."""
    out: list[bytes] = [struct.pack("<I", BINARY_VERSION)]
    _write_string(out, model.spec)
    out.append(struct.pack("<II", model.revision, len(model.variables)))
    for name, arr in model.variables.items():
        arr = np.asarray(arr)  # not ascontiguousarray: it makes a scalar 1-d; tobytes is C order anyway
        if arr.dtype not in DTYPE_IDS:
            raise AudioscaleError(f"variable {name!r}: dtype {arr.dtype} has no CTranslate2 id.")
        _write_string(out, name)
        out.append(struct.pack("<B", arr.ndim) + struct.pack(f"<{arr.ndim}I", *arr.shape))
        data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        out.append(struct.pack("<BI", DTYPE_IDS[arr.dtype], len(data)) + data)
    out.append(struct.pack("<I", len(model.aliases)))
    for alias, target in model.aliases.items():
        _write_string(out, alias)
        _write_string(out, target)
    Path(path).write_bytes(b"".join(out))
