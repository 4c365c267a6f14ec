"""Schemathesis against a live gunicorn: the published OpenAPI document describes the wire.

Every operation of ``/api/schema/`` gets a fixed budget of generated requests
(``SCHEMATHESIS_EXAMPLES`` per operation, mode and persona), with positive and negative data,
as an admin and as a member. The run fails on any 5xx, any response that does not match its
documented schema or content type, and any undocumented status code. It prints its request
count.

Two facts of the wire are taught to the run rather than changed on either side (the published
component schemas keep their shapes, tests/api/test_openapi.py compares them; the wire is Glance's):

- the ``self``, ``file``, ``schema``, ``first`` and ``next`` links are relative references, as
  Glance sends them, while the components type them ``format: uri``: the run checks ``uri`` as a
  URI reference (absolute or relative), which is what the server sends;
- ``"disk_format": null`` (and ``container_format``) is accepted on create, as Glance
  accepts it, while the ``ImageCreate`` component does not say nullable: the run generates it
  as allowed.
"""

import copy
import json
import os
import urllib.request
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PATCH20, PATCH21
from tests.livesrv import LiveServer, gunicorn_available

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Glance's JSON Patch media types are JSON documents.
schemathesis.serializer.alias([PATCH20, PATCH21], "application/json")


def taught(document: dict) -> dict:
    """The run's copy of the published document, with the two facts of the module docstring."""
    document = copy.deepcopy(document)

    def relax(node):
        if isinstance(node, dict):
            if node.get("format") == "uri":
                node["format"] = "uri-reference"
            for value in node.values():
                relax(value)
        elif isinstance(node, list):
            for value in node:
                relax(value)

    relax(document)
    create = document["components"]["schemas"]["ImageCreate"]["properties"]
    for name in ("disk_format", "container_format"):
        create[name]["nullable"] = True
    return document


@pytest.fixture(scope="module")
def server_database():
    """On PostgreSQL (CI's marked groups), the live server gets a fresh database of its own
    beside the suite's; on SQLite, LiveServer's own file."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        yield {}
        return
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_fuzz_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def live(tmp_path_factory, server_database):
    if not gunicorn_available():
        pytest.skip("gunicorn is not installed in this environment (make install-test)")
    server = LiveServer(tmp_path_factory.mktemp("schemathesis"), extra_env=server_database)
    with server:
        server.add_people(
            [
                ("fuzz-admin", "pw-fuzz-admin", "fuzz-admin", "admin"),
                ("fuzz-member", "pw-fuzz-member", "fuzz", "member"),
            ]
        )
        yield server


def published_document(server) -> dict:
    request = urllib.request.Request(
        f"{server.url}/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def run_operation(operation, mode, base_url: str, token: str, failures: list) -> int:
    """``EXAMPLES`` generated requests to one operation; their failures go to ``failures``."""
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case):
        nonlocal sent
        headers = {"X-Auth-Token": token}
        response = case.call(base_url=base_url, headers=headers, timeout=60)
        sent += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as found:
            each = found.exceptions if isinstance(found, FailureGroup) else [found]
            text = "\n".join(str(failure)[:1500] for failure in each)
            failures.append(f"{case.as_curl_command()}\n{text}")

    try:
        exercise()
    except Unsatisfiable:
        assert mode is schemathesis.GenerationMode.NEGATIVE  # nothing to get wrong: no input
    return sent


@pytest.mark.parametrize("persona", ["fuzz-admin", "fuzz-member"])
def test_the_wire_matches_the_published_document(live, persona, capsys):
    project = "fuzz-admin" if persona == "fuzz-admin" else "fuzz"
    token = live.password_token(persona, f"pw-{persona}", project)
    schema = schemathesis.openapi.from_dict(taught(published_document(live)))
    failures: list[str] = []
    sent = 0
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            sent += run_operation(operation, mode, live.url, token, failures)
    with capsys.disabled():
        print(
            f"\nschemathesis as {persona}: {sent} requests to {operations} operations "
            f"({EXAMPLES} per operation and mode), {len(failures)} failures"
        )
    assert operations >= 30 and sent >= operations * EXAMPLES
    assert not failures, "\n\n".join(failures[:20])
