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

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import livesrv  # noqa: E402
from tests.livesrv import LiveServer  # noqa: E402

PAYLOAD = b"e" * (1024 * 1024)


def one_round(server: LiveServer, n: int) -> tuple[float, float]:
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
    return (created - start) * 1000, (time.perf_counter() - created) * 1000


def add_webhook(server: LiveServer) -> None:
    # A catalog-wide subscription (no worker runs, so nothing is sent): one delivery row per
    # event. Made in the shell, as the URL rules would refuse a name that does not resolve.
    server.manage(
        "shell",
        "-c",
        "from catalog.models import WebhookSubscription as W; "
        "W.objects.create(url='https://hooks.example.invalid/x', secret='s')",
    )


def start(env: dict, root: Path | None = None, hook=False) -> LiveServer:
    saved = livesrv.ROOT
    if root is not None:
        livesrv.ROOT = root  # the baseline checkout's manage.py and code
    try:
        server = LiveServer(Path(tempfile.mkdtemp(prefix="vitrine-bench-events-")), extra_env=env)
        server.start()
        if hook:
            add_webhook(server)
    finally:
        livesrv.ROOT = saved
    return server


def main(calls: int, baseline: Path | None) -> None:
    rabbit = {"CATALOG_NOTIFICATIONS_URL": "rabbit://guest:guest@127.0.0.1:5672/"}
    setups = {}
    if baseline is not None:
        setups["events off (baseline checkout)"] = ({}, baseline, False)
    setups["audit trail only"] = ({}, None, False)
    setups["audit + notifications (outbox)"] = (rabbit, None, False)
    setups["audit + notifications + webhook"] = (rabbit, None, True)
    servers = {}
    try:
        for label, (env, root, hook) in setups.items():
            servers[label] = start(env, root, hook)
        samples = {label: ([], []) for label in servers}
        # Rounds alternate between the servers, so that load from elsewhere on the machine
        # weighs on every configuration alike.
        for n in range(calls + 1):
            for label, server in servers.items():
                create, upload = one_round(server, n)
                if n:  # the first round warms up
                    samples[label][0].append(create)
                    samples[label][1].append(upload)
    finally:
        for server in servers.values():
            server.stop()
    medians = {
        label: (statistics.median(c), statistics.median(u)) for label, (c, u) in samples.items()
    }
    reference_label = next(iter(medians))
    ref_create, ref_upload = medians[reference_label]
    print(f"{calls} rounds; ratios against: {reference_label}")
    for label, (create, upload) in medians.items():
        print(
            f"{label:<36} create {create:7.2f} ms (x{create / ref_create:.2f})   "
            f"1 MiB upload {upload:7.2f} ms (x{upload / ref_upload:.2f})"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    base = None
    if "--baseline" in args:
        at = args.index("--baseline")
        base = Path(args[at + 1]).resolve()
        del args[at : at + 2]
    main(int(args[0]) if args else 50, base)
