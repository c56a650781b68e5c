"""Opt-in download of MNIST-family gzip IDX files, verified by SHA-256 (needs a network).

Nothing in ``equiqnn`` calls this function; loaders only read files from disk. Known mirrors and
checksums live in ``mnist_files``. A file is streamed to ``<name>.part``, its SHA-256 compared
with the expected one, and only then renamed into place, so a failed or tampered download never
leaves a file the loaders would read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

from equiqnn.data.mnist_files import MIRRORS, SHA256, canonical_name, homepage, idx_file_names

__all__ = ["download_mnist_family", "sha256_of"]

logger = logging.getLogger(__name__)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_digests(
    key: str, files: list[str], sha256: Mapping[str, str] | None, checksums: bool
) -> dict[str, str]:
    given = {str(k): str(v).lower() for k, v in (sha256 or {}).items()}
    unknown = sorted(set(given) - set(files))
    if unknown:
        raise ValueError(f"sha256 names files {unknown} that are not downloaded; files: {files}.")
    bad = {k: v for k, v in given.items() if not _HEX64.fullmatch(v)}
    if bad:
        raise ValueError(f"sha256 values must be 64 hex digits; got {bad}.")
    digests = {**SHA256.get(key, {}), **given}
    missing = [f for f in files if f not in digests]
    if checksums and missing:
        raise ValueError(
            f"no SHA-256 is known for {missing}; pass sha256={{file name: hex digest}} for them, "
            "or checksums=False to skip verification (not recommended)."
        )
    return digests


def _fetch(url: str, dest: Path, expected: str | None, timeout: float) -> None:
    import urllib.request

    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if expected is not None and digest.hexdigest() != expected:
            raise ValueError(
                f"SHA-256 of {url} is {digest.hexdigest()}, expected {expected}; the file was "
                "discarded. The mirror serves different bytes: try another url_base."
            )
        os.replace(part, dest)
    finally:
        if part.exists():
            part.unlink()


def download_mnist_family(
    name: str,
    root: str | os.PathLike[str],
    *,
    checksums: bool = True,
    url_base: str | None = None,
    sha256: Mapping[str, str] | None = None,
    splits: Sequence[str] = ("train", "test"),
    timeout: float = 60.0,
) -> list[Path]:
    """Download the gzip IDX files of ``name`` into ``root`` and verify them.

    Args:
        name: an MNIST-family name (see ``mnist_files``).
        root: destination folder, created if absent; ``load_mnist_family(name, root)`` reads it.
        checksums: verify each file's SHA-256 (known ones from ``mnist_files.SHA256``, or
            ``sha256``); with ``False`` nothing is verified.
        url_base: where the files are served under their standard names (``http``, ``https`` or
            ``file`` URL); defaults to the known mirror. Required for EMNIST.
        sha256: ``{file name: hex digest}``, overriding or adding to the known checksums.
        splits: which of ``"train"``, ``"test"`` to fetch.
        timeout: seconds to wait for each connection.
    Returns:
        The paths of the files, already present and verified or freshly downloaded.
    """
    key = canonical_name(name)
    files = [f"{stem}.gz" for split in splits for stem in idx_file_names(key, split)]
    base = url_base if url_base is not None else MIRRORS.get(key)
    if base is None:
        raise ValueError(
            f"no mirror is known for {key}: EMNIST is distributed as one zip archive of all splits "
            f"({homepage(key)}). Unzip it into {root}, or pass url_base= a location serving "
            f"{', '.join(files)}."
        )
    if urllib.parse.urlparse(base).scheme not in ("http", "https", "file"):
        raise ValueError(f"url_base must be an http(s):// or file:// URL; got {base!r}.")
    digests = _expected_digests(key, files, sha256, checksums)
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for fname in files:
        dest = folder / fname
        expected = digests.get(fname) if checksums else None
        if dest.is_file() and (expected is None or sha256_of(dest) == expected):
            logger.info("%s already present%s", dest, " and verified" if expected else "")
        else:
            url = base.rstrip("/") + "/" + fname
            logger.info("downloading %s -> %s", url, dest)
            _fetch(url, dest, expected, timeout)
        out.append(dest)
    return out
