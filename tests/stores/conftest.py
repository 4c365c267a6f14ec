import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.livesrv import free_port

MOTO = Path(sys.executable).parent / "moto_server"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """A real S3 endpoint on loopback: moto's standalone server in a process of its own."""
    if not MOTO.exists():
        pytest.skip("moto[server] is not installed (make install-test installs it)")
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    process = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(params=["emulator", pytest.param("rgw", marks=pytest.mark.ceph)])
def s3_options(request):
    """Options of an S3 store in a fresh bucket: on moto's emulator (fast, in every run) and
    on Ceph's RADOS gateway (the ``ceph`` group: what production runs)."""
    bucket = "vitrine-" + request.node.originalname.lower().replace("_", "-")[:40].strip("-")
    if request.param == "rgw":
        return request.getfixturevalue("ceph").s3_store_options(bucket)
    s3_endpoint = request.getfixturevalue("s3_endpoint")
    return {
        "kind": "s3",
        "bucket": bucket,
        "endpoint_url": s3_endpoint,
        "region_name": "us-east-1",
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "part_size": 5 * 1024 * 1024,
        "create_bucket": True,
    }
