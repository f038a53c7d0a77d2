"""Values that the project's datasets load and the registry consumes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class MissingFile:
    """Placeholder that an ``OptionalDataset`` loads for a file that does not exist yet."""

    path: str


@dataclass(frozen=True)
class ModelFile:
    """A model file read and checked by a dataset.

    Attributes:
        path: Where the file is.
        sha256: Hex SHA-256 digest of the file's bytes.
        model: The object loaded from it (estimator, checkpoint dictionary, ...).
    """

    path: str
    sha256: str
    model: Any


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_write_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` that replaces it only if the block succeeds.

    An interrupted or failed save then never leaves a partial file where a good one was.
    The temporary name keeps the suffix, because some writers choose the format by it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
