"""The filesystem store: one file per image under a root directory.

Writes go to a hidden temporary file in the same directory, are fsynced, then renamed over
the final name (``os.replace`` is atomic), and the directory is fsynced: a crash leaves
either the whole blob or none of it. Every path is checked to stay inside the root.

Writes are buffered by default, so that a new image stays in the page cache: it is usually
read at once (uploaded, then booted), and its first download is then served by sendfile
from memory. Writeback starts behind the writer (``sync_file_range``) so that the fsync
before the upload's answer has little left to do and dirty pages stay bounded. bench/data.py
measured both designs: the first read of a blob written with O_DIRECT came from the disk at
a third of its large-block rate; a buffered upload costs the worker more kernel CPU per GiB
(the copy into the page cache), which ``direct_io`` saves where fresh images are not read
at once (README, Performance).
"""

import ctypes
import ctypes.util
import errno
import fcntl
import mmap
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from catalog.data.stores.base import (
    BlobNotFound,
    BlobWriter,
    Store,
    StoredBlob,
    StoreError,
    check_key,
)
from catalog.data.streams import BoundedReader

TEMP_PREFIX = ".tmp-"
# O_DIRECT writes must be aligned to the device's logical block size: 4 KiB covers them all.
ALIGNMENT = 4096
STAGING_SIZE = 4 * 1024 * 1024
# Buffered writes start the writeback of every WRITEBACK_STEP bytes as soon as they are
# written, and wait for the step before it: at most two steps are dirty at any time.
WRITEBACK_STEP = 32 * 1024 * 1024

_SYNC_FILE_RANGE_WAIT_BEFORE = 1
_SYNC_FILE_RANGE_WRITE = 2
_SYNC_FILE_RANGE_WAIT_AFTER = 4


def _load_sync_file_range():
    """libc's sync_file_range (Linux; the os module lacks it), or None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


# ctypes releases the GIL during the call: the hashers keep running while it waits.
_sync_file_range = _load_sync_file_range()


def start_writeback(fd: int, start: int, length: int, *, wait: bool = False) -> None:
    """Start writing ``length`` bytes from ``start`` to the disk (and with ``wait``, wait
    until they are written). An optimisation only: durability is the commit's fsync."""
    if _sync_file_range is None or length <= 0:
        return
    flags = _SYNC_FILE_RANGE_WRITE
    if wait:
        flags |= _SYNC_FILE_RANGE_WAIT_BEFORE | _SYNC_FILE_RANGE_WAIT_AFTER
    _sync_file_range(fd, start, length, flags)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileBlobWriter(BlobWriter):
    """Writes one blob to a temporary file.

    Buffered (the default): each chunk is written as it comes and stays in the page cache;
    writeback runs behind the writer in ``WRITEBACK_STEP`` windows. With ``direct`` the file
    is opened with O_DIRECT and written from an aligned staging buffer: nothing is left in
    the page cache (the option for a store whose images are rarely read soon after their
    upload). Filesystems without O_DIRECT (tmpfs) get buffered writes.
    """

    def __init__(self, store: "FileStore", key: str, *, direct: bool = False):
        self.store = store
        self.final = store.path_for(key)
        self.temp = self.final.with_name(f"{TEMP_PREFIX}{key}-{secrets.token_hex(6)}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        self.fd = -1
        self.staging: mmap.mmap | None = None
        self.filled = 0
        self.size = 0
        self.kicked = 0  # bytes whose writeback has been started
        try:
            if direct and hasattr(os, "O_DIRECT"):
                try:
                    self.fd = os.open(self.temp, flags | os.O_DIRECT, 0o640)
                    self.staging = mmap.mmap(-1, STAGING_SIZE)  # page-aligned
                except OSError as exc:
                    if exc.errno != errno.EINVAL:
                        raise
            if self.fd < 0:
                self.fd = os.open(self.temp, flags, 0o640)
        except OSError as exc:
            raise StoreError(f"Cannot create a file in {store.root}: {exc}") from exc

    def _write_all(self, data) -> None:
        view = memoryview(data)
        while view:  # a write may be short
            view = view[os.write(self.fd, view) :]

    def _end_direct_io(self) -> None:
        """Back to buffered writes (for the unaligned tail, or after a short direct write)."""
        fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~os.O_DIRECT)

    def _flush_staging(self, final: bool) -> None:
        aligned = self.filled - self.filled % ALIGNMENT if final else self.filled
        view = memoryview(self.staging)
        try:
            if aligned:
                written = os.write(self.fd, view[:aligned])
                if written != aligned:
                    self._end_direct_io()
                    self._write_all(view[written:aligned])
            if final:
                self._end_direct_io()
                self._write_all(view[aligned : self.filled])
        finally:
            view.release()
        self.filled = 0

    def write(self, chunk: bytes) -> None:
        try:
            if self.staging is None:
                self._write_all(chunk)
                self._kick_writeback(self.size + len(chunk))
            else:
                view = memoryview(chunk)
                while view:
                    room = STAGING_SIZE - self.filled
                    part = view[:room]
                    self.staging[self.filled : self.filled + len(part)] = part
                    self.filled += len(part)
                    view = view[len(part) :]
                    if self.filled == STAGING_SIZE:
                        self._flush_staging(final=False)
        except OSError as exc:
            raise StoreError(f"Writing {self.temp.name} failed: {exc}") from exc
        self.size += len(chunk)

    def _kick_writeback(self, written: int) -> None:
        while written - self.kicked >= WRITEBACK_STEP:
            start_writeback(self.fd, self.kicked, WRITEBACK_STEP)
            if self.kicked >= WRITEBACK_STEP:  # the step before is written by now, mostly
                start_writeback(self.fd, self.kicked - WRITEBACK_STEP, WRITEBACK_STEP, wait=True)
            self.kicked += WRITEBACK_STEP

    def commit(self) -> StoredBlob:
        try:
            if self.staging is not None:
                self._flush_staging(final=True)
            os.fsync(self.fd)
            self._close()
            os.replace(self.temp, self.final)
            _fsync_dir(self.final.parent)
        except OSError as exc:
            self.abort()
            raise StoreError(f"Storing {self.final.name} failed: {exc}") from exc
        return StoredBlob(url=self.store.url_for(self.final), metadata={"store": self.store.id})

    def _close(self) -> None:
        if self.staging is not None:
            self.staging.close()
            self.staging = None
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)

    def abort(self) -> None:
        try:
            self._close()
        except OSError:
            pass
        try:
            self.temp.unlink(missing_ok=True)
        except OSError:
            pass


class FileStore(Store):
    kind = "file"

    def __init__(self, store_id: str, *, path, direct_io: bool = False, **options):
        super().__init__(store_id, **options)
        self.root = Path(path).resolve()
        self.direct_io = direct_io

    def describe(self) -> dict:
        return {"data_dir": str(self.root), "direct_io": self.direct_io}

    def ensure_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def ping(self) -> None:
        # The root may not exist before the first upload: its nearest existing folder counts.
        place = self.root
        while not place.exists() and place != place.parent:
            place = place.parent
        if not os.access(place, os.W_OK | os.X_OK):
            raise StoreError(f"{place} is not writable")

    def path_for(self, key: str) -> Path:
        return self.root / check_key(key)

    def url_for(self, path: Path) -> str:
        return "file://" + quote(str(path))

    def _path_of(self, url: str) -> Path:
        """The blob path a location URL names, refusing anything outside the root."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise StoreError(f"{url!r} is not a file location")
        path = Path(unquote(parts.path))
        if path.parent != self.root:
            raise StoreError(f"{url!r} is outside store {self.id}")
        try:
            return self.path_for(path.name)
        except ValueError as exc:
            raise StoreError(f"{url!r} names no blob of store {self.id}") from exc

    def owns(self, url: str) -> bool:
        try:
            self._path_of(url)
        except (StoreError, ValueError):
            return False
        return True

    def begin(self, key: str) -> FileBlobWriter:
        self.ensure_root()
        return FileBlobWriter(self, key, direct=self.direct_io)

    def open(self, url: str, start: int = 0, length: int | None = None) -> BoundedReader:
        path = self._path_of(url)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError as exc:
            raise BlobNotFound(f"{path.name} is not in store {self.id}") from exc
        except OSError as exc:
            raise StoreError(f"Cannot open {path.name}: {exc}") from exc
        handle = os.fdopen(fd, "rb", buffering=0)
        if length is None:
            length = os.fstat(fd).st_size - start
        if hasattr(os, "posix_fadvise") and length:
            # Read once, front to back: a larger readahead window for data not cached.
            os.posix_fadvise(fd, start, length, os.POSIX_FADV_SEQUENTIAL)
        handle.seek(start)
        return BoundedReader(handle, length)

    def delete(self, url: str) -> None:
        path = self._path_of(url)
        try:
            path.unlink()
        except FileNotFoundError as exc:
            raise BlobNotFound(f"{path.name} is not in store {self.id}") from exc
        except OSError as exc:
            raise StoreError(f"Cannot delete {path.name}: {exc}") from exc

    def size(self, url: str) -> int:
        try:
            return self._path_of(url).stat().st_size
        except FileNotFoundError as exc:
            raise BlobNotFound(url) from exc

    def list_blobs(self) -> Iterator[tuple[str, str]]:
        if not self.root.is_dir():
            return
        for entry in os.scandir(self.root):
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith("."):
                yield entry.name, self.url_for(self.root / entry.name)

    def remove_temporaries_of(self, key: str) -> None:
        """Delete the temporary files of ``key`` (a writer that died without aborting)."""
        if not self.root.is_dir():
            return
        prefix = f"{TEMP_PREFIX}{check_key(key)}-"
        for entry in os.scandir(self.root):
            if entry.name.startswith(prefix):
                os.unlink(entry.path)

    def discard_unfinished(self, key: str) -> None:
        self.remove_temporaries_of(key)
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"Cannot delete {key}: {exc}") from exc

    def remove_stale_temporaries(self, older_than: float) -> list[str]:
        """Delete temporary files of uploads that died (a crash before commit or abort)."""
        removed = []
        if not self.root.is_dir():
            return removed
        cutoff = time.time() - older_than
        for entry in os.scandir(self.root):
            if entry.name.startswith(TEMP_PREFIX) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(entry.name)
        return removed
