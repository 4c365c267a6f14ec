"""Header habits of the real OpenStack clients that the API must accept (found by tests/e2e)."""

import pytest

from tests.conftest import assert_status


@pytest.mark.parametrize("accept", ["", "application/octet-stream", "text/html"])
def test_any_accept_header_gets_json(alice, accept):
    response = assert_status(alice.get("/v2/images", headers={"Accept": accept}), 200)
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("accept", ["", "application/json"])
def test_data_upload_and_download_ignore_accept(alice, accept):
    image = alice.create_image(disk_format="raw", container_format="bare")
    upload = alice.put(
        f"/v2/images/{image['id']}/file",
        raw=b"data" * 1024,
        content_type="application/octet-stream",
        headers={"Accept": accept},
    )
    assert_status(upload, 204)
    download = alice.get(f"/v2/images/{image['id']}/file", headers={"Accept": accept})
    assert_status(download, 200)
    assert b"".join(download.streaming_content) == b"data" * 1024
