"""Verified web-download (Vitrine's x_vitrine_expected_hash): a mismatch fails the task with
both hashes named, the image back to queued and no data kept; a match imports as usual."""

import hashlib

import pytest

from catalog.data import staging
from catalog.domain.imports import parse_import_request
from catalog.exceptions import BadRequest
from catalog.models import Image, ImageLocation, Task
from tests.conftest import assert_status
from tests.imports.conftest import PAYLOAD


def start(alice, uri, expected):
    image = alice.create_image(name="v", disk_format="raw", container_format="bare")
    method = {"name": "web-download", "uri": uri, "x_vitrine_expected_hash": expected}
    response = alice.post(f"/v2/images/{image['id']}/import", {"method": method})
    return image, response


def test_a_wrong_expected_hash_fails_and_keeps_nothing(
    alice, run_worker, file_server, open_loopback
):
    wrong = "0" * 64
    image, response = start(alice, f"{file_server}/image.raw", {"algo": "sha256", "value": wrong})
    assert_status(response, 202)
    run_worker()
    task = Task.objects.get(image_id=image["id"])
    actual = hashlib.sha256(PAYLOAD).hexdigest()
    assert task.status == "failure"
    assert wrong in task.message and actual in task.message
    row = Image.objects.get(pk=image["id"])
    assert row.status == "queued" and row.size is None and row.checksum is None
    assert not ImageLocation.objects.filter(image_id=image["id"]).exists()
    assert not staging.has_staged_data(image["id"])


@pytest.mark.parametrize("algo", ["md5", "sha256", "sha512"])
def test_a_matching_expected_hash_imports(alice, run_worker, file_server, open_loopback, algo):
    value = hashlib.new(algo, PAYLOAD).hexdigest().upper()  # any case
    image, response = start(alice, f"{file_server}/image.raw", {"algo": algo, "value": value})
    assert_status(response, 202)
    run_worker()
    assert Image.objects.get(pk=image["id"]).status == "active"


@pytest.mark.parametrize(
    "expected,message",
    [
        ({"algo": "sha1", "value": "00"}, "must be an object with 'algo' one of"),
        ("abc", "must be an object with 'algo' one of"),
        ({"algo": "sha256", "value": "xyz"}, "must be 64 hexadecimal digits for sha256"),
        ({"algo": "md5", "value": 5}, "must be 32 hexadecimal digits for md5"),
    ],
)
def test_malformed_expected_hashes_are_400(expected, message):
    body = {
        "method": {"name": "web-download", "uri": "http://x/", "x_vitrine_expected_hash": expected}
    }
    with pytest.raises(BadRequest, match=message):
        parse_import_request(body, ["web-download"])


def test_only_web_download_takes_an_expected_hash():
    body = {"method": {"name": "glance-direct", "x_vitrine_expected_hash": {}}}
    with pytest.raises(BadRequest, match="only accepted with the web-download method"):
        parse_import_request(body, ["glance-direct"])
