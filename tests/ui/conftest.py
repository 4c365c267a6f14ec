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
