import pytest

from tests.livesrv import LiveServer, gunicorn_available


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    """Vitrine under gunicorn (gthread worker) on a free loopback port."""
    if not gunicorn_available():
        pytest.skip("gunicorn is not installed in this environment (make install-test)")
    server = LiveServer(tmp_path_factory.mktemp("live"))
    with server:
        yield server
