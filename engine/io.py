"""`engine.io`: reading and writing files and bytes (TensorFlow's `tf.io`).

`read_file`, `write_file`, `serialize_tensor`, `parse_tensor` and `decode_csv` are ops
(engine/ops/io_ops.py); `gfile` is the file-system API for local paths. Writes through
`write_file` and `GFile` in a write mode are atomic: the target holds the old contents or
the new, never part of them.

Example:
    >>> engine.io.parse_tensor(engine.io.serialize_tensor(engine.constant(2.5)),
    ...                        engine.float32).numpy()
    np.float32(2.5)
"""

from __future__ import annotations

import glob as _glob
import os
import shutil
import tempfile
import types as _types

from engine.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from engine.ops.io_more import decode_base64, decode_raw, encode_base64, matching_files
from engine.ops.io_ops import (  # noqa: F401
    atomic_write,
    decode_csv,
    parse_tensor,
    path_of,
    read_file,
    serialize_tensor,
    write_file,
)
from engine.ops.png_codec import decode_image, decode_jpeg, decode_png, encode_jpeg, encode_png

__all__ = ["read_file", "write_file", "serialize_tensor", "parse_tensor", "decode_csv", "gfile",
           "matching_files", "encode_base64", "decode_base64", "decode_raw", "decode_png",
           "encode_png", "decode_image", "decode_jpeg", "encode_jpeg"]

_MODES = {"r", "rb", "w", "wb", "a", "ab"}


class GFile:
    """A file object for a local path, like Python's `open`; writes are atomic.

    In `'w'`/`'a'` modes the data goes to a temporary file in the same directory, renamed
    over the target by `close()` (or the end of a `with` block); if the block raises, the
    temporary file is dropped and the target is left as it was.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> with engine.io.gfile.GFile(path, "w") as f:
        ...     _ = f.write("line 1\\nline 2\\n")
        >>> engine.io.gfile.GFile(path).readlines()
        ['line 1\\n', 'line 2\\n']
    """

    def __init__(self, name, mode="r"):
        """Opens `name`.

        Args:
            name: the path (str, bytes or os.PathLike).
            mode: `'r'`, `'w'`, `'a'`, each with an optional `'b'` for bytes.
        """
        if mode not in _MODES:
            raise InvalidArgumentError(f"GFile: got mode {mode!r}; expected one of "
                                       f"{sorted(_MODES)}.")
        self.name, self.mode = path_of("GFile", name), mode
        self._temp = None
        binary = "b" in mode
        if mode[0] == "r":
            if not os.path.exists(self.name):
                raise NotFoundError(f"GFile: {self.name!r} does not exist.")
            self._file = open(self.name, "rb" if binary else "r",  # noqa: SIM115
                              encoding=None if binary else "utf-8")
            return
        directory = os.path.dirname(os.path.abspath(self.name))
        if not os.path.isdir(directory):
            raise NotFoundError(f"GFile: the directory {directory!r} does not exist; create it "
                                "with engine.io.gfile.makedirs.")
        fd, self._temp = tempfile.mkstemp(dir=directory, suffix=".tmp",
                                          prefix=f".{os.path.basename(self.name)}.")
        self._file = os.fdopen(fd, "wb" if binary else "w",
                               encoding=None if binary else "utf-8")
        if mode[0] == "a" and os.path.exists(self.name):
            with open(self.name, "rb") as old:
                data = old.read()
            self._file.write(data if binary else data.decode("utf-8"))

    def read(self, n=-1):
        """Reads up to `n` bytes or characters (all by default)."""
        return self._file.read(n)

    def readline(self):
        """Reads one line."""
        return self._file.readline()

    def readlines(self):
        """Reads all remaining lines."""
        return self._file.readlines()

    def __iter__(self):
        return iter(self._file)

    def write(self, data):
        """Writes `data` (str or bytes, in either mode, as TensorFlow); returns its length."""
        if "b" in self.mode and isinstance(data, str):
            data = data.encode("utf-8")
        elif "b" not in self.mode and isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8")
        return self._file.write(data)

    def flush(self):
        """Flushes buffered data to the temporary file (the target changes on `close`)."""
        self._file.flush()

    def seek(self, offset, whence=0):
        """Moves the position."""
        return self._file.seek(offset, whence)

    def tell(self):
        """The current position."""
        return self._file.tell()

    def size(self):
        """The file's size in bytes."""
        self._file.flush()
        return os.fstat(self._file.fileno()).st_size

    @property
    def closed(self):
        """Whether the file is closed."""
        return self._file.closed

    def close(self):
        """Closes the file; in a write mode, atomically replaces the target."""
        if self._file.closed:
            return
        if self._temp is None:
            self._file.close()
            return
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temp, self.name)
        finally:
            self._discard()

    def _discard(self):
        if not self._file.closed:
            self._file.close()
        if self._temp is not None and os.path.exists(self._temp):
            os.unlink(self._temp)
        self._temp = None

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.close()
        else:  # leave the target untouched
            self._discard()


def exists(path):
    """Whether a file or directory exists.

    Args:
        path: the path.

    Returns:
        bool.

    Example:
        >>> engine.io.gfile.exists("/no/such/path")
        False
    """
    return os.path.exists(path_of("exists", path))


def isdir(path):
    """Whether `path` is a directory.

    Args:
        path: the path.

    Returns:
        bool.

    Example:
        >>> import tempfile
        >>> engine.io.gfile.isdir(tempfile.gettempdir())
        True
    """
    return os.path.isdir(path_of("isdir", path))


def makedirs(path):
    """Creates a directory and any missing parents; no error if it exists.

    Args:
        path: the directory.

    Returns:
        None.

    Example:
        >>> import os, tempfile
        >>> d = os.path.join(tempfile.mkdtemp(), "a", "b")
        >>> engine.io.gfile.makedirs(d); engine.io.gfile.isdir(d)
        True
    """
    os.makedirs(path_of("makedirs", path), exist_ok=True)


def glob(pattern):
    """The paths matching a shell pattern (`*`, `?`, `[...]`), sorted.

    As in TensorFlow, `*` also matches names starting with `.`; `**` is not recursive.

    Args:
        pattern: the pattern, or a list of patterns.

    Returns:
        A list of str paths.

    Example:
        >>> engine.io.gfile.glob("/no/such/dir/*.txt")
        []
    """
    patterns = pattern if isinstance(pattern, (list, tuple)) else [pattern]
    return sorted({p for pat in patterns
                   for p in _glob.glob(path_of("glob", pat), include_hidden=True)})


def listdir(path):
    """The names of the entries in a directory (without `.` and `..`), sorted.

    Args:
        path: the directory.

    Returns:
        A list of str names.

    Raises:
        NotFoundError: if `path` is not a directory.

    Example:
        >>> import tempfile
        >>> engine.io.gfile.listdir(tempfile.mkdtemp())
        []
    """
    path = path_of("listdir", path)
    if not os.path.isdir(path):
        raise NotFoundError(f"listdir: {path!r} is not an existing directory.")
    return sorted(os.listdir(path))


def remove(path):
    """Deletes a file.

    Args:
        path: the file.

    Returns:
        None.

    Raises:
        NotFoundError: if it does not exist.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x")
        >>> engine.io.write_file(path, b"1"); engine.io.gfile.remove(path)
        >>> engine.io.gfile.exists(path)
        False
    """
    path = path_of("remove", path)
    if not os.path.isfile(path) and not os.path.islink(path):
        raise NotFoundError(f"remove: {path!r} is not an existing file.")
    os.remove(path)


def rmtree(path):
    """Deletes a directory and everything in it.

    Args:
        path: the directory.

    Returns:
        None.

    Raises:
        NotFoundError: if it does not exist.

    Example:
        >>> import tempfile
        >>> d = tempfile.mkdtemp(); engine.io.gfile.rmtree(d); engine.io.gfile.exists(d)
        False
    """
    path = path_of("rmtree", path)
    if not os.path.isdir(path):
        raise NotFoundError(f"rmtree: {path!r} is not an existing directory.")
    shutil.rmtree(path)


def rename(src, dst, overwrite=False):
    """Renames (moves) a file or directory.

    Args:
        src: the current path.
        dst: the new path.
        overwrite: whether an existing `dst` file may be replaced.

    Returns:
        None.

    Raises:
        NotFoundError: if `src` does not exist; AlreadyExistsError if `dst` exists and
            `overwrite` is False.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp(); engine.io.write_file(os.path.join(d, "a"), b"1")
        >>> engine.io.gfile.rename(os.path.join(d, "a"), os.path.join(d, "b"))
        >>> engine.io.gfile.listdir(d)
        ['b']
    """
    src, dst = path_of("rename", src), path_of("rename", dst)
    if not os.path.exists(src):
        raise NotFoundError(f"rename: {src!r} does not exist.")
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(f"rename: {dst!r} exists; pass overwrite=True to replace it.")
    os.replace(src, dst)


def mkdir(path):
    """Creates one directory; its parent must exist; no error if it exists already.

    Args:
        path: the directory.

    Returns:
        None.

    Raises:
        NotFoundError: if the parent directory does not exist.

    Example:
        >>> import os, tempfile
        >>> d = os.path.join(tempfile.mkdtemp(), "new")
        >>> engine.io.gfile.mkdir(d); engine.io.gfile.isdir(d)
        True
    """
    path = path_of("mkdir", path)
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise NotFoundError(f"mkdir: the parent {parent!r} of {path!r} does not exist; use "
                            "engine.io.gfile.makedirs to create the parents too.")
    os.makedirs(path, exist_ok=True)


def copy(src, dst, overwrite=False):
    """Copies a file (atomically: `dst` holds the old contents or the new).

    Args:
        src: the file to copy.
        dst: the new path.
        overwrite: whether an existing `dst` may be replaced.

    Returns:
        None.

    Raises:
        NotFoundError: if `src` does not exist; AlreadyExistsError if `dst` exists and
            `overwrite` is False.

    Example:
        >>> import os, tempfile
        >>> d = tempfile.mkdtemp(); engine.io.write_file(os.path.join(d, "a"), b"1")
        >>> engine.io.gfile.copy(os.path.join(d, "a"), os.path.join(d, "b"))
        >>> engine.io.gfile.listdir(d)
        ['a', 'b']
    """
    src, dst = path_of("copy", src), path_of("copy", dst)
    if not os.path.isfile(src):
        raise NotFoundError(f"copy: {src!r} is not an existing file.")
    if os.path.exists(dst) and not overwrite:
        raise AlreadyExistsError(f"copy: {dst!r} exists; pass overwrite=True to replace it.")
    with open(src, "rb") as f:
        atomic_write(dst, iter(lambda: f.read(1 << 20), b""), "copy")


def walk(top, topdown=True, onerror=None):
    """Yields `(directory, subdirectory names, file names)` for each directory under `top`.

    Args:
        top: the directory to start from.
        topdown: whether a directory comes before its subdirectories.
        onerror: called with the OSError when a directory cannot be listed.

    Returns:
        An iterator of `(str, list of str, list of str)` triples.

    Example:
        >>> import tempfile
        >>> [len(t) for t in engine.io.gfile.walk(tempfile.mkdtemp())]
        [3]
    """
    yield from os.walk(path_of("walk", top), topdown=topdown, onerror=onerror)


def stat(path):
    """File statistics: `length` (bytes), `mtime_nsec` and `is_directory`.

    Args:
        path: the file or directory.

    Returns:
        An object with `length`, `mtime_nsec` and `is_directory`.

    Raises:
        NotFoundError: if it does not exist.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x"); engine.io.write_file(path, b"abc")
        >>> engine.io.gfile.stat(path).length
        3
    """
    path = path_of("stat", path)
    if not os.path.exists(path):
        raise NotFoundError(f"stat: {path!r} does not exist.")
    info = os.stat(path)
    return _types.SimpleNamespace(length=info.st_size, mtime_nsec=info.st_mtime_ns,
                                  is_directory=os.path.isdir(path))


def join(path, *paths):
    """Joins path components with the separator, as `os.path.join`.

    Args:
        path: the first component.
        *paths: more components.

    Returns:
        The joined str path.

    Example:
        >>> engine.io.gfile.join("logs", "run1", "events")
        'logs/run1/events'
    """
    return os.path.join(path_of("join", path), *(path_of("join", p) for p in paths))


gfile = _types.SimpleNamespace(GFile=GFile, Open=GFile, exists=exists, isdir=isdir,
                               makedirs=makedirs, mkdir=mkdir, glob=glob, listdir=listdir,
                               remove=remove, rmtree=rmtree, rename=rename, copy=copy,
                               walk=walk, stat=stat, join=join)
