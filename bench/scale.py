"""The catalog at scale: up to 1,000,000 images on PostgreSQL, served by one and by two API
nodes under 16 concurrent clients. Prints figures, asserts nothing.

    createdb vitrine_scale
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vitrine_scale \\
        .venv/bin/python bench/scale.py --images 10000 100000 1000000

Seeding: images of ten projects (each with three properties and two tags; a third of the
shared ones with an accepted member) are written with PostgreSQL's COPY, not through the
image service: a million records through the API would take hours. The rows are the same
the services write (every column from the models' own defaults). The database grows to each
size in turn and is kept: a later run reuses it.

Measuring, at each size: two gunicorn nodes (one gthread worker, four threads each) on
127.0.0.2 and 127.0.0.3; each case is run by 16 client threads first against node A alone,
then spread over both nodes. Cases: list the first and a deep page (marker 90% in) as an
admin and as a member, with and without filters; show; create; patch. For each: p50 and p95
latency, requests/s (total and per node), and the servers' CPU per request (from /proc: the
cost of a request whatever the machine's other load). On a machine of two shared cores, two
nodes cannot show 2x requests/s; CPU per request flat across node counts is what says that a
second node adds capacity rather than contention.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = 16
ADDRESSES = ("127.0.0.2", "127.0.0.3")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--requests", type=int, default=320, help="requests per case (320)")
    return parser.parse_args()


# --- Seeding -------------------------------------------------------------------------------


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CATALOG_IMAGE_PROPERTY_QUOTA", "-1")
    os.environ.setdefault("ALLOWED_HOSTS", ",".join(ADDRESSES))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/scale.py runs on PostgreSQL: set DATABASE_URL=postgres://...")
    import django

    django.setup()
    from django.conf import settings

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns without it


def accounts() -> tuple[dict, list[str]]:
    from catalog.choices import Role
    from catalog.identity import services as identity
    from catalog.identity.models import Project

    projects = [Project.objects.get_or_create(name=f"scale-{i}")[0] for i in range(10)]
    admin, _ = identity.ensure_user("scale-admin", "scale-pw")
    member, _ = identity.ensure_user("scale-member", "scale-pw")
    identity.assign_role(admin, projects[0], Role.ADMIN)
    identity.assign_role(member, projects[1], Role.MEMBER)
    tokens = {
        "admin": identity.issue_token(admin, projects[0], ttl=86400)[0],
        "member": identity.issue_token(member, projects[1], ttl=86400)[0],
    }
    return tokens, [p.id for p in projects]


def _copy(model, rows: list[dict]) -> None:
    """COPY ``rows`` (field name -> value) into ``model``'s table; other columns get the
    field's default, the auto-increment id its sequence."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.auto_created or not f.primary_key]
    fields = [f for f in fields if f.get_internal_type() not in ("AutoField", "BigAutoField")]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                values = {**defaults, **row}
                copy.write_row(
                    [
                        json.dumps(values[f.attname])
                        if f.get_internal_type() == "JSONField"
                        else values[f.attname]
                        for f in fields
                    ]
                )


def seed(target: int, projects: list[str]) -> None:
    from django.db import connection, transaction

    from catalog.models import Image, ImageMember, ImageProperty, ImageTag

    existing = Image.objects.count()
    if existing >= target:
        return
    started = time.perf_counter()
    base = datetime(2024, 1, 1, tzinfo=UTC)
    for start in range(existing, target, 20_000):
        images, props, tags, members = [], [], [], []
        for i in range(start, min(target, start + 20_000)):
            image_id = str(uuid.UUID(int=i + 1))
            when = base + timedelta(seconds=i)
            visibility = ("public", "public", "public", "shared", "private", "community")[i % 6]
            images.append(
                {
                    "id": image_id,
                    "name": f"image-{i:07d}",
                    "owner": projects[i % len(projects)],
                    "status": "active",
                    "visibility": visibility,
                    "disk_format": ("qcow2", "raw", "iso")[i % 3],
                    "container_format": "bare",
                    "min_ram": 512,
                    "size": 1024 * (i % 1000 + 1),
                    "created_at": when,
                    "updated_at": when,
                }
            )
            for name, value in (
                ("os_distro", ("ubuntu", "debian", "cirros")[i % 3]),
                ("os_version", str(20 + i % 5)),
                ("description", f"Scale image number {i}"),
            ):
                props.append({"image_id": image_id, "name": name, "value": value})
            for tag in (f"family-{i % 7}", "bench"):
                tags.append({"image_id": image_id, "value": tag})
            if visibility == "shared" and i % 3 == 0:
                members.append(
                    {
                        "image_id": image_id,
                        "member": projects[1],
                        "status": "accepted",
                        "created_at": when,
                        "updated_at": when,
                    }
                )
        with transaction.atomic():
            _copy(Image, images)
            _copy(ImageProperty, props)
            _copy(ImageTag, tags)
            _copy(ImageMember, members)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # autovacuum would, minutes later
    print(f"seeded {target - existing} images in {time.perf_counter() - started:.1f} s")


def deep_markers(count: int = 8) -> list[str]:
    from catalog.models import Image

    ids = Image.objects.filter(deleted=False, visibility="public").order_by("-created_at", "-id")
    offset = int(ids.count() * 0.9)
    return list(ids.values_list("id", flat=True)[offset : offset + count])


# --- Servers -------------------------------------------------------------------------------


def free_port(address: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


class Node:
    def __init__(self, address: str):
        self.address = address
        self.port = free_port(address)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
             "--bind", f"{address}:{self.port}", "--workers", "1", "--worker-class", "gthread",
             "--threads", "4", "--log-level", "warning"],
            cwd=ROOT, env=dict(os.environ),
        )  # fmt: skip
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection(address, self.port, timeout=1)
                conn.request("GET", "/healthcheck")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("gunicorn did not start")

    def cpu(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        pid = self.process.pid
        total = 0.0
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


# --- Load ----------------------------------------------------------------------------------


def run_case(nodes: list[Node], requests: list[tuple], total: int) -> dict:
    """``total`` requests from CLIENTS threads, client i on node i % len(nodes)."""
    latencies: list[float] = []
    per_node = [0] * len(nodes)
    failures = []
    lock = threading.Lock()
    counter = iter(range(total))

    def client(n: int):
        node_index = n % len(nodes)
        node = nodes[node_index]
        conn = http.client.HTTPConnection(node.address, node.port, timeout=120)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers, expect = requests[i % len(requests)]
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection(node.address, node.port, timeout=120)
                failures.append(path)
                continue
            elapsed = time.perf_counter() - started
            with lock:
                if response.status != expect:
                    failures.append(f"{method} {path}: {response.status}")
                    continue
                latencies.append(elapsed * 1000)
                per_node[node_index] += 1

    cpu_before = [node.cpu() for node in nodes]
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = sum(node.cpu() - before for node, before in zip(nodes, cpu_before, strict=True))
    if failures:
        print(f"  ({len(failures)} failed requests, e.g. {failures[0]})")
    done = max(1, len(latencies))
    return {
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else 0.0,
        "rps": done / wall,
        "rps_node": [count / wall for count in per_node],
        "cpu_ms": cpu * 1000 / done,
    }


def cases(tokens: dict, markers: list[str], sample_ids: list[str]) -> dict:
    def get(persona, path):
        return ("GET", path, None, {"X-Auth-Token": tokens[persona]}, 200)

    create_body = json.dumps(
        {"name": "scale-new", "disk_format": "raw", "container_format": "bare"}
    )
    patch_ops = json.dumps([{"op": "replace", "path": "/os_version", "value": "99"}])
    table = {}
    for persona in ("admin", "member"):
        table[f"{persona} list first page"] = [get(persona, "/v2/images?limit=25")]
        table[f"{persona} list deep page"] = [
            get(persona, f"/v2/images?limit=25&marker={m}") for m in markers
        ]
        table[f"{persona} list tag+os_distro"] = [
            get(persona, "/v2/images?limit=25&tag=bench&os_distro=ubuntu")
        ]
    table["admin show"] = [get("admin", f"/v2/images/{i}") for i in sample_ids]
    table["admin create"] = [
        ("POST", "/v2/images", create_body,
         {"X-Auth-Token": tokens["admin"], "Content-Type": "application/json"}, 201)
    ]  # fmt: skip
    table["admin patch"] = [
        ("PATCH", f"/v2/images/{i}", patch_ops,
         {"X-Auth-Token": tokens["admin"],
          "Content-Type": "application/openstack-images-v2.1-json-patch"}, 200)
        for i in sample_ids
    ]  # fmt: skip
    return table


def main():
    args = parse_args()
    setup_django()
    from django.core.management import call_command

    from catalog.models import Image

    call_command("migrate", verbosity=0)
    tokens, projects = accounts()
    summary = {}
    sizes = sorted(args.images)
    held = Image.objects.count()
    if held > sizes[0]:
        # The database only grows: a smaller catalog cannot be measured in it any more.
        print(f"the database holds {held} images: sizes below it are skipped")
        sizes = [size for size in sizes if size >= held] or [held]
    for size in sizes:
        seed(size, projects)
        markers = deep_markers()
        # Images of the admin's project (sample ids: show and patch as their owner).
        sample_ids = list(
            Image.objects.filter(owner=projects[0], deleted=False)
            .order_by("-created_at")
            .values_list("id", flat=True)[:50]
        )
        print(f"\n== {Image.objects.filter(deleted=False).count()} images, {CLIENTS} clients")
        print(
            f"{'case':<28} {'nodes':>5} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} "
            f"{'req/s per node':>16} {'cpu ms/req':>10}"
        )
        nodes = [Node(address) for address in ADDRESSES]
        try:
            for label, requests in cases(tokens, markers, sample_ids).items():
                for count in (1, 2):
                    figures = run_case(nodes[:count], requests, args.requests)
                    per_node = "/".join(f"{r:.0f}" for r in figures["rps_node"])
                    print(
                        f"{label:<28} {count:>5} {figures['p50']:8.1f} {figures['p95']:8.1f} "
                        f"{figures['rps']:7.1f} {per_node:>16} {figures['cpu_ms']:10.2f}"
                    )
                    summary[(size, label, count)] = figures
        finally:
            for node in nodes:
                node.stop()
        Image.objects.filter(name="scale-new").delete()  # what the create case made
    print_summary(summary, sizes)


def print_summary(summary: dict, sizes: list[int]) -> None:
    smallest = sizes[0]
    print("\n== side by side (two nodes): p50 ms, and as a multiple of the smallest catalog")
    labels = sorted({label for _, label, _ in summary})
    print(f"{'case':<28}" + "".join(f"{size:>16}" for size in sizes))
    for label in labels:
        base = summary[(smallest, label, 2)]["p50"]
        cells = [
            f"{summary[(s, label, 2)]['p50']:7.1f} (x{summary[(s, label, 2)]['p50'] / base:4.2f})"
            for s in sizes
        ]
        print(f"{label:<28}" + "".join(f"{cell:>16}" for cell in cells))
    print("\n== side by side (two nodes): server CPU ms per request (steadier on a busy machine)")
    print(f"{'case':<28}" + "".join(f"{size:>16}" for size in sizes))
    for label in labels:
        base = summary[(smallest, label, 2)]["cpu_ms"]
        cells = [
            f"{summary[(s, label, 2)]['cpu_ms']:7.2f} (x{summary[(s, label, 2)]['cpu_ms'] / base:4.2f})"
            for s in sizes
        ]
        print(f"{label:<28}" + "".join(f"{cell:>16}" for cell in cells))
    print("\n== two nodes against one: req/s ratio, CPU per request ratio")
    for size in sizes:
        for label in labels:
            one, two = summary[(size, label, 1)], summary[(size, label, 2)]
            print(
                f"{size:>8} {label:<28} req/s x{two['rps'] / one['rps']:4.2f}   "
                f"cpu/req x{two['cpu_ms'] / max(one['cpu_ms'], 1e-9):4.2f}"
            )


if __name__ == "__main__":
    main()
