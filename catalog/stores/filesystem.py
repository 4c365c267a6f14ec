"""The filesystem store: one file per image under a root directory.

Writes go to a hidden temporary file in the same directory, are fsynced, then renamed over
the final name (``os.replace`` is atomic), and the directory is fsynced: a crash leaves
either the whole blob or none of it. Every path is checked to stay inside the root.
"""

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from catalog.streams import BoundedReader

from .base import BlobNotFound, BlobWriter, Store, StoredBlob, StoreError, check_key

TEMP_PREFIX = ".tmp-"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileBlobWriter(BlobWriter):
    def __init__(self, store: "FileStore", key: str):
        self.store = store
        self.final = store.path_for(key)
        self.temp = self.final.with_name(f"{TEMP_PREFIX}{key}-{secrets.token_hex(6)}")
        try:
            fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
        except OSError as exc:
            raise StoreError(f"Cannot create a file in {store.root}: {exc}") from exc
        self.file = os.fdopen(fd, "wb", buffering=0)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        try:
            view = memoryview(chunk)
            while view:  # a raw file may write less than asked
                written = self.file.write(view)
                view = view[written:]
        except OSError as exc:
            raise StoreError(f"Writing {self.temp.name} failed: {exc}") from exc
        self.size += len(chunk)

    def commit(self) -> StoredBlob:
        try:
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temp, self.final)
            _fsync_dir(self.final.parent)
        except OSError as exc:
            self.abort()
            raise StoreError(f"Storing {self.final.name} failed: {exc}") from exc
        return StoredBlob(url=self.store.url_for(self.final), metadata={"store": self.store.id})

    def abort(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        try:
            self.temp.unlink(missing_ok=True)
        except OSError:
            pass


class FileStore(Store):
    kind = "file"

    def __init__(self, store_id: str, *, path, **options):
        super().__init__(store_id, **options)
        self.root = Path(path).resolve()

    def ensure_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

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
        return FileBlobWriter(self, key)

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
