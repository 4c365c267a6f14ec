"""The data path and a small page through gunicorn, each beside this machine's own limit.

One run measures the machine's limits on the same bytes and the same disk, then the server,
and prints every server figure as a ratio to the limit it is bounded by:

- limits: md5 + sha512 serially and in two threads (the upload's CPU limit), a durable
  write (write + fsync), the large-block direct read rate (O_DIRECT, 4 MiB reads of a file
  evicted from the page cache), a cold buffered read, and the page-cache rate (sendfile of a
  cached file over loopback into the same client code the downloads use);
- upload of a random image (1 GiB by default) vs the two-thread hashing limit;
- the first download right after the upload, a warm (second) download, and a cold download
  (the blob evicted from the page cache) vs the direct-read and page-cache rates;
- ``GET /v2/images?limit=25`` of a 1,000-image catalog vs a minimal authenticated view on
  the same server (bench/minimal_urls.py), with a per-phase profile of the list request
  (cProfile in this process, on the same database).

Caches are evicted per file with ``posix_fadvise(POSIX_FADV_DONTNEED)`` after an fsync (the
residency is checked with ``mincore`` and printed); ``--drop-caches`` uses
``/proc/sys/vm/drop_caches`` instead (global: it also empties other processes' caches).

    .venv/bin/python bench/data.py [--gib 1] [--images 1000] [--serial] [--drop-caches]

Prints figures only; never asserts.
"""

import argparse
import cProfile
import ctypes
import ctypes.util
import hashlib
import io
import json
import mmap
import os
import pstats
import shutil
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.livesrv import LiveServer, cpu_seconds, reset_peak_rss, rss_kib  # noqa: E402

MiB = 1024 * 1024
BLOCK = 16 * MiB
SEND = 1 * MiB
READ = 4 * MiB


def chunks_of(block: bytes, total: int):
    view = memoryview(block)
    sent = 0
    while sent < total:
        offset = sent % len(block)
        size = min(SEND, total - sent, len(block) - offset)
        yield view[offset : offset + size]
        sent += size


# --- Page cache control ------------------------------------------------------------------

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]


def resident_fraction(path: Path) -> float:
    """The share of ``path``'s pages in the page cache (mincore on a mapping of it)."""
    size = path.stat().st_size
    if not size:
        return 0.0
    page = mmap.PAGESIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        address = _libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            return float("nan")
        try:
            pages = (size + page - 1) // page
            vector = ctypes.create_string_buffer(pages)
            if _libc.mincore(address, size, vector) != 0:
                return float("nan")
            return sum(b & 1 for b in vector.raw) / pages
        finally:
            _libc.munmap(address, size)
    finally:
        os.close(fd)


def evict(path: Path, drop_caches: bool) -> str:
    """Remove ``path`` from the page cache; returns how and what stayed resident."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)  # dirty pages cannot be dropped
        if drop_caches:
            Path("/proc/sys/vm/drop_caches").write_text("3")
            how = "drop_caches"
        else:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            how = "fadvise DONTNEED"
    finally:
        os.close(fd)
    return f"{how}, {100 * resident_fraction(path):.0f}% resident after"


# --- Machine limits ----------------------------------------------------------------------


def hash_rate(block: bytes, total: int, parallel: bool) -> float:
    digests = [hashlib.md5(), hashlib.sha512()]

    def feed(digest):
        for chunk in chunks_of(block, total):
            digest.update(chunk)

    start = time.perf_counter()
    if parallel:
        threads = [threading.Thread(target=feed, args=(d,)) for d in digests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for digest in digests:
            feed(digest)
    return total / MiB / (time.perf_counter() - start)


def durable_write_rate(path: Path, block: bytes, total: int) -> float:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        start = time.perf_counter()
        for chunk in chunks_of(block, total):
            os.write(fd, chunk)
        os.fsync(fd)
        return total / MiB / (time.perf_counter() - start)
    finally:
        os.close(fd)


def read_rate(path: Path, direct: bool) -> float:
    flags = os.O_RDONLY | (os.O_DIRECT if direct else 0)
    fd = os.open(path, flags)
    buffer = mmap.mmap(-1, READ)  # page-aligned, as O_DIRECT needs
    total = 0
    try:
        start = time.perf_counter()
        while count := os.readv(fd, [buffer]):
            total += count
        return total / MiB / (time.perf_counter() - start)
    finally:
        buffer.close()
        os.close(fd)


def receive(conn_or_response, total: int) -> int:
    buffer = bytearray(READ)
    received = 0
    while count := conn_or_response.readinto(buffer):
        received += count
    return received


def page_cache_rate(path: Path) -> float:
    """sendfile of a cached file over loopback into the client code of the downloads."""
    size = path.stat().st_size
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        with conn, open(path, "rb") as handle:
            offset = 0
            while offset < size:
                offset += os.sendfile(conn.fileno(), handle.fileno(), offset, size - offset)

    with open(path, "rb") as handle:  # make it resident
        while handle.read(READ):
            pass
    thread = threading.Thread(target=serve)
    thread.start()
    client = socket.create_connection(listener.getsockname())
    reader = client.makefile("rb")
    start = time.perf_counter()
    received = receive(reader, size)
    elapsed = time.perf_counter() - start
    reader.close()
    client.close()
    thread.join()
    listener.close()
    assert received == size
    return size / MiB / elapsed


# --- Through the server ------------------------------------------------------------------


def upload(server, image_id: str, block: bytes, total: int) -> None:
    conn = server.connection()
    conn.putrequest("PUT", f"/v2/images/{image_id}/file")
    for name, value in server.headers(
        **{"Content-Type": "application/octet-stream", "Content-Length": str(total)}
    ).items():
        conn.putheader(name, value)
    conn.endheaders()
    for chunk in chunks_of(block, total):
        conn.sock.sendall(chunk)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 204:
        raise SystemExit(f"upload failed: {response.status} {body[:300]!r}")


def download(server, image_id: str, total: int) -> None:
    conn = server.connection()
    conn.request("GET", f"/v2/images/{image_id}/file", headers=server.headers())
    response = conn.getresponse()
    received = receive(response, total)
    conn.close()
    if response.status != 200 or received != total:
        raise SystemExit(f"download failed: {response.status}, {received} of {total} bytes")


def measure(server, action, baseline_kib: int) -> dict:
    pid = server.worker_pid()
    reset_peak_rss(pid)
    cpu_before = cpu_seconds(pid)
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "cpu": cpu_seconds(pid) - cpu_before,
        "rss_growth_mib": (rss_kib(pid, "VmHWM") - baseline_kib) / 1024,
    }


def data_runs(server, block: bytes, total: int, drop: bool) -> tuple[list, str]:
    warm = server.create_image()
    upload(server, warm, block, 8 * MiB)
    download(server, warm, 8 * MiB)
    baseline = rss_kib(server.worker_pid())
    image_id = server.create_image()
    blob = server.workdir / "images" / image_id
    runs = [("upload", measure(server, lambda: upload(server, image_id, block, total), baseline))]
    cached = resident_fraction(blob)
    runs.append(
        ("first download", measure(server, lambda: download(server, image_id, total), baseline))
    )
    runs.append(
        ("warm download", measure(server, lambda: download(server, image_id, total), baseline))
    )
    how = evict(blob, drop)
    runs.append(
        ("cold download", measure(server, lambda: download(server, image_id, total), baseline))
    )
    record = json.loads(server.request("GET", f"/v2/images/{image_id}").data)
    if record["status"] != "active":
        raise SystemExit(f"image not active after upload: {record}")
    note = f"blob {100 * cached:.0f}% resident after the upload; cold: {how}"
    return runs, note


# --- The small page -------------------------------------------------------------------


def seed_images(server, count: int) -> None:
    conn = server.connection()
    body = json.dumps({"disk_format": "raw", "container_format": "bare", "tags": ["a", "b"]})
    headers = server.headers(**{"Content-Type": "application/json"})
    for _ in range(count):
        conn.request("POST", "/v2/images", body, headers)
        response = conn.getresponse()
        response.read()
        if response.status != 201:
            raise SystemExit(f"create failed: {response.status}")
    conn.close()


def latencies(server, path: str, repeat: int) -> list[float]:
    conn = server.connection()  # keep-alive, as a client library does
    headers = server.headers()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
    conn.close()
    return times


def page_runs(server, repeat: int) -> dict:
    latencies(server, "/v2/images?limit=25", 20)  # warm the worker
    latencies(server, "/bench/minimal", 20)
    rounds = {"list": [], "minimal": []}
    for _ in range(5):  # interleaved, so that load from other processes hits both alike
        rounds["list"] += latencies(server, "/v2/images?limit=25", repeat // 5)
        rounds["minimal"] += latencies(server, "/bench/minimal", repeat // 5)
    return {name: statistics.median(times) * 1000 for name, times in rounds.items()}


# (label, file path part, function): cumulative times of these functions per request.
PHASES = [
    ("whole request (WSGIHandler)", "django/core/handlers/wsgi.py", "__call__"),
    ("  DRF dispatch", "rest_framework/views.py", "dispatch"),
    ("    authentication (token lookup)", "catalog/api/authentication.py", "authenticate"),
    ("    visibility rules (policy.listed_images)", "catalog/policy.py", "listed_images"),
    ("    filters (ImageFilterSet.qs)", "django_filters/filterset.py", "qs"),
    ("    page query (image_page)", "catalog/reads/pagination.py", "image_page"),
    ("    wire bodies + properties/tags query", "catalog/reads/pagination.py", "page_document"),
    ("    JSON rendering (JsonResponse)", "django/http/response.py", "__init__"),
    ("  ORM: queries compiled and run", "django/db/models/sql/compiler.py", "execute_sql"),
]


def phase_lines(stats, repeat: int) -> list[str]:
    def cumulative(file_part, function):
        return sum(
            ct
            for (filename, _, name), (_, _, _, ct, _) in stats.items()
            if file_part in filename and name == function
        )

    def per_request(seconds):
        return 1000 * seconds / repeat

    total = per_request(cumulative(*PHASES[0][1:]))
    rows = [(label, per_request(cumulative(part, name))) for label, part, name in PHASES]
    rows.insert(1, ("  middleware + Django handler (the rest)", total - rows[1][1]))
    # The database driver's own time: what the queries cost beyond building them.
    driver = sum(
        tottime
        for (filename, _, name), (_, _, tottime, _, _) in stats.items()
        if filename == "~" and "execute" in name
    )
    rows.append(("    of which the database driver", per_request(driver)))
    return [f"{label:44} {ms:7.2f}  {100 * ms / total:5.1f}%" for label, ms in rows if ms]


def profile_list(server, repeat: int) -> list[str]:
    """cProfile of ``repeat`` list requests in this process, on the server's database."""
    os.environ.update(
        {k: v for k, v in server.env.items() if k.startswith(("CATALOG_", "DATABASE_URL"))}
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.minimal_settings"
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()

    def call(path, query):
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_X_AUTH_TOKEN": server.token,
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        status = []
        body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("200"), (status, body[:200])

    for _ in range(20):
        call("/v2/images", "limit=25")
        call("/bench/minimal", "")
    lines = []
    for path, query in (("/v2/images", "limit=25"), ("/bench/minimal", "")):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            call(path, query)
        profiler.disable()
        stats = pstats.Stats(profiler).stats
        lines.append(f"### profile of GET {path}?{query} ({repeat} requests, ms/request)")
        lines += phase_lines(stats, repeat)
        top = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:8]
        lines.append("  top own time:")
        for (filename, line, name), (_, calls, tottime, _, _) in top:
            short = "/".join(Path(filename).parts[-2:])
            lines.append(
                f"    {1000 * tottime / repeat:6.3f} ms {calls / repeat:7.1f} calls  "
                f"{short}:{line}({name})"
            )
    return lines


# --- S3 (the Ceph RADOS gateway) -------------------------------------------------------


class GeneratedReader:
    """A readable file of ``total`` bytes of ``block`` (boto3's upload_fileobj reads it)."""

    def __init__(self, block: bytes, total: int):
        self.chunks = chunks_of(block, total)
        self.pending = memoryview(b"")

    def read(self, size=-1):
        parts = []
        want = size if size is not None and size >= 0 else 1 << 62
        while want > 0:
            if not self.pending:
                self.pending = next(self.chunks, None)
                if self.pending is None:
                    self.pending = memoryview(b"")
                    break
            part = self.pending[:want]
            self.pending = self.pending[len(part) :]
            parts.append(part)
            want -= len(part)
        return b"".join(parts)


class Discard:
    """A sink for boto3's download_fileobj (not seekable: parts arrive in order)."""

    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)


def s3_endpoint(args, total: int):
    """(endpoint, access key, secret key, stop) from the environment, or a Ceph started
    with tests/support/ceph_cluster.py (``--ceph``); None when there is neither."""
    endpoint = os.environ.get("BENCH_S3_ENDPOINT")
    if endpoint:
        keys = os.environ.get("BENCH_S3_ACCESS_KEY"), os.environ.get("BENCH_S3_SECRET_KEY")
        return endpoint, *keys, lambda: None
    if not args.ceph:
        return None
    try:
        from tests.support.ceph_cluster import ceph_cluster, missing_binaries
    except ImportError:
        print("# --ceph: tests/support/ceph_cluster.py is not in this checkout")
        return None
    if missing_binaries():
        print(f"# --ceph: missing {', '.join(missing_binaries())} (.ci/system-packages)")
        return None
    running = ceph_cluster(memstore_bytes=3 * total + (1 << 30))
    ceph = running.__enter__()
    return (
        ceph.s3_endpoint,
        ceph.access_key,
        ceph.secret_key,
        lambda: running.__exit__(None, None, None),
    )


def s3_runs(args, block: bytes, total: int) -> None:
    print("## S3 store vs boto3 alone, same endpoint")
    found = s3_endpoint(args, total)
    if found is None:
        print(
            "# skipped: no endpoint. Set BENCH_S3_ENDPOINT, BENCH_S3_ACCESS_KEY and "
            "BENCH_S3_SECRET_KEY (a Ceph RADOS gateway: an emulator would measure the "
            "emulator), or pass --ceph to start one with tests/support/ceph_cluster.py."
        )
        return
    endpoint, access_key, secret_key, stop = found
    try:
        s3_measure(endpoint, access_key, secret_key, block, total)
    except Exception as exc:  # a gateway overwhelmed by the machine's load: say so, go on
        print(f"# S3 section failed: {type(exc).__name__}: {exc}")
    finally:
        stop()


def s3_measure(endpoint: str, access_key: str, secret_key: str, block: bytes, total: int):
    import boto3

    from catalog.data.stores.s3 import S3Store

    bucket = os.environ.get("BENCH_S3_BUCKET", "bench-data")
    options = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    options.update(access_key_id=access_key, secret_access_key=secret_key)
    store = S3Store("bench", bucket=bucket, create_bucket=True, **options)
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )
    store.client  # noqa: B018 (creates the bucket)

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        return total / MiB / (time.perf_counter() - start)

    raw_up = timed(lambda: client.upload_fileobj(GeneratedReader(block, total), bucket, "raw"))
    sink = Discard()
    raw_down = timed(lambda: client.download_fileobj(bucket, "raw", sink))
    client.delete_object(Bucket=bucket, Key="raw")

    def store_upload():
        writer = store.begin("store")
        try:
            for chunk in chunks_of(block, total):
                writer.write(chunk)
            store_upload.blob = writer.commit()
        except BaseException:
            writer.abort()  # leaves no parts in the gateway
            raise

    def store_download():
        reader = store.open(store_upload.blob.url)
        for _ in reader:
            pass
        reader.close()

    up = timed(store_upload)
    down = timed(store_download)
    store.delete(store_upload.blob.url)
    print(f"# endpoint {endpoint}, bucket {bucket}, part size {store.part_size // MiB} MiB")
    print(f"boto3 upload_fileobj    {raw_up:7.0f} MiB/s")
    print(f"S3 store upload         {up:7.0f} MiB/s   {up / raw_up:.2f}x boto3 (goal >= 0.8x)")
    print(f"boto3 download_fileobj  {raw_down:7.0f} MiB/s")
    print(
        f"S3 store download       {down:7.0f} MiB/s   {down / raw_down:.2f}x boto3 (goal >= 0.8x)"
    )


# --- Main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="image size in GiB (default 1)")
    parser.add_argument("--images", type=int, default=1000, help="catalog size for the list")
    parser.add_argument("--repeat", type=int, default=200, help="requests per latency case")
    parser.add_argument("--serial", action="store_true", help="also run with serial hashing")
    parser.add_argument("--drop-caches", action="store_true", help="evict via drop_caches")
    parser.add_argument("--skip-data", action="store_true", help="only the small page")
    parser.add_argument("--ceph", action="store_true", help="start a Ceph for the S3 section")
    parser.add_argument("--workdir", default="var/bench-data", help="server and store directory")
    args = parser.parse_args()
    total = int(args.gib * 1024) * MiB
    workdir = Path(args.workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    block = os.urandom(BLOCK)
    gib = total / 1024 / MiB

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# bench/data.py: {total // MiB} MiB random image, {os.cpu_count()} CPUs, load {load}")
    if not args.skip_data:
        print("## machine limits (same bytes, same disk)")
        serial = hash_rate(block, total, parallel=False)
        hashing = hash_rate(block, total, parallel=True)
        probe = workdir / "probe"
        durable = durable_write_rate(probe, block, total)
        how = evict(probe, args.drop_caches)
        direct = read_rate(probe, direct=True)
        evict(probe, args.drop_caches)
        buffered = read_rate(probe, direct=False)
        cache = page_cache_rate(probe)
        probe.unlink()
        print(f"md5+sha512 serially                  {serial:7.0f} MiB/s")
        print(f"md5+sha512 in two threads (HASH)     {hashing:7.0f} MiB/s")
        print(f"durable write (write+fsync)          {durable:7.0f} MiB/s")
        print(f"direct read, 4 MiB O_DIRECT (DIRECT) {direct:7.0f} MiB/s   (evicted: {how})")
        print(f"cold buffered read, 4 MiB reads      {buffered:7.0f} MiB/s")
        print(f"page cache, sendfile+loopback (PAGE) {cache:7.0f} MiB/s")

        for parallel in [True, False] if args.serial else [True]:
            env = {"CATALOG_PARALLEL_HASHING": "true" if parallel else "false"}
            run_dir = workdir / ("parallel" if parallel else "serial")
            with LiveServer(run_dir, extra_env=env) as server:
                runs, note = data_runs(server, block, total, args.drop_caches)
            shutil.rmtree(run_dir, ignore_errors=True)
            mode = "2 hash threads" if parallel else "serial hashing"
            print(f"## through gunicorn (1 gthread worker, filesystem store, {mode})")
            print(f"# {note}")
            print(
                f"{'':16} {'MiB/s':>7} {'CPU s/GiB':>9} {'RSS growth MiB':>14}  ratio to the limit"
            )
            limits = {
                "upload": [("HASH", hashing)],
                "first download": [("DIRECT", direct), ("PAGE", cache)],
                "warm download": [("PAGE", cache)],
                "cold download": [("DIRECT", direct)],
            }
            for label, r in runs:
                rate = total / MiB / r["seconds"]
                ratios = ", ".join(f"{rate / value:.2f}x {name}" for name, value in limits[label])
                print(
                    f"{label:16} {rate:7.0f} {r['cpu'] / gib:9.2f} {r['rss_growth_mib']:14.1f}"
                    f"  {ratios}"
                )
            both = runs[0][1]["seconds"] + runs[1][1]["seconds"]
            print(f"upload, then first download: {both:.2f} s")

        s3_runs(args, block, total)

    print(f"## GET /v2/images?limit=25 of {args.images} images vs a minimal authenticated view")
    page_dir = workdir / "page"
    env = {"DJANGO_SETTINGS_MODULE": "bench.minimal_settings"}
    with LiveServer(page_dir, threads=1, extra_env=env) as server:
        seed_images(server, args.images)
    # Measured on a server started after the seeding, with the query planner's statistics of
    # the seeded catalog, as a running server keeps them (catalog/reads/planner.py refreshes
    # them every few minutes). The seeding server's were taken of an empty catalog: there
    # SQLite sorts the list in a temporary b-tree instead of walking its index (1.4 ms more).
    with LiveServer(page_dir, threads=1, extra_env=env) as server:
        medians = page_runs(server, args.repeat)
        print(
            f"median: list {medians['list']:.2f} ms, minimal {medians['minimal']:.2f} ms, "
            f"ratio {medians['list'] / medians['minimal']:.2f}x (goal <= 1.5x)"
        )
        for line in profile_list(server, max(50, args.repeat // 2)):
            print(line)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
