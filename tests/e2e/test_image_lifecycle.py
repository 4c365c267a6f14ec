"""Image data, tags, deactivation and sharing through each real client, in both identity
modes; every effect is checked over plain HTTP."""

import hashlib
import os
import uuid

MiB = 1024 * 1024


def new_image(deployment, name: str, **fields) -> str:
    body = {"name": name, "disk_format": "raw", "container_format": "bare", **fields}
    status, image = deployment.http("POST", "/v2/images", deployment.token("alice"), body)
    assert status == 201, image
    return image["id"]


def active_image(deployment, name: str, data: bytes) -> str:
    image_id = new_image(deployment, name)
    status, body = deployment.http(
        "PUT", f"/v2/images/{image_id}/file", deployment.token("alice"), data=data
    )
    assert status == 204, body
    return image_id


def stored(deployment, image_id: str, as_user: str = "alice") -> dict:
    status, image = deployment.http("GET", f"/v2/images/{image_id}", deployment.token(as_user))
    assert status == 200, image
    return image


def test_upload_a_file_and_download_it_back(deployment, alice, tmp_path):
    data = os.urandom(3 * MiB + 123)  # several chunks, not a whole number of them
    source = tmp_path / "disk.raw"
    source.write_bytes(data)
    image = alice.create("uploaded", file=source, disk_format="raw", container_format="bare")

    record = stored(deployment, image["id"])
    assert record["status"] == "active" and record["size"] == len(data)
    assert record["checksum"] == hashlib.md5(data).hexdigest()
    assert record["os_hash_value"] == hashlib.sha512(data).hexdigest()

    copy = tmp_path / "copy.raw"
    alice.download(image["id"], copy)
    assert hashlib.sha512(copy.read_bytes()).hexdigest() == record["os_hash_value"]


def test_download_verifies_what_was_uploaded_over_http(deployment, alice, tmp_path):
    data = os.urandom(MiB + 7)
    image_id = active_image(deployment, "downloaded", data)
    copy = tmp_path / "copy.raw"
    alice.download(image_id, copy)
    assert copy.read_bytes() == data


def test_add_and_remove_a_tag(deployment, alice):
    image_id = new_image(deployment, "tagged", tags=["kept"])
    alice.add_tag(image_id, "e2e-tag")
    assert sorted(stored(deployment, image_id)["tags"]) == ["e2e-tag", "kept"]
    alice.remove_tag(image_id, "e2e-tag")
    assert stored(deployment, image_id)["tags"] == ["kept"]


def test_set_and_unset_properties(deployment, alice):
    image_id = new_image(deployment, "with-properties")
    alice.set_properties(image_id, {"os_distro": "cirros", "e2e_note": "temporary"})
    record = stored(deployment, image_id)
    assert (record["os_distro"], record["e2e_note"]) == ("cirros", "temporary")
    alice.unset_property(image_id, "e2e_note")
    record = stored(deployment, image_id)
    assert "e2e_note" not in record and record["os_distro"] == "cirros"


def test_list_with_filters(deployment, alice):
    marker = uuid.uuid4().hex[:8]
    tagged = new_image(deployment, f"filtered-{marker}", tags=[f"tag-{marker}"])
    other = new_image(deployment, f"other-{marker}")
    assert [i["id"] for i in alice.list(name=f"other-{marker}")] == [other]
    assert [i["id"] for i in alice.list(tag=f"tag-{marker}")] == [tagged]


def test_deactivate_and_reactivate(deployment, alice):
    image_id = active_image(deployment, "deactivated", b"x" * 4096)
    alice.deactivate(image_id)
    assert stored(deployment, image_id)["status"] == "deactivated"
    status, _ = deployment.http("GET", f"/v2/images/{image_id}/file", deployment.token("bob"))
    assert status == 404  # not bob's, and nobody downloads a deactivated image
    alice.reactivate(image_id)
    assert stored(deployment, image_id)["status"] == "active"


def test_share_with_another_project_and_accept(deployment, alice, bob):
    image_id = new_image(deployment, "shared", visibility="shared")
    project_b = deployment.project_id("project-b")
    alice.add_member(image_id, project_b)
    status, member = deployment.http(
        "GET", f"/v2/images/{image_id}/members/{project_b}", deployment.token("alice")
    )
    assert status == 200 and member["status"] == "pending"

    bob.accept(image_id)
    status, member = deployment.http(
        "GET", f"/v2/images/{image_id}/members/{project_b}", deployment.token("alice")
    )
    assert member["status"] == "accepted"
    status, listing = deployment.http("GET", "/v2/images", deployment.token("bob"))
    assert image_id in {image["id"] for image in listing["images"]}
