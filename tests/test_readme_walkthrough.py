"""The README runs as written: every shell block marked ``<!-- runnable -->`` is executed, in
order, in one shell, against a live server this test starts on a free port (instead of
`make run`, whose demo set-up it repeats: migrate, ensure_demo, load_metadefs).

The shell works in a scratch checkout (``manage.py`` and ``.venv`` linked to the real ones,
its own ``var/``), with ``PORT`` set to the server's port, so ``${PORT:-8000}`` in the README
finds it. Outside URLs are replaced by a local origin that serves a small file (and is
allowed by the import filter). The blocks must succeed (``set -e``) and no answer may be an
error envelope.
"""

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.livesrv import LiveServer, drop_live_database, live_database_env

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
BLOCK = re.compile(r"(?:<!--\s*(runnable|illustrative)\b[^>]*-->\n)?```sh\n(.*?)```", re.S)
OUTSIDE_URL = re.compile(r"https?://(?!127\.0\.0\.1[:/])[A-Za-z0-9.-]+(?::\d+)?")


def shell_blocks() -> list[tuple[str | None, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(README.read_text())]


def test_every_shell_block_is_marked():
    blocks = shell_blocks()
    unmarked = [code.splitlines()[0] for kind, code in blocks if kind is None]
    assert not unmarked, f"shell blocks without <!-- runnable|illustrative -->: {unmarked}"
    assert sum(kind == "runnable" for kind, _ in blocks) >= 8


def test_no_example_hard_codes_the_default_port():
    for kind, code in shell_blocks():
        if kind == "runnable":
            assert "127.0.0.1:8000" not in code, code


def test_examples_write_only_under_var():
    # The import example wrote cirros.img into the checkout's root, which git does not ignore.
    for kind, code in shell_blocks():
        if kind == "runnable":
            for line in code.splitlines():
                command = line.split("#", 1)[0]  # comments say "# -> 201" and the like
                for target in re.findall(r"(?:^|\s)>\s*([\w./$-]+)", command):
                    assert target.startswith(("var/", "/dev/")), line


def test_the_image_is_deleted_after_its_last_use():
    runnable = [code for kind, code in shell_blocks() if kind == "runnable"]
    uses = [i for i, code in enumerate(runnable) if "$IMAGE_ID" in code]
    deletes = [i for i, code in enumerate(runnable) if "DELETE $IMAGES/v2/images/$IMAGE_ID" in code]
    assert deletes == [uses[-1]], (uses, deletes)


def test_the_second_account_has_a_cloud_and_a_file_of_its_own():
    # Both clouds were named `vitrine`, and the exported OS_CLIENT_CONFIG_FILE hid the second.
    text = README.read_text()
    assert "  vitrine-alice:\n" in text
    assert (
        "OS_CLIENT_CONFIG_FILE=$PWD/var/alice-clouds.yaml .venv/bin/openstack --os-cloud "
        "vitrine-alice" in text
    )


def test_make_cli_installs_the_clients_the_readme_uses():
    # The CLI section shows `make cli` before the first `.venv/bin/openstack` (issue item 1).
    text = README.read_text()
    assert text.index("make cli") < text.index(".venv/bin/openstack")
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^cli: \$\(VENV\)/\.installed-cli$", makefile, re.M)
    assert "pip install --quiet -e '.[cli]'" in makefile
    pyproject = (ROOT / "pyproject.toml").read_text()
    cli = pyproject.split("\ncli = [", 1)[1].split("]", 1)[0]
    assert "python-openstackclient" in cli


@pytest.fixture
def origin(tmp_path):
    """A local web server standing in for the README's outside URLs."""
    served = tmp_path / "origin"
    served.mkdir()
    (served / "cirros.img").write_bytes(b"\0" * 65536)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.slow  # a live server and the openstack CLI: about 20 s
def test_the_walkthrough_runs_as_written(tmp_path, origin, request):
    if not (BIN / "openstack").exists() or not (BIN / "gunicorn").exists():
        pytest.skip("needs gunicorn and the openstack CLI in this environment (make install-test)")
    if shutil.which("curl") is None:
        pytest.skip("needs curl")
    origin_url, origin_port = origin
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "manage.py").symlink_to(ROOT / "manage.py")
    (checkout / ".venv").symlink_to(BIN.parent)
    database = live_database_env("readme")
    request.addfinalizer(lambda: drop_live_database(database))
    extra = {
        **database,
        "CATALOG_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
        "CATALOG_IMPORT_ALLOWED_PORTS": str(origin_port),
    }
    with LiveServer(checkout / "var", extra_env=extra) as server:
        server.manage("ensure_demo", "--url", server.url)
        server.manage("load_metadefs")
        script = ["set -euo pipefail"]
        for index, (kind, code) in enumerate(shell_blocks()):
            if kind == "runnable":
                script.append(f"echo '>>> block {index}'")
                script.append(OUTSIDE_URL.sub(origin_url, code))
        env = {
            **server.env,
            "PORT": str(server.port),
            "HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("OS_CLIENT_CONFIG_FILE", None)
        result = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    output = result.stdout
    assert result.returncode == 0, f"{output[-3000:]}\n{result.stderr[-3000:]}"
    assert '"error"' not in output, output[-3000:]
    # The upload and the deletion answered 204; the CLI created its image from the file.
    # alice's cloud (a file and a name of its own) was found: `set -e` stops on the CLI's
    # "cloud vitrine-alice was not found".
    assert output.count("204") >= 2
    assert "cirros-cli" in output
