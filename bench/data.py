"""Image data throughput through gunicorn, beside this machine's own limits.

Uploads and downloads a random image (1 GiB by default) through a live gunicorn (gthread
worker, filesystem store) and prints, per direction: MiB/s, the server worker's CPU seconds
per GiB, and its peak RSS. In the same run it measures the machine's limits on the same
amount of data: md5 and sha512 serially and in two threads, and a durable write (write +
fsync) to the store's disk. Targets: at least 3x Glance's 76 MiB/s upload, and at
least 80% of the machine limit (the slower of parallel hashing and the durable write).

    .venv/bin/python bench/data.py [--gib 1] [--no-serial]

Prints figures only; never asserts.
"""

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.livesrv import LiveServer, cpu_seconds, reset_peak_rss, rss_kib  # noqa: E402

MiB = 1024 * 1024
GLANCE_UPLOAD_MIBS = 76.0
GLANCE_CPU_PER_GIB = 11.0
BLOCK = 16 * MiB
SEND = 1 * MiB


def chunks_of(block: bytes, total: int):
    view = memoryview(block)
    sent = 0
    while sent < total:
        offset = sent % len(block)
        size = min(SEND, total - sent, len(block) - offset)
        yield view[offset : offset + size]
        sent += size


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


def durable_write_rate(directory: Path, block: bytes, total: int) -> float:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".bench-") as handle:
        fd = handle.fileno()
        start = time.perf_counter()
        for chunk in chunks_of(block, total):
            os.write(fd, chunk)
        os.fsync(fd)
        return total / MiB / (time.perf_counter() - start)


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
    buffer = bytearray(4 * MiB)
    received = 0
    while count := response.readinto(buffer):
        received += count
    conn.close()
    if response.status != 200 or received != total:
        raise SystemExit(f"download failed: {response.status}, {received} of {total} bytes")


def measure(server, label: str, action) -> dict:
    pid = server.worker_pid()
    reset_peak_rss(pid)
    cpu_before = cpu_seconds(pid)
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    return {
        "label": label,
        "seconds": elapsed,
        "cpu": cpu_seconds(pid) - cpu_before,
        "peak_rss_mib": rss_kib(pid, "VmHWM") / 1024,
    }


def run_server(workdir: Path, block: bytes, total: int, parallel: bool) -> list[dict]:
    env = {"CATALOG_PARALLEL_HASHING": "true" if parallel else "false"}
    with LiveServer(workdir, extra_env=env) as server:
        warm = server.create_image()
        upload(server, warm, block, 8 * MiB)
        download(server, warm, 8 * MiB)
        image_id = server.create_image()
        mode = "2 hash threads" if parallel else "serial hashing"
        results = [
            measure(server, f"upload ({mode})", lambda: upload(server, image_id, block, total)),
            measure(server, f"download ({mode})", lambda: download(server, image_id, total)),
        ]
        record = server.request("GET", f"/v2/images/{image_id}")
        if b'"status": "active"' not in record.data:
            raise SystemExit(f"image not active after upload: {record.data[:300]!r}")
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="image size in GiB (default 1)")
    parser.add_argument("--no-serial", action="store_true", help="skip the serial-hashing run")
    parser.add_argument("--workdir", default="var/bench-data", help="server and store directory")
    args = parser.parse_args()
    total = int(args.gib * 1024) * MiB
    workdir = Path(args.workdir).resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    block = os.urandom(BLOCK)
    gib = total / 1024 / MiB

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# bench/data.py: {total // MiB} MiB random image, {os.cpu_count()} CPUs, load {load}")
    print("## machine limits (same bytes, same disk)")
    serial = hash_rate(block, total, parallel=False)
    parallel = hash_rate(block, total, parallel=True)
    disk = durable_write_rate(workdir / "disk-probe", block, total)
    limit = min(parallel, disk)
    print(f"md5+sha512 serially           {serial:8.0f} MiB/s")
    print(f"md5+sha512 in two threads     {parallel:8.0f} MiB/s")
    print(f"durable write (write+fsync)   {disk:8.0f} MiB/s")
    print(f"machine limit (slower of the two above) {limit:.0f} MiB/s")

    results = []
    for parallel_hashing in [True] if args.no_serial else [True, False]:
        run_dir = workdir / ("parallel" if parallel_hashing else "serial")
        results += run_server(run_dir, block, total, parallel_hashing)
        shutil.rmtree(run_dir, ignore_errors=True)

    print("## through gunicorn (1 gthread worker, filesystem store)")
    print(f"{'':28} {'MiB/s':>8} {'CPU s/GiB':>10} {'peak RSS MiB':>13} {'% of limit':>11}")
    for r in results:
        rate = total / MiB / r["seconds"]
        print(
            f"{r['label']:28} {rate:8.0f} {r['cpu'] / gib:10.2f} {r['peak_rss_mib']:13.0f} "
            f"{100 * rate / limit:10.0f}%"
        )
    best_upload = max(total / MiB / r["seconds"] for r in results if "upload" in r["label"])
    print(
        f"## upload vs Glance ({GLANCE_UPLOAD_MIBS:.0f} MiB/s, {GLANCE_CPU_PER_GIB:.0f} CPU s/GiB): "
        f"{best_upload / GLANCE_UPLOAD_MIBS:.1f}x its speed (target >= 3x); "
        f"{100 * best_upload / limit:.0f}% of this machine's limit (target >= 80%)"
    )
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
