import pytest
from django.test import Client

from catalog.identity import services as identity


def session_for(persona) -> Client:
    """A browser session of a persona of tests/conftest.py (logged in, acting in its project)."""
    client = Client()
    client.force_login(identity.ensure_user(persona.name)[0])
    client.persona = persona
    return client


@pytest.fixture
def alice_web(alice):
    return session_for(alice)


@pytest.fixture
def bob_web(bob):
    return session_for(bob)


@pytest.fixture
def carol_web(carol):
    return session_for(carol)


@pytest.fixture
def admin_web(admin):
    return session_for(admin)


def give_data(persona, image_id: str, size: int = 512) -> None:
    """Upload ``size`` zero bytes through the API, making the image active."""
    from tests.conftest import assert_status

    response = persona.put(
        f"/v2/images/{image_id}/file", raw=b"\0" * size, content_type="application/octet-stream"
    )
    assert_status(response, 204)
