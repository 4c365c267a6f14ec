"""A throwaway single-node Ceph (one monitor, one OSD on memstore, the RADOS gateway) for tests
and benchmarks.

Usage, from a test fixture, bench/ or a shell::

    from tests.support.ceph_cluster import ceph_cluster, missing_binaries

    if missing_binaries():                     # a list of the Debian tools not found
        ...skip...
    with ceph_cluster() as ceph:               # starts in ~3 s, SIGKILLs everything on exit
        ceph.s3_endpoint                       # "http://127.0.0.1:<port>" (RGW, path-style)
        ceph.access_key, ceph.secret_key       # an S3 user made with radosgw-admin
        ceph.conf_path                         # ceph.conf for rados/rbd clients (auth none)
        ceph.fsid                              # the cluster id (rbd:// locations carry it)
        ceph.s3_store_options("bucket")        # a CATALOG_STORES entry of kind s3
        ceph.rbd_store_options("pool")         # a CATALOG_STORES entry of kind rbd
        ceph.create_pool("pool")               # an RBD pool (size 1, rbd application)

    python -m tests.support.ceph_cluster       # starts one and prints its facts until ^C

Nothing runs as a service: every daemon is a child process under a temporary directory, on
free loopback ports. Auth is ``none`` (the cluster lives for one test session on loopback).
Every readiness wait fails fast when a daemon exits, so a mistake does not hang a run.
"""

import json
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# The Debian packages: ceph-mon, ceph-osd, radosgw, ceph-common (.ci/system-packages).
BINARIES = ("monmaptool", "ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph")
ACCESS_KEY = "VITRINETESTACCESS0001"
SECRET_KEY = "vitrine-test-secret-key-0000000000000000"


class CephStartError(RuntimeError):
    """A daemon did not start (its log is named in the message)."""


def missing_binaries() -> list[str]:
    return [name for name in BINARIES if shutil.which(name) is None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_port_range(width: int) -> int:
    """A first port such that ``width`` ports from it were free a moment ago."""
    for _ in range(50):
        first = _free_port()
        if first + width >= 65535:
            continue
        try:
            for port in range(first, first + width):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise CephStartError("no free port range for the OSD and RGW messengers")


@dataclass
class CephCluster:
    directory: Path
    fsid: str
    conf_path: Path
    s3_endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    processes: dict = field(default_factory=dict)

    def ceph(self, *args: str, timeout: float = 30) -> str:
        """Run the ``ceph`` CLI against this cluster; its standard output."""
        return _run(["ceph", "-c", str(self.conf_path), "--connect-timeout", "10", *args], timeout)

    def create_pool(self, name: str) -> None:
        """An RBD pool (idempotent)."""
        self.ceph("osd", "pool", "create", name, "8")
        self.ceph("osd", "pool", "application", "enable", name, "rbd")

    def s3_store_options(self, bucket: str, **extra) -> dict:
        """A ``CATALOG_STORES`` entry for an S3 store on this cluster's gateway."""
        return {
            "kind": "s3",
            "bucket": bucket,
            "endpoint_url": self.s3_endpoint,
            "region_name": "default",
            "access_key_id": self.access_key,
            "secret_access_key": self.secret_key,
            "part_size": 5 * 1024 * 1024,
            "create_bucket": True,
            **extra,
        }

    def rbd_store_options(self, pool: str, **extra) -> dict:
        """A ``CATALOG_STORES`` entry for an RBD store on this cluster (the pool is made)."""
        self.create_pool(pool)
        return {
            "kind": "rbd",
            "pool": pool,
            "user": "admin",
            "conf_file": str(self.conf_path),
            "connect_timeout": 10,
            **extra,
        }

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.processes.values())

    def stop(self) -> None:
        # A throwaway cluster: SIGKILL in reverse start order (the gateway first).
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def _run(command: list[str], timeout: float = 30) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise CephStartError(f"{command[:4]} timed out after {timeout} s") from exc
    if result.returncode != 0:
        raise CephStartError(f"{' '.join(command[:6])} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def _config(d: Path, fsid: str, mon_v2: int, mon_v1: int, msgr: int, rgw: int, size: int) -> str:
    return f"""[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{mon_v2},v1:127.0.0.1:{mon_v1}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind port min = {msgr}
ms bind port max = {msgr + 39}
auth cluster required = none
auth service required = none
auth client required = none
# radosgw hangs on its monitor session with auth none without this.
ms mon client mode = secure crc
# Without it every map change (a pool, the OSD) waits ~1 s: 12 s instead of 3 s to start.
paxos propose interval = 0.1
run dir = {d}/run
admin socket = {d}/run/$cluster-$name.asok
log file = {d}/log/$name.log
mon data = {d}/mon.$id
osd data = {d}/osd.$id
rgw data = {d}/rgw.$id
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
client mount timeout = 10
rados mon op timeout = 15
rados osd op timeout = 30
[osd]
osd objectstore = memstore
memstore device bytes = {size}
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{rgw}
"""


def _spawn(cluster: CephCluster, name: str, command: list[str]) -> None:
    log = open(cluster.directory / "log" / f"{name}.out", "wb")
    cluster.processes[name] = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()


def _wait(cluster: CephCluster, what: str, ready, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                raise CephStartError(
                    f"{name} exited with {process.returncode} while waiting for {what}: "
                    f"see {cluster.directory / 'log'}"
                )
        try:
            if ready():
                return
        except (CephStartError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise CephStartError(f"{what} not ready after {timeout} s: see {cluster.directory}")
        time.sleep(0.1)


def start(directory: Path, *, memstore_bytes: int = 1 << 30) -> CephCluster:
    """Start a cluster under ``directory`` (which must exist and be empty)."""
    missing = missing_binaries()
    if missing:
        raise CephStartError(f"Ceph binaries missing: {', '.join(missing)}")
    d = Path(directory)
    for sub in ("run", "log", "mon.a", "osd.0", "rgw.a"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    fsid = str(uuid.uuid4())
    mon_v2, mon_v1, rgw = _free_port(), _free_port(), _free_port()
    msgr = _free_port_range(40)
    conf = d / "ceph.conf"
    conf.write_text(_config(d, fsid, mon_v2, mon_v1, msgr, rgw, memstore_bytes))
    cluster = CephCluster(d, fsid, conf, f"http://127.0.0.1:{rgw}")
    c = ["-c", str(conf)]
    try:
        _run(
            ["monmaptool", "--create", "--fsid", fsid, "--addv", "a",
             f"[v2:127.0.0.1:{mon_v2},v1:127.0.0.1:{mon_v1}]",
             "--enable-all-features", "--clobber", str(d / "monmap")]
        )  # fmt: skip
        _run(["ceph-mon", *c, "--mkfs", "-i", "a", "--monmap", str(d / "monmap")])
        _spawn(cluster, "mon", ["ceph-mon", *c, "-f", "-i", "a"])
        _wait(cluster, "the monitor", lambda: cluster.ceph("-s", timeout=15) is not None, 30)
        osd_uuid = str(uuid.uuid4())
        osd_id = cluster.ceph("osd", "new", osd_uuid).strip()
        _run(["ceph-osd", *c, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid], timeout=60)
        _spawn(cluster, "osd", ["ceph-osd", *c, "-f", "-i", osd_id])

        def osd_up():
            return json.loads(cluster.ceph("osd", "stat", "-f", "json"))["num_up_osds"] >= 1

        _wait(cluster, "the OSD", osd_up, 60)
        _spawn(cluster, "rgw", ["radosgw", *c, "-f", "-n", "client.rgw.a"])

        def gateway_answers():
            try:
                urllib.request.urlopen(cluster.s3_endpoint, timeout=2)
            except urllib.error.HTTPError:
                pass  # any HTTP answer means it serves
            return True

        _wait(cluster, "the RADOS gateway", gateway_answers, 60)
        _run(
            ["radosgw-admin", *c, "user", "create", "--uid=vitrine", "--display-name=vitrine",
             f"--access-key={ACCESS_KEY}", f"--secret-key={SECRET_KEY}"],
            timeout=60,
        )  # fmt: skip
    except BaseException:
        cluster.stop()
        raise
    return cluster


@contextmanager
def ceph_cluster(directory: Path | None = None, **options):
    """Start a cluster (in a new temporary directory unless one is given); stop it on exit."""
    owned = directory is None
    d = Path(tempfile.mkdtemp(prefix="vitrine-ceph-")) if owned else Path(directory)
    cluster = start(d, **options)
    try:
        yield cluster
    finally:
        cluster.stop()
        if owned:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    with ceph_cluster() as running:
        print(
            json.dumps(
                {
                    "fsid": running.fsid,
                    "conf_path": str(running.conf_path),
                    "s3_endpoint": running.s3_endpoint,
                    "access_key": running.access_key,
                    "secret_key": running.secret_key,
                },
                indent=2,
            ),
            flush=True,
        )
        try:
            while running.alive():
                time.sleep(1)
        except KeyboardInterrupt:
            pass
