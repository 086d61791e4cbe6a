"""Writing files so that an interrupted save never leaves a half-written one behind.

`write_atomically(path, write)` lets `write` save to a temporary name in the same
directory (`.tmp-<pid>-<name>`: same extension, so savers that pick a format from it still
do), then renames what it wrote onto `path` with `os.replace`, which is atomic on POSIX and
Windows. A reader (or a resumed run) sees either the old file or the new one. Savers that
write several files from one prefix (`ckpt.index`, `ckpt.data-...`) or a directory are
handled too: every entry whose name starts with the temporary name is moved into place.
If `write` fails, or Ctrl-C interrupts it, its partial output is removed and the old file
is left as it was.
"""

from __future__ import annotations

import os
import shutil

__all__ = ["write_atomically"]


def write_atomically(path: str, write) -> None:
    """Calls `write(temporary_path)`, then moves its output onto `path`."""
    directory, name = os.path.split(os.path.abspath(os.fspath(path)))
    if not name:
        raise ValueError(f"Cannot save to {path!r}: it names a directory; give a file path.")
    os.makedirs(directory, exist_ok=True)
    temp_name = f".tmp-{os.getpid()}-{name}"
    try:
        write(os.path.join(directory, temp_name))
    except BaseException:
        for entry in _outputs(directory, temp_name):
            _remove(os.path.join(directory, entry))
        raise
    produced = _outputs(directory, temp_name)
    if not produced:
        raise FileNotFoundError(f"Saving to {path!r} wrote nothing at the temporary path "
                                f"{os.path.join(directory, temp_name)!r}.")
    for entry in produced:
        _replace(os.path.join(directory, entry),
                 os.path.join(directory, name + entry[len(temp_name):]))


def _outputs(directory: str, temp_name: str) -> list[str]:
    return sorted(e for e in os.listdir(directory) if e.startswith(temp_name))


def _replace(source: str, target: str) -> None:
    if os.path.isdir(target) and not os.path.isdir(source):
        _remove(source)
        raise IsADirectoryError(f"Cannot save to {target!r}: it is an existing directory. "
                                "Give a file path that is not a directory.")
    if os.path.isdir(source) and os.path.lexists(target):
        old = f"{target}.old-{os.getpid()}"
        os.replace(target, old)  # directories cannot be replaced in one step
        os.replace(source, target)
        _remove(old)
        return
    os.replace(source, target)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)
