"""Downloading dataset files once into a local cache, verified by checksum.

`get_file` returns the path of a cached file, downloading it first if it is missing or
its checksum does not match. The cache folder is, in order of precedence: the
`cache_dir` argument, the `EAGERLAB_DATA_DIR` environment variable, `~/.eagerlab/datasets`.

A download is written to a temporary file in the cache folder while its SHA-256 (or MD5,
for 32-digit hashes) is computed, and renamed into place only when the whole file arrived
and matches. An interrupted or corrupt download therefore leaves no file behind, and two
processes downloading the same file at once cannot read half of it. Without a network
the error says where to put the file by hand.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import warnings

__all__ = ["ORIGINS", "DownloadError", "data_dir", "get_file", "hash_file"]

# Where the Keras datasets are published; tests point these at a local server.
ORIGINS = {
    "keras": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "cifar": "https://www.cs.toronto.edu/~kriz/",
}
ENV_VAR = "EAGERLAB_DATA_DIR"
_TIMEOUT_S = 60
_BLOCK = 1 << 20


class DownloadError(OSError):
    """A dataset file could not be downloaded (offline, unreachable, or cut off)."""


class _CutOffError(Exception):
    """The connection closed before the whole file arrived."""


def data_dir(cache_dir=None) -> str:
    """The folder where downloaded datasets are kept.

    Args:
        cache_dir: a folder to use instead of the default.

    Returns:
        `cache_dir`, else `$EAGERLAB_DATA_DIR`, else `~/.eagerlab/datasets`.

    Example:
        >>> engine.keras.datasets.download.data_dir("/tmp/my-data")
        '/tmp/my-data'
    """
    if cache_dir is not None:
        return os.path.expanduser(os.fspath(cache_dir))
    return os.path.expanduser(os.environ.get(ENV_VAR) or os.path.join("~", ".eagerlab",
                                                                       "datasets"))


def _algorithm(expected: str) -> str:
    if len(expected) == 64:
        return "sha256"
    if len(expected) == 32:
        return "md5"
    raise ValueError(f"get_file: file_hash {expected!r} is neither a SHA-256 (64 hex digits) "
                     "nor an MD5 (32 hex digits) hash.")


def hash_file(path: str, algorithm: str = "sha256") -> str:
    """The hex digest of a file.

    Args:
        path: the file.
        algorithm: "sha256" or "md5".

    Returns:
        The hash as lowercase hex digits.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "f")
        >>> with open(path, "wb") as f:
        ...     _ = f.write(b"abc")
        >>> engine.keras.datasets.download.hash_file(path)[:16]
        'ba7816bf8f01cfea'
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def get_file(fname, origin, file_hash=None, cache_dir=None, cache_subdir=""):
    """Returns the local path of a dataset file, downloading it first if needed.

    Args:
        fname: the file's name in the cache folder (or an absolute path).
        origin: the URL to download it from.
        file_hash: its expected SHA-256 (or MD5) hex digest; None skips the check.
        cache_dir: the cache folder (default: see `data_dir`).
        cache_subdir: a subfolder of the cache folder.

    Returns:
        The path of the verified file.

    Raises:
        DownloadError: if the download fails (no network, HTTP error, cut off).
        ValueError: if the downloaded file does not match `file_hash`.

    Example:
        >>> import os, pathlib, tempfile
        >>> source = os.path.join(tempfile.mkdtemp(), "data.txt")
        >>> with open(source, "w") as f:
        ...     _ = f.write("hello")
        >>> cache = tempfile.mkdtemp()
        >>> path = engine.keras.datasets.download.get_file(
        ...     "data.txt", pathlib.Path(source).as_uri(), cache_dir=cache)
        Downloading data from file:///.../data.txt
        >>> open(path).read(), os.path.dirname(path) == cache
        ('hello', True)
    """
    folder = os.path.join(data_dir(cache_dir), cache_subdir)
    path = fname if os.path.isabs(fname) else os.path.join(folder, fname)
    algorithm = _algorithm(file_hash.lower()) if file_hash else None
    if os.path.exists(path):
        if file_hash is None or hash_file(path, algorithm) == file_hash.lower():
            return path
        warnings.warn(f"get_file: {path} does not match its expected {algorithm} hash; "
                      "downloading it again.", stacklevel=2)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    _download(origin, path, file_hash.lower() if file_hash else None, algorithm)
    return path


def _download(origin: str, path: str, expected: str | None, algorithm: str | None) -> None:
    print(f"Downloading data from {origin}")
    handle, temp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".part",
                                    dir=os.path.dirname(path) or ".")
    digest = hashlib.new(algorithm or "sha256")
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=_TIMEOUT_S) as response:
                    declared = response.headers.get("Content-Length")
                    received = 0
                    for block in iter(lambda: response.read(_BLOCK), b""):
                        digest.update(block)
                        out.write(block)
                        received += len(block)
                if declared is not None and received != int(declared):
                    raise _CutOffError(f"received {received} of {declared} bytes")
            except (urllib.error.URLError, OSError, ValueError) as err:
                reason = getattr(err, "reason", None) or err
                raise DownloadError(
                    f"Could not download {os.path.basename(path)} from {origin}: {reason}. "
                    f"Check the network connection (are you offline?), or download the file "
                    f"by hand and save it as {path} (or set {ENV_VAR} to a folder that "
                    "holds it).") from err
            except Exception as err:  # http.client.IncompleteRead and friends
                raise DownloadError(f"The download of {origin} was cut off ({err!r}); "
                                    "run again to retry.") from err
        if expected is not None and digest.hexdigest() != expected:
            raise ValueError(
                f"The file downloaded from {origin} is corrupt or has changed: its {algorithm} "
                f"hash is {digest.hexdigest()}, expected {expected}. Nothing was saved; run "
                "again to retry, or check that the URL is right.")
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except FileNotFoundError:
            pass
        raise
