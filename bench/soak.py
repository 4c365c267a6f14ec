"""Soak under chaos: clients work while processes are killed; afterwards nothing is stuck.

A live gunicorn and a `run_worker` (the bench is their supervisor: a killed worker is started
again at once; gunicorn's master respawns its own). N client threads create images, upload,
download and check them, patch, import by web-download and delete, while a chaos loop
SIGKILLs the gunicorn worker or the import worker every few seconds. Then the chaos stops,
the bench waits one lease timeout and a sweep, and checks the end state: every image is
`active` with the hashes of the data sent, `queued`, or deleted; no image is left in a writing
status; no blob is an orphan; the project's storage usage equals the stored sizes.

    .venv/bin/python bench/soak.py [--seconds 60] [--clients 4] [--kill-every 4]
                                   [--database-url postgres://.../empty_db]

Prints requests served, kills, recoveries and the longest time an image stayed stuck in a
writing status (saving, uploading, importing). Prints figures and the end state's verdict;
exits non-zero when the end state is wrong.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.livesrv import ROOT, LiveServer, serve_bytes  # noqa: E402

MiB = 1024 * 1024
LEASE, SWEEP = 3, 1
WRITING = {"saving", "uploading", "importing"}
JSON = {"Content-Type": "application/json"}


class Soak:
    def __init__(self, live: LiveServer, import_url: str, import_md5: str):
        self.live = live
        self.import_url, self.import_md5 = import_url, import_md5
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.sent: dict[str, set[str]] = {}  # image id -> md5s of data sent to it
        self.deleted: set[str] = set()
        self.worker: subprocess.Popen | None = None
        self.worker_log = open(live.workdir / "worker.log", "ab")
        self.stuck_since: dict[str, float] = {}
        self.longest_stuck = 0.0

    # --- Processes ------------------------------------------------------------------------

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
            cwd=ROOT,
            env=self.live.env,
            stdout=self.worker_log,
            stderr=subprocess.STDOUT,
        )

    def chaos(self, every: float) -> None:
        while not self.stop.wait(random.uniform(every / 2, every * 1.5)):
            if random.random() < 0.5:
                pid = self.live.worker_pid()
                if pid:
                    os.kill(pid, signal.SIGKILL)
                    self.count("kills of a gunicorn worker")
            else:
                self.worker.kill()
                self.worker.wait()
                self.start_worker()  # a supervisor's immediate restart
                self.count("kills of the import worker")

    # --- Clients --------------------------------------------------------------------------

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def call(self, method, path, body=None, headers=None):
        try:
            response = self.live.request(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            self.count("requests cut by a kill")
            return None
        self.count("requests served")
        return response

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        while not self.stop.is_set():
            response = self.call(
                "POST",
                "/v2/images",
                json.dumps({"disk_format": "raw", "container_format": "bare"}),
                JSON,
            )
            if response is None or response.status != 201:
                continue
            image_id = json.loads(response.data)["id"]
            with self.lock:
                self.sent[image_id] = set()
            if rng.random() < 0.25:
                body = json.dumps({"method": {"name": "web-download", "uri": self.import_url}})
                with self.lock:
                    self.sent[image_id].add(self.import_md5)
                self.call("POST", f"/v2/images/{image_id}/import", body, JSON)
            else:
                data = rng.randbytes(rng.randint(1, 8) * MiB)
                with self.lock:
                    self.sent[image_id].add(hashlib.md5(data).hexdigest())
                self.call(
                    "PUT",
                    f"/v2/images/{image_id}/file",
                    data,
                    {"Content-Type": "application/octet-stream"},
                )
                got = self.call("GET", f"/v2/images/{image_id}/file")
                if got is not None and got.status == 200:
                    ok = hashlib.md5(got.data).hexdigest() == hashlib.md5(data).hexdigest()
                    self.count("downloads checked" if ok else "DOWNLOADS WRONG")
            patch = json.dumps([{"op": "add", "path": "/soak", "value": str(seed)}])
            self.call(
                "PATCH",
                f"/v2/images/{image_id}",
                patch,
                {"Content-Type": "application/openstack-images-v2.1-json-patch"},
            )
            if rng.random() < 0.3:
                response = self.call("DELETE", f"/v2/images/{image_id}")
                if response is not None and response.status == 204:
                    with self.lock:
                        self.deleted.add(image_id)

    # --- Watching -------------------------------------------------------------------------

    def images(self) -> list[dict] | None:
        found, path = [], "/v2/images?limit=1000"
        while path:
            response = self.call("GET", path)
            if response is None or response.status != 200:
                return None
            page = json.loads(response.data)
            found += page["images"]
            path = page.get("next")
        return found

    def watch(self) -> None:
        while not self.stop.wait(0.5):
            self.observe()

    def observe(self) -> list[dict] | None:
        images = self.images()
        if images is None:
            return None
        now = time.monotonic()
        writing = {i["id"] for i in images if i["status"] in WRITING}
        with self.lock:
            for image_id in writing:
                self.stuck_since.setdefault(image_id, now)
            for image_id in list(self.stuck_since):
                if image_id not in writing:
                    since = self.stuck_since.pop(image_id)
                    self.longest_stuck = max(self.longest_stuck, now - since)
        return images

    # --- The end state --------------------------------------------------------------------

    def verdict(self) -> list[str]:
        problems = []
        images = self.observe() or []
        for image in images:
            status = image["status"]
            if status in WRITING:
                problems.append(f"{image['id']} still {status}")
            elif status == "active" and image["checksum"] not in self.sent.get(image["id"], ()):
                problems.append(f"{image['id']} active with data nobody sent")
        stored = {p.name: p.stat().st_size for p in (self.live.workdir / "images").iterdir()}
        active = {i["id"]: i["size"] for i in images if i["status"] == "active"}
        if set(stored) != set(active):
            problems.append(
                f"store holds {len(stored)} blobs for {len(active)} active images "
                f"(orphans: {sorted(set(stored) - set(active))[:3]}, "
                f"missing: {sorted(set(active) - set(stored))[:3]})"
            )
        usage = json.loads(self.live.request("GET", "/v2/info/usage").data)["usage"]
        used = usage["image_size_total"]["usage"]
        total = sum(active.values())
        if used not in (total, total // MiB, -(-total // MiB)):
            problems.append(f"usage {used} differs from the stored sizes ({total} bytes)")
        if usage["image_count_uploading"]["usage"] != 0:
            problems.append(f"uploading count {usage['image_count_uploading']['usage']}")
        self.counts["images at the end"] = len(images)
        self.counts["active at the end"] = len(active)
        return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--kill-every", type=float, default=4)
    parser.add_argument("--database-url", default="", help="an empty database (default: SQLite)")
    args = parser.parse_args()
    payload = os.urandom(4 * MiB)
    import_url, origin = serve_bytes(payload)
    workdir = Path(tempfile.mkdtemp(prefix="vitrine-soak-"))
    env = {
        "CATALOG_LEASE_TIMEOUT": str(LEASE),
        "CATALOG_RECOVERY_INTERVAL": str(SWEEP),
        "CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
        "CATALOG_IMPORT_ALLOWED_PORTS": "",
        "CATALOG_STAGING_DIR": str(workdir / "staging"),
        # Every client is one project: let its imports use every thread, so that the stuck
        # time measures recovery, not the per-project queue.
        "CATALOG_IMPORT_PER_PROJECT": "4",
        "LOG_LEVEL": "WARNING",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    live = LiveServer(workdir, threads=8, extra_env=env).start()
    soak = Soak(live, import_url, hashlib.md5(payload).hexdigest())
    soak.start_worker()
    threads = [threading.Thread(target=soak.client, args=(n,)) for n in range(args.clients)]
    threads += [threading.Thread(target=soak.chaos, args=(args.kill_every,))]
    threads += [threading.Thread(target=soak.watch)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        soak.stop.set()
        for thread in threads:
            thread.join()
        # Settle: every lease left by a kill expires and is swept; the last imports finish.
        soak.stop.clear()
        watcher = threading.Thread(target=soak.watch)
        watcher.start()
        deadline = time.monotonic() + LEASE + SWEEP + 30
        while time.monotonic() < deadline:
            images = soak.observe() or []
            if images and not any(i["status"] in WRITING for i in images):
                break
            time.sleep(0.5)
        soak.stop.set()
        watcher.join()
        problems = soak.verdict()
    finally:
        if soak.worker is not None:
            soak.worker.kill()
        live.stop()
        origin.shutdown()
    log = (workdir / "worker.log").read_text(errors="replace")
    soak.counts["recoveries (sweep)"] = log.count("Recovered a dead")
    print(f"{args.seconds:g} s, {args.clients} clients, a kill every ~{args.kill_every:g} s")
    for name, value in sorted(soak.counts.items()):
        print(f"  {name}: {value}")
    print(f"  longest time an image stayed in a writing status: {soak.longest_stuck:.1f} s")
    print(f"  (lease timeout {LEASE} s + sweep every {SWEEP} s)")
    print("end state: " + ("OK" if not problems else "WRONG"))
    for problem in problems:
        print("  " + problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
