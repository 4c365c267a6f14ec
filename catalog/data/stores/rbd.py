"""The Ceph RBD store: one RBD image per catalog image, through Debian's ``python3-rados`` and
``python3-rbd`` bindings (the Makefile links them into the venv; README, "Running a cluster").

Written as Nova and Cinder expect to find an image service's images on a shared cluster: each
blob is an RBD image named by the catalog image's id, with the layering feature, and a
protected snapshot ``snap`` taken once every byte is in. The location is
``rbd://<fsid>/<pool>/<image>/snap``, so that a compute or volume service on the same cluster
clones the snapshot instead of copying the data.

Uploads stream: chunks are written at their offset as they come, the RBD image grown ahead of
them in steps of at least ``chunk_size`` (so a write is not one resize each) and cut to the
exact size at the end. Until ``commit`` the image has no snapshot: it is not listed, and the
recovery sweep's ``discard_unfinished`` removes what a dead writer left. Reads open the
snapshot read-only, from any offset.
"""

import threading
from collections.abc import Iterator
from urllib.parse import quote, unquote, urlsplit

from catalog.data.stores.base import (
    BlobNotFound,
    BlobWriter,
    Store,
    StoredBlob,
    StoreError,
    check_key,
)
from catalog.data.streams import CHUNK_SIZE

SNAPSHOT = "snap"


def _bindings():
    """The rados and rbd modules (Debian's python3-rados/python3-rbd), or a StoreError."""
    try:
        import rados
        import rbd
    except ImportError as exc:
        raise StoreError(
            "The RBD store needs Debian's python3-rados and python3-rbd, linked into the venv "
            "(`make install` does it when they are installed)."
        ) from exc
    return rados, rbd


def _errors():
    rados, rbd = _bindings()
    return (rados.Error, rbd.Error)


class RBDBlobWriter(BlobWriter):
    def __init__(self, store: "RBDStore", key: str):
        self.store = store
        self.key = check_key(key)
        self.written = 0
        self.allocated = 0
        self.image = None
        self.ioctx = None
        _, rbd = _bindings()
        try:
            self.ioctx = store.ioctx()
            rbd.RBD().create(
                self.ioctx, self.key, 0, old_format=False, features=rbd.RBD_FEATURE_LAYERING
            )
            self.image = rbd.Image(self.ioctx, self.key)
        except rbd.ImageExists as exc:
            self._close()
            raise StoreError(f"RBD image {self.key} already exists in {store.pool}") from exc
        except _errors() as exc:
            self._close()
            raise StoreError(f"RBD create of {self.key} failed: {exc}") from exc

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        end = self.written + len(chunk)
        try:
            if end > self.allocated:
                # Grow ahead (doubling, at least a chunk): few resizes for a large upload.
                self.allocated = max(end, self.allocated * 2, self.store.chunk_size)
                self.image.resize(self.allocated)
            self.image.write(chunk, self.written)
        except _errors() as exc:
            raise StoreError(f"RBD write to {self.key} failed: {exc}") from exc
        self.written = end

    def commit(self) -> StoredBlob:
        try:
            if self.allocated != self.written:
                self.image.resize(self.written)
            self.image.flush()
            self.image.create_snap(SNAPSHOT)
            self.image.protect_snap(SNAPSHOT)
        except _errors() as exc:
            self.abort()
            raise StoreError(f"RBD commit of {self.key} failed: {exc}") from exc
        self._close()
        return StoredBlob(
            url=self.store.url_for(self.key),
            metadata={"store": self.store.id},
        )

    def abort(self) -> None:
        self._close()
        try:
            self.store.discard_unfinished(self.key)
        except Exception:  # the recovery sweep removes what is left
            pass

    def _close(self) -> None:
        if self.image is not None:
            try:
                self.image.close()
            except Exception:
                pass
            self.image = None
        if self.ioctx is not None:
            self.ioctx.close()
            self.ioctx = None


class RBDBlobReader:
    """The snapshot of an RBD image (or a range of it), read in chunks."""

    def __init__(self, store: "RBDStore", key: str, start: int, length: int | None):
        _, rbd = _bindings()
        self.ioctx = store.ioctx()
        try:
            self.image = rbd.Image(self.ioctx, key, snapshot=SNAPSHOT, read_only=True)
        except BaseException:
            self.ioctx.close()
            raise
        size = self.image.size()
        self.position = min(start, size)
        self.end = size if length is None else min(size, start + length)
        self.chunk_size = store.chunk_size

    def read(self, size: int = -1) -> bytes:
        left = self.end - self.position
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        try:
            data = self.image.read(self.position, size)
        except _errors() as exc:
            raise StoreError(f"RBD read failed: {exc}") from exc
        self.position += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(min(self.chunk_size, CHUNK_SIZE)):
            yield chunk

    def close(self) -> None:
        if self.image is not None:
            self.image.close()
            self.image = None
            self.ioctx.close()


class RBDStore(Store):
    kind = "rbd"

    def __init__(
        self,
        store_id: str,
        *,
        pool: str,
        user: str = "admin",
        conf_file: str = "/etc/ceph/ceph.conf",
        keyring: str | None = None,
        chunk_size: int = 8 * 1024 * 1024,
        connect_timeout: int = 10,
        **options,
    ):
        super().__init__(store_id, **options)
        self.pool = pool
        self.user = user
        self.conf_file = conf_file
        self.keyring = keyring
        self.chunk_size = max(int(chunk_size), 64 * 1024)
        self.connect_timeout = int(connect_timeout)
        self._cluster = None
        self._lock = threading.Lock()

    # --- The cluster connection (one per process, shared by threads: librados is) -------

    @property
    def cluster(self):
        with self._lock:
            if self._cluster is None:
                rados, _ = _bindings()
                timeout = str(self.connect_timeout)
                conf = {
                    # A cluster that is gone fails the call instead of hanging the request.
                    "client_mount_timeout": timeout,
                    "rados_mon_op_timeout": timeout,
                    "rados_osd_op_timeout": str(self.connect_timeout * 3),
                }
                if self.keyring:
                    conf["keyring"] = self.keyring
                try:
                    cluster = rados.Rados(conffile=self.conf_file, rados_id=self.user, conf=conf)
                    cluster.connect(timeout=self.connect_timeout)
                except (rados.Error, OSError) as exc:
                    raise StoreError(f"Cannot reach the Ceph cluster of {self.id}: {exc}") from exc
                self._cluster = cluster
            return self._cluster

    def ioctx(self):
        try:
            return self.cluster.open_ioctx(self.pool)
        except _errors() as exc:
            raise StoreError(f"Cannot open pool {self.pool}: {exc}") from exc

    def ping(self) -> None:
        with self.ioctx() as ioctx:
            try:
                ioctx.get_last_version()
            except _errors() as exc:
                raise StoreError(f"Pool {self.pool} does not answer: {exc}") from exc

    @property
    def fsid(self) -> str:
        return self.cluster.get_fsid()

    def describe(self) -> dict:
        return {"pool": self.pool, "user": self.user, "chunk_size": self.chunk_size}

    # --- Locations -------------------------------------------------------------------------

    def url_for(self, key: str) -> str:
        return f"rbd://{self.fsid}/{quote(self.pool)}/{quote(key)}/{SNAPSHOT}"

    def _key_of(self, url: str) -> str:
        parts = urlsplit(url)
        pieces = [unquote(p) for p in parts.path.split("/")[1:]]
        if parts.scheme != "rbd" or len(pieces) != 3 or pieces[0] != self.pool:
            raise StoreError(f"{url!r} is not in store {self.id}")
        if pieces[2] != SNAPSHOT or parts.netloc != self.fsid:
            raise StoreError(f"{url!r} is not in store {self.id}")
        try:
            return check_key(pieces[1])
        except ValueError as exc:
            raise StoreError(f"{url!r} names no blob of store {self.id}") from exc

    def owns(self, url: str) -> bool:
        if not url.startswith("rbd://"):
            return False
        try:
            self._key_of(url)
        except StoreError:
            return False
        return True

    # --- Blobs -----------------------------------------------------------------------------

    def begin(self, key: str) -> RBDBlobWriter:
        return RBDBlobWriter(self, key)

    def open(self, url: str, start: int = 0, length: int | None = None) -> RBDBlobReader:
        key = self._key_of(url)
        _, rbd = _bindings()
        try:
            return RBDBlobReader(self, key, start, length)
        except rbd.ImageNotFound as exc:
            raise BlobNotFound(url) from exc
        except _errors() as exc:
            raise StoreError(f"RBD open of {key} failed: {exc}") from exc

    def size(self, url: str) -> int:
        reader = self.open(url)
        try:
            return reader.end
        finally:
            reader.close()

    def delete(self, url: str) -> None:
        key = self._key_of(url)
        _, rbd = _bindings()
        with self.ioctx() as ioctx:
            try:
                self._remove(ioctx, key)
            except rbd.ImageNotFound as exc:
                raise BlobNotFound(url) from exc
            except rbd.ImageBusy as exc:
                # Nova or Cinder cloned it: the clones must be flattened or removed first.
                raise StoreError(f"RBD image {key} is in use (it has clones): {exc}") from exc
            except _errors() as exc:
                raise StoreError(f"RBD delete of {key} failed: {exc}") from exc

    def _remove(self, ioctx, key: str) -> None:
        _, rbd = _bindings()
        with rbd.Image(ioctx, key) as image:
            for snap in list(image.list_snaps()):
                if image.is_protected_snap(snap["name"]):
                    image.unprotect_snap(snap["name"])
                image.remove_snap(snap["name"])
        rbd.RBD().remove(ioctx, key)

    def list_blobs(self) -> Iterator[tuple[str, str]]:
        _, rbd = _bindings()
        try:
            with self.ioctx() as ioctx:
                names = rbd.RBD().list(ioctx)
                for name in names:
                    try:
                        with rbd.Image(ioctx, name, read_only=True) as image:
                            committed = any(s["name"] == SNAPSHOT for s in image.list_snaps())
                    except rbd.ImageNotFound:
                        continue
                    if committed:
                        yield name, self.url_for(name)
        except _errors() as exc:
            raise StoreError(f"RBD listing of {self.pool} failed: {exc}") from exc

    def discard_unfinished(self, key: str) -> None:
        _, rbd = _bindings()
        with self.ioctx() as ioctx:
            try:
                self._remove(ioctx, check_key(key))
            except rbd.ImageNotFound:
                pass
            except _errors() as exc:
                raise StoreError(f"RBD cleanup of {key} failed: {exc}") from exc
