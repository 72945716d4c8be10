"""Files replaced whole or not at all: the posts an export writes, sources.toml, a new profile.

The new content goes to a temporary file in the same folder (so the rename stays on one file
system), is flushed to disk, takes the mode the file had (a new file: what the umask gives, as
`open` would; `mkstemp` alone would leave it readable by its owner only), and is renamed over
the old one. A failure on the way leaves the old file as it was and no temporary file behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (creating its folder if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    # A short name of its own: the file's name may already be as long as the file system allows.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".briefing-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
