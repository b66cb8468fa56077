"""Atomic file writes: a report file is either complete or absent, never half-written.

Temporary files live in a hidden sibling folder of the report directory (same filesystem, so
``os.replace`` is atomic), never inside the report directory itself: a run killed with SIGKILL
at any moment leaves only complete files there.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TMP_DIR_NAME = ".relverify-tmp"
_MAX_SUFFIX = 10_000


def create_report_dir(parent: Path, name: str) -> Path:
    """Create and return a new, empty report folder ``parent/name`` (``name_2``, ``name_3``, ...
    when taken).

    ``os.mkdir`` is atomic and fails on an existing entry, so two runs started in the same second
    with the same seed get two folders, and a folder (or file) that exists is never reused.
    ``parent`` is created when missing; ``OSError`` (naming the path) when it cannot be: a
    file, ``/dev/null``, a read-only or unwritable folder.
    """
    parent = Path(parent)
    if parent.exists() and not parent.is_dir():
        raise NotADirectoryError(20, "not a directory", str(parent))
    parent.mkdir(parents=True, exist_ok=True)
    for k in range(1, _MAX_SUFFIX):
        path = parent / (name if k == 1 else f"{name}_{k}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(17, "no free report folder name", str(parent / name))


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _umask_mode()


def atomic_write(path: Path, data: bytes | str, tmp_dir: Path | None = None) -> None:
    """Write ``data`` to ``path`` via a temporary file in ``tmp_dir`` and an atomic rename.

    ``tmp_dir`` defaults to ``.relverify-tmp`` beside ``path``'s folder; a report writer passes
    the one beside the report directory, so nothing temporary ever lands inside the report.
    """
    path = Path(path)
    tmp_dir = Path(tmp_dir) if tmp_dir is not None else path.parent.parent / TMP_DIR_NAME
    tmp_dir.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)  # mkstemp makes 0600; a report is as readable as any file
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not exc.filename:  # e.g. ENOSPC from write()
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
