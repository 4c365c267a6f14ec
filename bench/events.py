"""The cost of events on request latency (prints, never asserts): image create and a 1 MiB
upload against live servers that record

- the audit trail only (the default: notifications off, no webhook);
- the audit trail and Glance notifications (the envelope into the outbox; no worker runs,
  so the broker is never contacted by a request);
- both, and a catalog-wide webhook subscription (one delivery row per event);
- optionally, nothing at all: ``--baseline DIR`` runs the same requests against another
  checkout (one without the events work), for the "events off" figure.

Run: .venv/bin/python bench/events.py [calls] [--baseline /path/to/checkout]
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import livesrv  # noqa: E402
from tests.livesrv import LiveServer  # noqa: E402

PAYLOAD = b"e" * (1024 * 1024)


def measure(server: LiveServer, calls: int) -> tuple[list[float], list[float]]:
    creates, uploads = [], []
    for n in range(calls + 1):
        start = time.perf_counter()
        image_id = server.create_image(name=f"bench-{n}")
        created = time.perf_counter()
        response = server.request(
            "PUT",
            f"/v2/images/{image_id}/file",
            PAYLOAD,
            {"Content-Type": "application/octet-stream"},
        )
        assert response.status == 204, response.data
        if n:  # the first round warms up
            creates.append((created - start) * 1000)
            uploads.append((time.perf_counter() - created) * 1000)
    return creates, uploads


def webhook(server: LiveServer) -> None:
    body = {"url": "https://hooks.example.invalid/x", "catalog_wide": True}
    # Refused when the name does not resolve: subscribe through the shell instead.
    server.manage(
        "shell",
        "-c",
        "from catalog.models import WebhookSubscription as W; "
        f"W.objects.create(url={body['url']!r}, secret='s')",
    )


def run(label: str, calls: int, env: dict, root: Path | None = None, hook=False) -> dict:
    saved = livesrv.ROOT
    if root is not None:
        livesrv.ROOT = root
    server = LiveServer(Path(tempfile.mkdtemp(prefix="vitrine-bench-events-")), extra_env=env)
    try:
        server.start()
        if hook:
            webhook(server)
        creates, uploads = measure(server, calls)
    finally:
        server.stop()
        livesrv.ROOT = saved
    figures = {"create": statistics.median(creates), "upload": statistics.median(uploads)}
    print(
        f"{label:<44} create median {figures['create']:7.2f} ms   "
        f"1 MiB upload median {figures['upload']:7.2f} ms"
    )
    return figures


def main(calls: int, baseline: Path | None) -> None:
    rabbit = {"CATALOG_NOTIFICATIONS_URL": "rabbit://guest:guest@127.0.0.1:5672/"}
    results = {}
    if baseline is not None:
        results["off"] = run("events off (baseline checkout)", calls, {}, root=baseline)
    results["audit"] = run("audit trail only", calls, {})
    results["notify"] = run("audit + notifications (outbox)", calls, rabbit)
    results["hook"] = run("audit + notifications + webhook", calls, rabbit, hook=True)
    reference = results.get("off", results["audit"])
    name = "events off" if "off" in results else "audit only"
    for key, figures in results.items():
        print(
            f"ratio to {name:<12} {key:<8} create x{figures['create'] / reference['create']:.2f}"
            f"   upload x{figures['upload'] / reference['upload']:.2f}"
        )
    print(json.dumps({k: {m: round(v, 2) for m, v in f.items()} for k, f in results.items()}))


if __name__ == "__main__":
    args = sys.argv[1:]
    base = None
    if "--baseline" in args:
        at = args.index("--baseline")
        base = Path(args[at + 1]).resolve()
        del args[at : at + 2]
    main(int(args[0]) if args else 50, base)
