"""Benchmark of ``GET /v2/images`` and ``POST /v2/images`` through a real gunicorn server.
Prints figures, asserts nothing.

    .venv/bin/python bench/list.py                 # 10,000 images in var/bench/list-10000.sqlite3
    .venv/bin/python bench/list.py --images 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vitrine_bench .venv/bin/python bench/list.py

The catalog is created once per database through the image service (later runs reuse it):
images of ten projects, mostly public, each with two tags and three custom properties. The
server runs one gthread worker with one thread, so that its CPU time (read from /proc) is the
cost of the requests measured. For each case the bench prints the median and p95 wall-clock
latency seen by the client, and the server CPU per request and per listed image; then the
median and the CPU per request again as multiples of the same figures for a trivial request
to the same server in the same run (``GET /versions``: no token, no database), which is what
this machine does for a request that does no work. The create case posts a small image record
(the body of a catalog image) and deletes what it created afterwards.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10_000, help="catalog size (10000)")
    parser.add_argument("--big", action="store_true", help="shorthand for --images 100000")
    parser.add_argument("--repeat", type=int, default=30, help="requests per case (30)")
    return parser.parse_args()


def configure_database(images: int) -> None:
    if not os.environ.get("DATABASE_URL"):
        path = ROOT / "var" / "bench" / f"list-{images}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CATALOG_IMAGE_PROPERTY_QUOTA", "-1")


def build_catalog(images: int):
    """Migrate, create the callers, and fill the catalog up to ``images`` images."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from catalog.choices import Role
    from catalog.context import RequestContext, expand_roles
    from catalog.identity import services as identity
    from catalog.identity.models import Project
    from catalog.models import Image
    from catalog.services.images import create_image

    call_command("migrate", verbosity=0)
    projects = [Project.objects.get_or_create(name=f"bench-{i}")[0] for i in range(10)]
    admin_user, _ = identity.ensure_user("bench-admin", "bench-pw")
    member_user, _ = identity.ensure_user("bench-member", "bench-pw")
    identity.assign_role(admin_user, projects[0], Role.ADMIN)
    identity.assign_role(member_user, projects[1], Role.MEMBER)
    tokens = {
        "admin": identity.issue_token(admin_user, projects[0])[0],
        "member": identity.issue_token(member_user, projects[1])[0],
    }
    existing = Image.objects.filter(deleted=False).count()
    if existing < images:
        started = time.perf_counter()
        admin_ctx = RequestContext("bench", projects[0].id, expand_roles(["admin"]))
        for start in range(existing, images, 1000):
            with transaction.atomic():
                for i in range(start, min(images, start + 1000)):
                    create_image(admin_ctx, image_body(i, projects[i % len(projects)].id))
        print(f"created {images - existing} images in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            # Autovacuum analyzes a bulk load within minutes; the bench does not wait for it.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    return tokens


def image_body(i: int, owner: str) -> dict:
    return {
        "name": f"image-{i:06d}",
        "owner": owner,
        "visibility": ("public", "public", "public", "shared", "private", "community")[i % 6],
        "disk_format": ("qcow2", "raw", "iso")[i % 3],
        "container_format": "bare",
        "min_ram": 512,
        "tags": [f"family-{i % 7}", "bench"],
        "os_distro": ("ubuntu", "debian", "cirros")[i % 3],
        "os_version": str(20 + i % 5),
        "description": f"Benchmark image number {i}",
    }


def deep_markers(token_count: int = 3) -> list[str]:
    """Ids about 90% into the default order (created_at desc, id desc)."""
    from catalog.models import Image

    # Public ones, so that every caller may use them.
    ids = Image.objects.filter(deleted=False, visibility="public").order_by("-created_at", "-id")
    total = ids.count()
    offset = max(0, int(total * 0.9) - 500)
    return list(ids.values_list("id", flat=True)[offset : offset + token_count])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    command = [
        # The gunicorn of the Python running the bench (a worktree may share another's venv).
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        "1",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("gunicorn did not start")


def worker_cpu(master_pid: int) -> float:
    """CPU seconds (user + system) used so far by the server's worker processes."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Client:
    def __init__(self, port: int, token: str | None):
        self.port, self.token = port, token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body=None, expect=200) -> tuple[float, bytes]:
        headers = {"X-Auth-Token": self.token} if self.token else {}
        if body is not None:
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        if response.status != expect:
            raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
        return time.perf_counter() - started, data

    def get(self, path: str) -> tuple[float, bytes]:
        return self.request("GET", path)


class Baseline:
    """The median and CPU per request of the trivial request; figures are shown against it."""

    median = cpu = 0.0

    @classmethod
    def ratios(cls, median: float, cpu: float) -> str:
        if not cls.median or not cls.cpu:
            return ""
        return f"   x{median / cls.median:6.1f} x{cpu / cls.cpu:6.1f}"


def report(label: str, latencies: list[float], cpu: float, repeat: int, listed: int) -> tuple:
    median = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    per_request = cpu * 1000 / repeat
    per_image = f"{cpu * 1000 / listed:7.3f}" if listed else "      -"
    print(
        f"{label:<34} {median:8.1f} {p95:8.1f} {per_request:9.2f} {per_image} "
        f"{listed // repeat:7d}{Baseline.ratios(median, per_request)}"
    )
    return median, per_request


def measure(client: Client, master_pid: int, label: str, paths: list[str], repeat: int):
    client.get(paths[0])  # warm up
    latencies, listed = [], 0
    cpu_before = worker_cpu(master_pid)
    for i in range(repeat):
        elapsed, body = client.get(paths[i % len(paths)])
        latencies.append(elapsed * 1000)
        listed += body.count(b'"schema": "/v2/schemas/image"')
    cpu = worker_cpu(master_pid) - cpu_before
    return report(label, latencies, cpu, repeat, listed)


def measure_create(client: Client, master_pid: int, repeat: int) -> None:
    """``POST /v2/images`` with a catalog image's body; the images made are deleted after."""
    created = [json.loads(client.request("POST", "/v2/images", bench_body(-1), 201)[1])["id"]]
    latencies = []
    cpu_before = worker_cpu(master_pid)
    for i in range(repeat):
        elapsed, body = client.request("POST", "/v2/images", bench_body(i), 201)
        latencies.append(elapsed * 1000)
        created.append(json.loads(body)["id"])
    cpu = worker_cpu(master_pid) - cpu_before
    report("admin create (POST /v2/images)", latencies, cpu, repeat, 0)
    for image_id in created:
        client.request("DELETE", f"/v2/images/{image_id}", expect=204)


def bench_body(i: int) -> dict:
    body = image_body(i, owner="")
    del body["owner"]  # the caller's project
    body["name"] = f"bench-create-{i}"
    return body


def main():
    args = parse_args()
    images = 100_000 if args.big else args.images
    configure_database(images)
    tokens = build_catalog(images)
    markers = deep_markers()
    from django.conf import settings

    print(
        f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[1]}, "
        f"{images} images, {args.repeat} requests per case, 1 gunicorn gthread worker"
    )
    port = free_port()
    server = start_server(port)
    try:
        print(
            f"{'case':<34} {'median':>8} {'p95':>8} {'cpu/req':>9} {'cpu/img':>7} {'images':>7}"
            f"   {'median':>7} {'cpu/req':>7}"
        )
        print(
            f"{'':<34} {'ms':>8} {'ms':>8} {'ms':>9} {'ms':>7} {'':>7}   {'x trivial request':>15}"
        )
        Baseline.median, Baseline.cpu = measure(
            Client(port, None),
            server.pid,
            "trivial request (GET /versions)",
            ["/versions"],
            # Many more: its CPU time is a few clock ticks (10 ms) otherwise.
            args.repeat * 20,
        )
        for persona in ("admin", "member"):
            client = Client(port, tokens[persona])
            for limit in (25, 1000):
                measure(
                    client,
                    server.pid,
                    f"{persona} limit={limit} first page",
                    [f"/v2/images?limit={limit}"],
                    args.repeat,
                )
                deep = [f"/v2/images?limit={limit}&marker={m}" for m in markers]
                measure(
                    client, server.pid, f"{persona} limit={limit} deep marker", deep, args.repeat
                )
            measure(
                client,
                server.pid,
                f"{persona} limit=1000 sort=name:asc",
                ["/v2/images?limit=1000&sort=name:asc"],
                args.repeat,
            )
            measure(
                client,
                server.pid,
                f"{persona} limit=1000 tag+os_distro",
                ["/v2/images?limit=1000&tag=bench&os_distro=ubuntu"],
                args.repeat,
            )
        measure_create(Client(port, tokens["admin"]), server.pid, args.repeat)
        print("target: well under 0.16 ms of server CPU per listed image (Glance: about 0.8 ms)")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
