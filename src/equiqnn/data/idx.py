"""The IDX file format of MNIST and its relatives: read and write, optionally gzip-compressed.

Format: two zero bytes, a type code, the number of dimensions ``d``, then ``d`` big-endian uint32
sizes, then the values in C order, big-endian. Type codes: ``0x08`` uint8, ``0x09`` int8,
``0x0B`` int16, ``0x0C`` int32, ``0x0D`` float32, ``0x0E`` float64. A file is read as gzip when
it starts with the gzip magic bytes, whatever its name.
"""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "save_idx"]

_CODES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (plain or gzip-compressed).

    Args:
        path: the file.
    Returns:
        The array with the stored shape, in native byte order (uint8 for MNIST images and labels).
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _CODES:
        raise ValueError(
            f"{path} is not an IDX file: it must start with two zero bytes and a type code in "
            f"{[hex(c) for c in _CODES]}; got the bytes {raw[:4]!r}. Check that the file is not "
            "an HTML error page or a truncated download."
        )
    dtype, ndim = _CODES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path} is truncated: its header needs {header} bytes; got {len(raw)}.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{path} holds {len(raw) - header} data bytes but its header declares shape {shape} "
            f"of {dtype.name} ({expected} bytes). The file is damaged; download it again."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def save_idx(path: str | os.PathLike[str], array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file; gzip-compressed when ``path`` ends in ``.gz``.

    Args:
        path: destination; its folder must exist.
        array: uint8, int8, int16, int32, float32 or float64 values of any shape (``ndim <= 255``).
    Returns:
        The path written.

    The gzip header carries no timestamp, so equal arrays give byte-identical files.
    """
    arr = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in _CODES.items()}
    native = arr.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(
            f"save_idx can write {sorted(str(d) for d in codes)} arrays; got dtype {arr.dtype}. "
            "Convert first, e.g. array.astype(numpy.uint8) for images in 0..255."
        )
    if arr.ndim > 255:
        raise ValueError(f"IDX stores at most 255 dimensions; got {arr.ndim}.")
    code = codes[native]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + np.ascontiguousarray(arr, dtype=_CODES[code]).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path
