"""Identity figures on live servers (prints, never asserts):

- issuing a token from the built-in identity (dominated by password hashing);
- an image API call with a built-in token;
- an image API call in external Keystone mode, with the validation cache and without it
  (a Keystone round trip per call), against a standalone Vitrine acting as the Keystone.

Run: .venv/bin/python bench/identity.py [calls]
"""

import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.livesrv import LiveServer  # noqa: E402

PEOPLE = [("vitrine", "service-secret", "service", "admin"), ("alice", "pw", "a", "member")]


def timed(calls: int, action) -> list[float]:
    action()  # warm up (and fill caches)
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"X-Auth-Token": token})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"{label:<48} n={len(samples):<4} median {statistics.median(samples):7.2f} ms"
        f"   p95 {p95:7.2f} ms"
    )


def main(calls: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="vitrine-bench-identity-"))
    keystone = LiveServer(workdir / "keystone")
    cached = LiveServer(workdir / "cached", extra_env=external_env(keystone, ttl=60))
    uncached = LiveServer(workdir / "uncached", extra_env=external_env(keystone, ttl=0))
    servers = [keystone, cached, uncached]
    try:
        keystone.start()
        keystone.add_people(PEOPLE)
        cached.start()
        uncached.start()
        token = keystone.password_token("alice", "pw", "a")
        report(
            "POST /identity/v3/auth/tokens (password)",
            timed(max(calls // 10, 5), lambda: keystone.password_token("alice", "pw", "a")),
        )
        report(
            "GET /v2/images, built-in token",
            timed(calls, lambda: get(f"{keystone.url}/v2/images", token)),
        )
        report(
            "GET /v2/images, Keystone mode, cached",
            timed(calls, lambda: get(f"{cached.url}/v2/images", token)),
        )
        report(
            "GET /v2/images, Keystone mode, no cache",
            timed(calls, lambda: get(f"{uncached.url}/v2/images", token)),
        )
    finally:
        for server in servers:
            server.stop()


def external_env(keystone: LiveServer, ttl: int) -> dict:
    return {
        "CATALOG_KEYSTONE_URL": f"{keystone.url}/identity/v3",
        "CATALOG_KEYSTONE_USERNAME": "vitrine",
        "CATALOG_KEYSTONE_PASSWORD": "service-secret",
        "CATALOG_KEYSTONE_PROJECT": "service",
        "CATALOG_KEYSTONE_CACHE_TTL": str(ttl),
    }


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
