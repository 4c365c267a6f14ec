"""deploy/: the sample environment of a three-node cluster is a configuration the settings
accept, and `manage.py check --deploy` finds nothing node-local in it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def sample_env() -> dict:
    env = {}
    for line in (DEPLOY / "vitrine.env.sample").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value
    return env


def test_the_sample_cluster_environment_passes_the_cluster_checks(tmp_path):
    env = {**sample_env(), "CATALOG_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    env["CATALOG_HEALTHCHECK_DISABLE_FILE"] = str(tmp_path / "drain")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for node_local in ("catalog.W040", "catalog.W041", "catalog.W042", "catalog.W043"):
        assert node_local not in output, output
    assert "catalog.W004" not in output  # not SQLite


def test_the_units_run_the_commands_that_exist():
    api = (DEPLOY / "vitrine-api.service").read_text()
    assert "gunicorn config.wsgi:application" in api and "${VITRINE_BIND}" in api
    assert "VITRINE_BIND=" in (DEPLOY / "vitrine.env.sample").read_text()
    assert "manage.py run_worker" in (DEPLOY / "vitrine-worker@.service").read_text()
    assert "manage.py recover" in (DEPLOY / "vitrine-recover.service").read_text()
    nginx = (DEPLOY / "vitrine.nginx").read_text()
    for directive in (
        "proxy_request_buffering off",
        "proxy_buffering off",
        "client_max_body_size 0",
    ):
        assert directive in nginx
