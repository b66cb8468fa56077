"""A directory of finished sweep tasks: one ``<key>.json`` per task, written atomically.

Each entry holds the task, its result, its timing and where it ran. A write goes to a temporary
file in a hidden *sibling* directory of the cache (same filesystem, so ``os.replace`` is atomic),
is fsync'ed, then renamed into place; the directory is fsync'ed after the rename. Hence a sweep
killed at any instant (SIGKILL included) leaves every ``<key>.json`` either complete or absent,
and the cache directory itself never holds temporary files.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from verify.sweeps.tasks import Task, to_json_value

SUFFIX = ".json"


def atomic_write_text(path: Path, text: str, tmp_dir: Path) -> None:
    """Write ``text`` to ``path`` so that ``path`` is either the old file or the whole new one."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Persist a rename (POSIX); silently skipped where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class SweepCache:
    """Finished tasks of a sweep, keyed by :attr:`Task.key`.

    >>> cache = SweepCache("runs/neuron-bound")        # doctest: +SKIP
    >>> cache.put(task, {"error": 0.01}); cache.get(task.key)["result"]   # doctest: +SKIP
    {'error': 0.01}
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).absolute()
        self.directory.mkdir(parents=True, exist_ok=True)
        # Sibling, not child: the cache directory only ever contains complete entries.
        self.tmp_dir = self.directory.parent / f".{self.directory.name}.tmp"

    def path(self, key: str) -> Path:
        return self.directory / f"{key}{SUFFIX}"

    def tidy(self) -> None:
        """Remove the temporary-file folder if nothing is being written into it (it is empty
        after every completed :meth:`put`), so finished sweeps leave no hidden folders."""
        try:
            self.tmp_dir.rmdir()
        except OSError:  # absent, or a write of another process is in flight
            pass

    def put(self, task: Task, result: dict[str, Any], *, elapsed_s: float | None = None,
            host: str | None = None, pid: int | None = None) -> Path:
        """Store ``result`` for ``task`` (atomically) and return the entry's path."""
        entry = {
            "key": task.key,
            "task": task.to_dict(),
            "result": to_json_value(result),
            "timing": {"elapsed_s": elapsed_s},
            "host": host if host is not None else socket.gethostname(),
            "pid": pid,
            "finished_at": datetime.now(timezone.utc).isoformat(),
        }
        path = self.path(task.key)
        atomic_write_text(path, json.dumps(entry, indent=1, sort_keys=True) + "\n", self.tmp_dir)
        return path

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry for ``key`` (with ``task``, ``result``, ...), or None if absent.

        An unreadable entry (only possible if written by something other than :meth:`put`) is
        reported with a warning and treated as absent, so the task simply reruns.
        """
        path = self.path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            entry = json.loads(text)
        except json.JSONDecodeError as exc:
            warnings.warn(f"ignoring unreadable sweep cache entry {path}: {exc}", stacklevel=2)
            return None
        if entry.get("key") != key:
            warnings.warn(f"ignoring sweep cache entry {path}: it names key {entry.get('key')!r}",
                          stacklevel=2)
            return None
        return entry

    def keys(self) -> list[str]:
        """Keys of all stored entries, sorted."""
        return sorted(p.name[: -len(SUFFIX)] for p in self.directory.glob(f"*{SUFFIX}"))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.path(key).is_file()

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return f"SweepCache({str(self.directory)!r})"
