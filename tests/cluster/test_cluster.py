"""Several nodes, one catalog: what one API node or worker does, every other sees, and a node
or worker killed mid-write loses nothing (tests/cluster/conftest.py builds the cluster)."""

import hashlib
import http.client
import json
import os
import threading
import time

import pytest

from tests.cluster.conftest import LEASE, MAX_LOGIN_FAILURES, SWEEP
from tests.imports.conftest import STALLED_PAYLOAD, StallingServer
from tests.livesrv import serve_bytes

MiB = 1024 * 1024


def call(node, method, path, body=None, token=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection(node.address, node.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if token:
            sent["X-Auth-Token"] = token
        if isinstance(body, dict | list):
            body = json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        response.data = response.read()
        return response
    finally:
        conn.close()


def expect(response, status):
    assert response.status == status, (response.status, response.data[:500])
    return json.loads(response.data) if response.data.startswith(b"{") else response.data


def wait_for(predicate, timeout=60, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(step)
    raise AssertionError("timed out")


@pytest.fixture
def owner(cluster):
    return cluster.accounts["owner"]["token"]


def new_image(node, token, **fields):
    body = {"disk_format": "raw", "container_format": "bare", **fields}
    return expect(call(node, "POST", "/v2/images", body, token), 201)["id"]


def put_data(node, token, image_id, data, store=None):
    headers = {"Content-Type": "application/octet-stream"}
    if store:
        headers["X-Image-Meta-Store"] = store
    return call(node, "PUT", f"/v2/images/{image_id}/file", data, token, headers)


def status_of(node, token, image_id):
    return expect(call(node, "GET", f"/v2/images/{image_id}", token=token), 200)["status"]


def test_an_upload_on_a_downloads_identical_on_b_on_both_stores(cluster, owner):
    for store, node_in, node_out in [("rgw", cluster.a, cluster.b), ("rbd", cluster.b, cluster.a)]:
        data = os.urandom(13 * MiB + 7)  # several multipart parts on RGW
        image_id = new_image(node_in, owner)
        expect(put_data(node_in, owner, image_id, data, store), 204)
        shown = expect(call(node_out, "GET", f"/v2/images/{image_id}", token=owner), 200)
        assert shown["status"] == "active" and shown["stores"] == store
        got = call(node_out, "GET", f"/v2/images/{image_id}/file", token=owner)
        assert got.status == 200
        assert hashlib.sha256(got.data).digest() == hashlib.sha256(data).digest()
        ranged = call(
            node_out, "GET", f"/v2/images/{image_id}/file", token=owner,
            headers={"Range": "bytes=5242870-5242889"},
        )  # fmt: skip
        assert (ranged.status, ranged.data) == (206, data[5242870:5242890])


def test_an_import_requested_on_b_is_done_by_a_worker(cluster, owner):
    data = os.urandom(2 * MiB)
    url, server = serve_bytes(data)
    try:
        image_id = new_image(cluster.b, owner)
        body = {"method": {"name": "web-download", "uri": url}}
        expect(call(cluster.b, "POST", f"/v2/images/{image_id}/import", body, owner), 202)
        wait_for(lambda: status_of(cluster.a, owner, image_id) == "active", timeout=60)
    finally:
        server.shutdown()
    got = call(cluster.a, "GET", f"/v2/images/{image_id}/file", token=owner)
    assert got.data == data


def test_a_member_added_on_a_is_seen_on_b_at_once(cluster, owner):
    member = cluster.accounts["member"]
    image_id = new_image(cluster.a, owner)
    assert call(cluster.b, "GET", f"/v2/images/{image_id}", token=member["token"]).status == 404
    body = {"member": member["project"]}
    expect(call(cluster.a, "POST", f"/v2/images/{image_id}/members", body, owner), 200)
    shown = expect(call(cluster.b, "GET", f"/v2/images/{image_id}", token=member["token"]), 200)
    assert shown["id"] == image_id


def password_login(node, password):
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "member", "domain": {"id": "default"}, "password": password}
                },
            },
            "scope": {"project": {"name": "cluster-member", "domain": {"id": "default"}}},
        }
    }
    return call(node, "POST", "/identity/v3/auth/tokens", body)


def test_a_token_from_one_node_works_on_the_other(cluster):
    answer = password_login(cluster.a, "pw-member")
    assert answer.status == 201, answer.data
    token = answer.getheader("X-Subject-Token")
    for node in (cluster.a, cluster.b):
        assert call(node, "GET", "/v2/images", token=token).status == 200
    assert call(cluster.b, "DELETE", "/identity/v3/auth/tokens", token=token,
                headers={"X-Subject-Token": token}).status == 204  # fmt: skip
    assert call(cluster.a, "GET", "/v2/images", token=token).status == 401  # revoked: everywhere


def test_a_login_session_works_on_both_nodes(cluster):
    conn = http.client.HTTPConnection(cluster.a.address, cluster.a.port, timeout=30)
    conn.request("GET", "/catalog/login/")
    page = conn.getresponse()
    page.read()
    cookies = dict(c.split(";")[0].split("=", 1) for c in page.headers.get_all("Set-Cookie") or [])
    csrf = cookies["csrftoken"]
    form = f"username=member&password=pw-member&csrfmiddlewaretoken={csrf}"
    conn.request(
        "POST", "/catalog/login/", body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Cookie": f"csrftoken={csrf}", "Referer": cluster.a.url + "/catalog/login/"},
    )  # fmt: skip
    logged = conn.getresponse()
    logged.read()
    conn.close()
    assert logged.status == 302, logged.status
    session = [c for c in logged.headers.get_all("Set-Cookie") if c.startswith("sessionid=")]
    cookie = session[0].split(";")[0]
    for node in (cluster.a, cluster.b):
        page = call(node, "GET", "/catalog/images/", headers={"Cookie": cookie})
        assert page.status == 200, (node.name, page.status)
        assert b"cluster-member" in page.data


def test_login_throttling_counts_across_nodes(cluster):
    for attempt in range(MAX_LOGIN_FAILURES):
        node = (cluster.a, cluster.b)[attempt % 2]
        assert password_login(node, "wrong").status == 401
    for node in (cluster.a, cluster.b):
        assert password_login(node, "pw-member").status == 429  # locked on every node
    cluster.shell(
        "from django.core.cache import cache; cache.clear()"
    )  # unlock for the other tests


def import_lease_holder(cluster, task_id):
    code = (
        "from catalog.models import Lease; "
        f"print(';'.join(Lease.objects.filter(task_id='{task_id}').values_list('holder', flat=True)))"
    )
    return cluster.shell(code)


def test_a_worker_killed_mid_import_loses_nothing(cluster, owner):
    server = StallingServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/image"
        image_id = new_image(cluster.a, owner)
        body = {"method": {"name": "web-download", "uri": url}}
        expect(call(cluster.a, "POST", f"/v2/images/{image_id}/import", body, owner), 202)
        assert server.first_bytes_sent.wait(30)
        holder = wait_for(lambda: import_lease_holder(cluster, image_id_task(cluster, image_id)))
        pid = int(holder.split(":")[1].split("/")[0])
        (victim,) = [w for w in cluster.workers if w.process and w.process.pid == pid]
        victim.kill()
        killed_at = time.monotonic()
        server.release.set()
        wait_for(lambda: status_of(cluster.b, owner, image_id) == "active", timeout=60)
        print(f"import finished {time.monotonic() - killed_at:.1f} s after the worker's SIGKILL")
        assert time.monotonic() - killed_at < LEASE + SWEEP + 20
    finally:
        server.release.set()
        server.shutdown()
    got = call(cluster.b, "GET", f"/v2/images/{image_id}/file", token=owner)
    assert hashlib.sha256(got.data).digest() == hashlib.sha256(STALLED_PAYLOAD).digest()
    victim.start_worker()  # back to two workers for what follows


def image_id_task(cluster, image_id):
    code = (
        "from catalog.models import Task; "
        f"print(Task.objects.filter(image_id='{image_id}').latest('created_at').pk)"
    )
    return cluster.shell(code)


def test_an_api_node_killed_mid_upload_loses_nothing(cluster, owner):
    image_id = new_image(cluster.a, owner)
    conn = http.client.HTTPConnection(cluster.a.address, cluster.a.port, timeout=60)
    conn.putrequest("PUT", f"/v2/images/{image_id}/file")
    for name, value in {
        "X-Auth-Token": owner,
        "Content-Type": "application/octet-stream",
        "Content-Length": str(64 * MiB),
    }.items():
        conn.putheader(name, value)
    conn.endheaders()
    for _ in range(12):
        conn.send(os.urandom(MiB))  # two multipart parts reach RGW
    wait_for(lambda: status_of(cluster.b, owner, image_id) == "saving")
    time.sleep(1)
    cluster.a.kill()
    killed_at = time.monotonic()
    conn.close()
    wait_for(lambda: status_of(cluster.b, owner, image_id) == "queued", timeout=60)
    print(f"upload recovered {time.monotonic() - killed_at:.1f} s after node A's SIGKILL")
    # Nothing left on RGW: no object, no multipart upload of the dead request.
    listing = cluster.shell(
        "from catalog.data import stores; s = stores.get_store('rgw'); "
        "print(len(s.client.list_multipart_uploads(Bucket=s.bucket).get('Uploads', [])), "
        f"any(k == '{image_id}' for k, _ in s.list_blobs()))"
    )
    assert listing == "0 False"
    data = os.urandom(6 * MiB)
    expect(put_data(cluster.b, owner, image_id, data), 204)  # the retry, on the other node
    cluster.a.start_api()
    got = call(cluster.a, "GET", f"/v2/images/{image_id}/file", token=owner)
    assert got.data == data


def test_each_node_caches_for_itself_and_any_node_lists_every_copy(cluster, owner):
    admin = cluster.accounts["admin"]["token"]
    data = os.urandom(3 * MiB)
    image_id = new_image(cluster.a, owner)
    expect(put_data(cluster.a, owner, image_id, data), 204)
    for _ in range(2):  # the first download fills node A's cache, the second is served from it
        got = call(cluster.a, "GET", f"/v2/images/{image_id}/file", token=owner)
        assert got.status == 200 and got.data == data
    copies = wait_for(
        lambda: json.loads(
            call(cluster.b, "GET", f"/v2/cache/nodes/{image_id}", token=admin).data or b"[]"
        )
    )
    assert copies == [cluster.a.url]  # recorded under A's address, listed by B
    listed = expect(call(cluster.b, "GET", "/v2/cache", token=admin), 200)
    assert image_id in [entry["image_id"] for entry in listed["cached_images"]]
    cached_on = {
        node.name: (node.workdir / "cache" / image_id).is_file() for node in (cluster.a, cluster.b)
    }
    assert cached_on == {"api-a": True, "api-b": False}
