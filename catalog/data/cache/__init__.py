"""The image cache on this node's disk (``CATALOG_IMAGE_CACHE_DIR``): complete copies of
images, named by image id, served with sendfile; the database records which node holds what
(``catalog.services.cache``).

A copy is filled while a download streams (``Fill``): the bytes go to the client and to
``incomplete/<id>`` at once, md5 and size are checked at the end against the image, and only
then is the file renamed to its final name. The fill holds an exclusive ``flock`` on
``incomplete/<id>.lock`` for as long as it runs, so that a second download of the same image
does not read the store again: it follows the file being written (``Follower``) and, if the
fill fails, reads the rest from the store. A copy whose size is not the image's (truncated on
disk) is never served: ``open_copy`` refuses it.
"""

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from catalog.data.stores.base import StoreError, check_key
from catalog.data.streams import CHUNK_SIZE, BoundedReader

INCOMPLETE = "incomplete"
FOLLOW_POLL = 0.02


class CacheDir:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.incomplete = self.root / INCOMPLETE

    def ensure(self) -> None:
        self.incomplete.mkdir(parents=True, exist_ok=True)

    def path_for(self, image_id: str) -> Path:
        return self.root / check_key(image_id)

    def _partial(self, image_id: str) -> Path:
        return self.incomplete / check_key(image_id)

    def _lock_path(self, image_id: str) -> Path:
        return self.incomplete / f"{check_key(image_id)}.lock"

    def open_copy(self, image_id: str, size: int, start: int = 0, length: int | None = None):
        """A sendfile-able reader over the complete copy, or None when there is none or it is
        not ``size`` bytes long (a truncated or foreign file: removed, never served)."""
        try:
            handle = open(self.path_for(image_id), "rb", buffering=0)  # noqa: SIM115
        except FileNotFoundError:
            return None
        if os.fstat(handle.fileno()).st_size != size:
            handle.close()
            self.remove(image_id)
            return None
        handle.seek(start)
        return BoundedReader(handle, size - start if length is None else length)

    def has_copy(self, image_id: str, size: int) -> bool:
        try:
            return self.path_for(image_id).stat().st_size == size
        except FileNotFoundError:
            return False

    def remove(self, image_id: str) -> int:
        """Delete the copy; the bytes it held (0: there was none)."""
        path = self.path_for(image_id)
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        return size

    def begin_fill(self, image_id: str) -> "Fill | None":
        """Start filling ``image_id``; None when another fill of it runs (follow that one)."""
        self.ensure()
        lock_fd = os.open(self._lock_path(image_id), os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            return None
        return Fill(self, image_id, lock_fd)

    def filling(self, image_id: str) -> bool:
        """Whether a fill of ``image_id`` runs now (in any process of this node)."""
        try:
            lock_fd = os.open(self._lock_path(image_id), os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(lock_fd)
        return False

    def follow(self, image_id: str, size: int, rest: Callable[[int], object]) -> "Follower":
        return Follower(self, image_id, size, rest)

    def clean(self) -> int:
        """Remove what dead fills left in ``incomplete/`` (no fill holds their lock)."""
        removed = 0
        if not self.incomplete.is_dir():
            return 0
        for entry in os.scandir(self.incomplete):
            if entry.name.endswith(".lock"):
                continue
            if not self.filling(entry.name):
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
        return removed

    def copies(self) -> Iterator[tuple[str, int]]:
        """(image id, size) of every complete copy on disk."""
        if not self.root.is_dir():
            return
        for entry in os.scandir(self.root):
            if entry.is_file(follow_symlinks=False) and not entry.name.startswith("."):
                yield entry.name, entry.stat().st_size


class Fill:
    """One copy being written while its bytes stream elsewhere."""

    def __init__(self, cache: CacheDir, image_id: str, lock_fd: int):
        self.cache, self.image_id, self.lock_fd = cache, image_id, lock_fd
        self.partial = cache._partial(image_id)
        self.file = open(self.partial, "wb")  # noqa: SIM115
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.count = 0
        self.finished = False

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)
        self.file.flush()  # followers read what is written
        self.md5.update(chunk)
        self.count += len(chunk)

    def commit(self, size: int, checksum: str | None) -> bool:
        """Keep the copy if it is the image (its size, and its md5 when known); False and
        nothing kept otherwise."""
        self.file.close()
        good = self.count == size and (not checksum or self.md5.hexdigest() == checksum)
        if good:
            os.replace(self.partial, self.cache.path_for(self.image_id))
        else:
            self.partial.unlink(missing_ok=True)
        self._release()
        return good

    def abort(self) -> None:
        if self.finished:
            return
        self.file.close()
        self.partial.unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        self.finished = True
        fcntl.flock(self.lock_fd, fcntl.LOCK_UN)
        os.close(self.lock_fd)

    def tee(self, reader, size: int, checksum: str | None, on_done: Callable[[bool], None]):
        """Iterate ``reader``, writing every chunk here too; at its end, commit and tell
        ``on_done`` whether the copy was kept. A reader that ends early aborts the fill."""
        completed = False
        try:
            for chunk in reader:
                self.write(chunk)
                yield chunk
            completed = True
        finally:
            if completed:
                on_done(self.commit(size, checksum))
            else:
                self.abort()


class TeeReader:
    """A store reader whose chunks also fill the cache (what a first download streams)."""

    def __init__(self, reader, fill: Fill, size: int, checksum, on_done):
        self.reader = reader
        self.fill = fill
        self.chunks = fill.tee(reader, size, checksum, on_done)

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def read(self, size: int = -1) -> bytes:
        return next(self.chunks, b"")

    def close(self) -> None:
        self.chunks.close()  # an unfinished fill is aborted
        self.fill.abort()
        self.reader.close()


class Follower:
    """Reads a copy while another download fills it. When the fill ends, what is missing
    (a fill that failed) is read through ``rest(offset)``, a store reader from that offset."""

    def __init__(self, cache: CacheDir, image_id: str, size: int, rest: Callable[[int], object]):
        self.cache, self.image_id, self.size, self.rest = cache, image_id, size, rest
        self.handle = None
        self.done = 0
        self.deadline_idle = 60.0

    def _open(self):
        for path in (self.cache._partial(self.image_id), self.cache.path_for(self.image_id)):
            try:
                return open(path, "rb", buffering=0)  # noqa: SIM115
            except FileNotFoundError:
                continue
        return None

    def __iter__(self) -> Iterator[bytes]:
        self.handle = self._open()
        # The fill takes its lock just before it creates its file: wait for the file.
        started = time.monotonic()
        while self.handle is None and self.cache.filling(self.image_id):
            if time.monotonic() - started > 1.0:
                break
            time.sleep(FOLLOW_POLL)
            self.handle = self._open()
        idle_since = time.monotonic()
        while self.handle is not None and self.done < self.size:
            chunk = self.handle.read(min(CHUNK_SIZE, self.size - self.done))
            if chunk:
                self.done += len(chunk)
                idle_since = time.monotonic()
                yield chunk
                continue
            if not self.cache.filling(self.image_id):
                # The fill ended: read what it wrote last; whatever is still missing (it
                # failed) comes from the store.
                chunk = self.handle.read(self.size - self.done)
                if chunk:
                    self.done += len(chunk)
                    yield chunk
                break
            if time.monotonic() - idle_since > self.deadline_idle:
                break
            time.sleep(FOLLOW_POLL)
        if self.done < self.size:
            reader = self.rest(self.done)
            try:
                for chunk in reader:
                    self.done += len(chunk)
                    yield chunk
            finally:
                reader.close()
        if self.done != self.size:
            raise StoreError(f"Cached read of {self.image_id} ended at {self.done} bytes.")

    def read(self, size: int = -1) -> bytes:
        raise NotImplementedError("Follower is iterated")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
