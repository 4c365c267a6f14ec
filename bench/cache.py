"""Image downloads through the image cache: S3 cold (the first download, which fills the
cache while it streams), S3 cached (served from the cache with sendfile), and the same image
from the filesystem store without a cache, each through a live gunicorn.

The S3 endpoint is moto's standalone server on loopback (what the test suite uses), so the
cold figure is this machine's moto, not a real S3; the cached figure does not depend on it.

    .venv/bin/python bench/cache.py [--mib 1024]

Prints MiB/s and the ratios; never asserts.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.data import BLOCK, MiB, download, upload  # noqa: E402
from tests.livesrv import LiveServer, free_port  # noqa: E402

MOTO = Path(sys.executable).parent / "moto_server"


def start_moto(workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(workdir / "moto.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("moto_server did not start")


def timed_download(server: LiveServer, image_id: str, total: int) -> float:
    start = time.perf_counter()
    download(server, image_id, total)
    return total / MiB / (time.perf_counter() - start)


def with_image(server: LiveServer, block: bytes, total: int) -> str:
    image_id = server.create_image(name="bench-cache")
    upload(server, image_id, block, total)
    return image_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    if not MOTO.exists():
        raise SystemExit("moto[server] is not installed (make install-test installs it)")
    total = args.mib * MiB
    block = os.urandom(BLOCK)
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        workdir = Path(tmp)
        moto, endpoint = start_moto(workdir)
        try:
            store = {
                "kind": "s3",
                "bucket": "bench-cache",
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key_id": "bench",
                "secret_access_key": "bench",
                "create_bucket": True,
            }
            s3_env = {
                "CATALOG_STORES": json.dumps({"s3": store}),
                "CATALOG_IMAGE_CACHE_DIR": str(workdir / "s3" / "cache"),
                "CATALOG_IMAGE_CACHE_MAX_SIZE": str(4 * total),
                "CATALOG_NODE_URL": "http://bench-node",
            }
            with LiveServer(workdir / "s3", extra_env=s3_env) as server:
                image_id = with_image(server, block, total)
                cold = timed_download(server, image_id, total)
                cached = timed_download(server, image_id, total)
        finally:
            moto.terminate()
            moto.wait(timeout=10)
        with LiveServer(workdir / "file") as server:
            image_id = with_image(server, block, total)
            file_store = timed_download(server, image_id, total)
    print(f"download of {args.mib} MiB through gunicorn")
    print(f"  S3 (moto), cold, filling the cache   {cold:8.1f} MiB/s")
    print(
        f"  S3 (moto), from the cache (sendfile) {cached:8.1f} MiB/s  ({cached / cold:.1f}x cold)"
    )
    print(f"  file store, no cache                 {file_store:8.1f} MiB/s")
    print(f"  cached / file store                  {cached / file_store:8.2f}x")


if __name__ == "__main__":
    main()
