"""Metadefs figures on a live server (prints, never asserts): GET /v2/metadefs/namespaces
and one namespace's show with 500 namespaces of 20 properties each (the API's shape: every
namespace associated with OS::Glance::Image), as an admin and as a member. Each median is
also shown as a ratio to a trivial request to the same server in the same run (GET /versions:
no token, no database), so figures from different machines compare.

Run: .venv/bin/python bench/metadefs.py [calls] [namespaces] [properties]
"""

import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.livesrv import LiveServer  # noqa: E402

PEOPLE = [("admin", "pw", "admin", "admin"), ("alice", "pw", "a", "member")]

SEED = """
from catalog.context import RequestContext
from catalog.services import metadefs
ctx = RequestContext(user_id="bench", project_id="bench", roles=frozenset({{"admin"}}))
definitions = {{f"p{{j}}": {{"title": f"P{{j}}", "type": "string", "enum": ["a", "b"]}}
               for j in range({properties})}}
for i in range({namespaces}):
    metadefs.create_namespace(ctx, {{
        "namespace": f"Bench::NS{{i:04d}}", "visibility": "public" if i % 2 else "private",
        "resource_type_associations": [{{"name": "OS::Glance::Image", "prefix": "hw_"}}],
        "properties": definitions}})
"""


def timed(calls: int, action) -> list[float]:
    action()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def get(url: str, token: str | None) -> int:
    request = urllib.request.Request(url, headers={"X-Auth-Token": token} if token else {})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return len(answer.read())


def report(label: str, samples: list[float], size: int, baseline: float) -> None:
    ordered = sorted(samples)
    p95 = ordered[max(int(len(ordered) * 0.95) - 1, 0)]
    median = statistics.median(samples)
    print(
        f"{label:<44} {size:>8} B   median {median:7.2f} ms (x{median / baseline:6.1f})"
        f"   p95 {p95:7.2f} ms"
    )


def main(calls: int, namespaces: int, properties: int) -> None:
    server = LiveServer(Path(tempfile.mkdtemp(prefix="vitrine-bench-metadefs-")))
    try:
        server.start()
        server.add_people(PEOPLE)
        started = time.perf_counter()
        server._manage("shell", "-c", SEED.format(namespaces=namespaces, properties=properties))
        print(
            f"seeded {namespaces} namespaces x {properties} properties in "
            f"{time.perf_counter() - started:.1f} s"
        )
        trivial = f"{server.url}/versions"
        baseline = statistics.median(timed(calls, lambda: get(trivial, None)))
        print(f"trivial request (GET /versions): median {baseline:.2f} ms (x1.0)")
        base = f"{server.url}/v2/metadefs/namespaces"
        for persona in ("admin", "alice"):
            token = server.password_token(
                persona, "pw", dict((p[0], p[2]) for p in PEOPLE)[persona]
            )
            for label, url in (
                ("list, default page (25)", base),
                ("list, limit=1000", f"{base}?limit=1000"),
                (
                    "list, resource_types=OS::Glance::Image",
                    f"{base}?resource_types=OS::Glance::Image&limit=1000",
                ),
                ("show one namespace with its properties", f"{base}/Bench::NS0001"),
            ):
                size = get(url, token)
                samples = timed(calls, lambda u=url, t=token: get(u, t))
                report(f"{persona}: {label}", samples, size, baseline)
    finally:
        server.stop()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [20, 500, 20][len(args) :]))
