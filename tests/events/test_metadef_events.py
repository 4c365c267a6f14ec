"""Metadef changes emit Glance's metadef_* events (payload keys as the reference samples)."""

import json
from pathlib import Path

import pytest

from catalog.models import AuditRecord, OutboxMessage
from tests.conftest import assert_status

SAMPLES = json.loads((Path(__file__).parent / "samples.json").read_text())
NS = "/v2/metadefs/namespaces"


@pytest.fixture
def commits(django_capture_on_commit_callbacks, settings):
    settings.CATALOG_NOTIFICATIONS_URL = "rabbit://guest:guest@127.0.0.1:1/"  # outbox only

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def test_metadef_flow_matches_glance_events(admin, commits):
    body = {
        "namespace": "ev-ns",
        "properties": {"p1": {"type": "integer", "title": "P1", "minimum": 0}},
        "objects": [{"name": "o1", "properties": {"x": {"type": "string", "title": "X"}}}],
        "tags": [{"name": "t1"}],
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "ev_"}],
    }
    assert_status(commits(admin.post, NS, body), 201)
    renamed = {"namespace": "ev-ns2", "visibility": "private"}
    assert_status(commits(admin.put, f"{NS}/ev-ns", renamed), 200)
    assert_status(
        commits(
            admin.put, f"{NS}/ev-ns2/properties/p1", {"name": "p2", "type": "integer", "title": "P"}
        ),
        200,
    )
    assert_status(commits(admin.put, f"{NS}/ev-ns2/tags/t1", {"name": "t2"}), 200)
    assert_status(commits(admin.delete, f"{NS}/ev-ns2/objects/o1"), 204)
    assert_status(commits(admin.delete, f"{NS}/ev-ns2/resource_types/OS::Glance::Image"), 204)
    assert_status(commits(admin.delete, f"{NS}/ev-ns2/tags"), 204)
    assert_status(commits(admin.delete, f"{NS}/ev-ns2"), 204)
    types = list(AuditRecord.objects.order_by("id").values_list("event_type", flat=True))
    assert types == [
        "metadef_namespace.create",
        "metadef_resource_type.create",
        "metadef_object.create",
        "metadef_tag.create",
        "metadef_property.create",
        "metadef_namespace.update",
        "metadef_property.update",
        "metadef_tag.update",
        "metadef_object.delete",
        "metadef_resource_type.delete",
        "metadef_namespace.delete_tags",
        "metadef_namespace.delete",
    ]
    for message in OutboxMessage.objects.all():
        envelope = json.loads(json.loads(message.body)["oslo.message"])
        sample = SAMPLES[envelope["event_type"]]
        assert sorted(envelope["payload"]) == sorted(sample["payload_keys"]), envelope["event_type"]
        if envelope["event_type"] == "metadef_namespace.update":
            assert (envelope["payload"]["namespace"], envelope["payload"]["namespace_old"]) == (
                "ev-ns2",
                "ev-ns",
            )
        if envelope["event_type"] == "metadef_property.create":
            assert envelope["payload"]["minimum"] == 0  # Glance reports null (W28)
        if envelope["event_type"].endswith(".delete"):
            assert envelope["payload"]["deleted"] is True
