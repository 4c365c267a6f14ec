"""image.send: once per download, with the bytes sent (a range's length), through the test
client and through a WSGI server's file wrapper (sendfile)."""

import io
from wsgiref.util import FileWrapper

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory

from catalog.models import AuditRecord
from tests.conftest import assert_status


@pytest.fixture
def image(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = alice.create_image(name="d", disk_format="raw", container_format="bare")
        put = alice.request(
            "put",
            f"/v2/images/{made['id']}/file",
            raw=b"w" * 4096,
            content_type="application/octet-stream",
        )
        assert_status(put, 204)
    return made["id"]


def sends():
    return list(
        AuditRecord.objects.filter(event_type="image.send")
        .order_by("id")
        .values_list("detail", "priority")
    )


def test_full_and_range_downloads(alice, image, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        whole = alice.get(f"/v2/images/{image}/file")
        assert len(b"".join(whole.streaming_content)) == 4096
        part = alice.client.get(
            f"/v2/images/{image}/file", headers={**alice._headers(None), "Range": "bytes=0-9"}
        )
        assert b"".join(part.streaming_content) == b"w" * 10
    assert sends() == [
        ({"bytes_sent": 4096, "expected": 4096}, "INFO"),
        ({"bytes_sent": 10, "expected": 10}, "INFO"),
    ]


def test_a_download_through_the_file_wrapper_is_reported_once(
    alice, image, django_capture_on_commit_callbacks
):
    environ = (
        RequestFactory().get(f"/v2/images/{image}/file", HTTP_X_AUTH_TOKEN=alice.token).environ
    )
    environ["wsgi.file_wrapper"] = FileWrapper
    environ["wsgi.input"] = io.BytesIO()
    # As Django's test client does: the test's connection must outlive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            body = WSGIHandler()(environ, lambda status, headers: None)
            assert isinstance(body, FileWrapper)  # handed to the server (sendfile in gunicorn)
            assert b"".join(body) == b"w" * 4096
            body.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert sends() == [({"bytes_sent": 4096, "expected": 4096}, "INFO")]
