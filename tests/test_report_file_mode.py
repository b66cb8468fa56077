"""Report files are as readable as any file the user writes (mkstemp alone would make 0600)."""

import os
import stat

from verify.reports.atomic import atomic_write


def test_atomic_write_uses_the_umask_mode(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    target = tmp_path / "out" / "report.json"
    atomic_write(target, "{}", tmp_path / ".tmp")
    assert target.read_text() == "{}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
