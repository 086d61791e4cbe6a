"""`get_file`: Keras 2's download-once helper, with checksums and archive extraction.

The download itself is `engine.keras.datasets.download`'s: written to a temporary file
while hashed, and renamed into place only when complete and matching, so an interrupted
download leaves nothing behind. Archives (tar, tar.gz, tar.bz2, zip) are extracted into a
temporary folder next to the target first, then moved into place; members that would land
outside the target folder (absolute paths, `..`) are refused.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile

from engine.keras.datasets import download

__all__ = ["get_file", "extract_archive"]

_FORMATS = ("tar", "zip")


def _cache_folder(cache_dir, cache_subdir: str) -> str:
    if cache_dir is None and os.environ.get(download.ENV_VAR):
        base = os.path.expanduser(os.environ[download.ENV_VAR])
        return base if cache_subdir == "datasets" else os.path.join(base, cache_subdir)
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else (
        os.path.expanduser(os.path.join("~", ".eagerlab")))
    return os.path.join(base, cache_subdir)


def _check_hash(file_hash, hash_algorithm: str):
    if file_hash is None:
        return None
    file_hash = str(file_hash).lower()
    expected = {"sha256": 64, "md5": 32}
    if hash_algorithm not in ("auto", *expected):
        raise ValueError(f"get_file: hash_algorithm={hash_algorithm!r}; expected 'auto', "
                         "'sha256' or 'md5'.")
    if hash_algorithm != "auto" and len(file_hash) != expected[hash_algorithm]:
        raise ValueError(f"get_file: file_hash {file_hash!r} is not a {hash_algorithm} hash "
                         f"({expected[hash_algorithm]} hex digits); pass the file's "
                         f"{hash_algorithm} digest, or hash_algorithm='auto'.")
    return file_hash


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None):
    """Downloads a file from a URL once into the cache, checks it and optionally extracts it.

    As Keras 2's `tf.keras.utils.get_file`. The file is kept in
    `cache_dir/cache_subdir` (default `~/.eagerlab/datasets`, or `$EAGERLAB_DATA_DIR`) and
    downloaded again only if missing or if it does not match `file_hash`.

    Args:
        fname: the file's name in the cache (default: the last part of `origin`'s path),
            or an absolute path.
        origin: the URL to download from.
        untar: deprecated: extract a `.tar.gz` and return the extracted folder's path
            (the archive is saved as `fname + ".tar.gz"`).
        md5_hash: deprecated: the file's MD5; use `file_hash`.
        file_hash: the expected SHA-256 or MD5 hex digest; None skips the check.
        cache_subdir: the subfolder of `cache_dir` to save into.
        hash_algorithm: "auto" (by the hash's length), "sha256" or "md5".
        extract: extract the archive into the cache folder after the download.
        archive_format: "auto" (tar or zip), "tar", "zip", a list of them, or None.
        cache_dir: the cache's base folder (default `~/.eagerlab`).

    Returns:
        The path of the downloaded file (of the extracted folder for `untar=True`).

    Raises:
        ValueError: for a missing `origin`, a bad hash, or a download that does not match
            `file_hash`.
        engine.keras.datasets.download.DownloadError: when the download fails.

    Example:
        >>> import os, pathlib, tempfile
        >>> source = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> with open(source, "w") as f:
        ...     _ = f.write("hi")
        >>> path = engine.keras.utils.get_file(origin=pathlib.Path(source).as_uri(),
        ...                                    cache_dir=tempfile.mkdtemp())
        Downloading data from file:///.../notes.txt
        >>> os.path.basename(path), open(path).read()
        ('notes.txt', 'hi')
    """
    if not origin:
        raise ValueError("get_file: origin is required; pass the URL to download, e.g. "
                         "get_file('data.zip', origin='https://example.com/data.zip').")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    file_hash = _check_hash(file_hash, hash_algorithm)
    if fname is None:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot name the file from origin={origin!r}; pass "
                             "fname='name.ext'.")
    fname = os.fspath(fname)
    folder = _cache_folder(cache_dir, cache_subdir)
    target = os.path.abspath(fname if os.path.isabs(fname) else os.path.join(folder, fname))
    archive = target + ".tar.gz" if untar else target
    path = download.get_file(archive, origin, file_hash=file_hash)
    if untar:
        if not os.path.exists(target):
            extract_archive(path, os.path.dirname(target), "tar")
        return target
    if extract:
        extract_archive(path, os.path.dirname(path), archive_format)
    return path


def _formats(archive_format) -> tuple:
    if archive_format is None:
        return ()
    if archive_format == "auto":
        return _FORMATS
    formats = (archive_format,) if isinstance(archive_format, str) else tuple(archive_format)
    unknown = [f for f in formats if f not in _FORMATS]
    if unknown:
        raise ValueError(f"extract_archive: archive_format={archive_format!r}; expected "
                         "'auto', 'tar', 'zip', a list of them, or None.")
    return formats


def _safe_names(names, destination: str, path: str) -> None:
    root = os.path.realpath(destination)
    for name in names:
        full = os.path.realpath(os.path.join(root, name))
        if os.path.isabs(name) or os.path.commonpath([root, full]) != root:
            raise ValueError(f"extract_archive: {path} holds the member {name!r}, which would "
                             f"be written outside {destination}; refusing to extract it.")


def _extract_into(path: str, kind: str, temp: str) -> None:
    if kind == "tar":
        with tarfile.open(path) as archive:
            _safe_names(archive.getnames(), temp, path)
            if hasattr(tarfile, "data_filter"):
                archive.extractall(temp, filter="data")
            else:  # pragma: no cover - Python before 3.11.4
                archive.extractall(temp)
    else:
        with zipfile.ZipFile(path) as archive:
            _safe_names(archive.namelist(), temp, path)
            archive.extractall(temp)


def extract_archive(path, destination=None, archive_format="auto") -> bool:
    """Extracts a tar or zip archive into `destination`, replacing what was there.

    Args:
        path: the archive.
        destination: the folder to extract into (default: the archive's folder).
        archive_format: "auto", "tar", "zip", a list of them, or None (extract nothing).

    Returns:
        True if the file was an archive of an accepted format and was extracted.

    Raises:
        ValueError: for an unknown format or a member that would escape `destination`.

    Example:
        >>> import os, tempfile, zipfile
        >>> folder = tempfile.mkdtemp()
        >>> with zipfile.ZipFile(os.path.join(folder, "a.zip"), "w") as z:
        ...     z.writestr("inside/x.txt", "x")
        >>> engine.keras.file_download.extract_archive(os.path.join(folder, "a.zip"))
        True
        >>> open(os.path.join(folder, "inside", "x.txt")).read()
        'x'
    """
    path = os.fspath(path)
    destination = os.path.dirname(path) if destination is None else os.fspath(destination)
    checks = {"tar": tarfile.is_tarfile, "zip": zipfile.is_zipfile}
    kind = next((f for f in _formats(archive_format) if checks[f](path)), None)
    if kind is None:
        return False
    os.makedirs(destination, exist_ok=True)
    temp = tempfile.mkdtemp(prefix=".extract-", dir=destination)
    try:
        _extract_into(path, kind, temp)
        for entry in os.listdir(temp):
            final = os.path.join(destination, entry)
            if os.path.isdir(final) and not os.path.islink(final):
                shutil.rmtree(final)
            elif os.path.lexists(final):
                os.remove(final)
            os.replace(os.path.join(temp, entry), final)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return True
