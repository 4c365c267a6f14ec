"""config/settings.py reads the environment and creates nothing; `manage.py ensure_var` (run by
`make run`) makes var/ and the secret key, and the checks say so when it has not run."""

import json
import os
import subprocess
import sys

import pytest

from tests.livesrv import ROOT

SHOW = (
    "import json, config.settings as s; print(json.dumps({'key': s.SECRET_KEY, "
    "'generated': s.SECRET_KEY_GENERATED, 'var': str(s.VAR_DIR)}))"
)


def run(args, tmp_path, checkout=ROOT, **env):
    """A Python process in an empty working directory, importing ``checkout``'s code, with only
    ``env`` among the settings (and no __pycache__ written)."""
    clean = {k: v for k, v in os.environ.items() if k.startswith(("PATH", "HOME", "LANG"))}
    return subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env={
            **clean,
            "PYTHONPATH": str(checkout),
            "PYTHONDONTWRITEBYTECODE": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **env,
        },
        capture_output=True,
        text=True,
    )


def settings_of(tmp_path, checkout=ROOT, **env) -> dict:
    result = run(["-c", SHOW], tmp_path, checkout, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def manage(tmp_path, *args, **env):
    return run([str(ROOT / "manage.py"), *args], tmp_path, **env)


@pytest.fixture
def workdir(tmp_path):
    """An empty working directory whose var/ does not exist yet."""
    return tmp_path, {"CATALOG_VAR_DIR": str(tmp_path / "var")}


def test_importing_settings_creates_nothing(tmp_path):
    # A copy of config/ in an empty checkout: BASE_DIR is tmp_path, var/ is its default.
    (tmp_path / "config").mkdir()
    for name in ("__init__.py", "settings.py"):
        (tmp_path / "config" / name).write_text((ROOT / "config" / name).read_text())
    before = sorted(tmp_path.rglob("*"))
    shown = settings_of(tmp_path, checkout=tmp_path)
    assert shown["var"] == str(tmp_path / "var")
    assert (shown["key"], shown["generated"]) == ("", False)
    assert sorted(tmp_path.rglob("*")) == before  # neither var/, nor a key, nor static files


def test_ensure_var_makes_the_folder_and_one_key_kept_across_runs(workdir):
    cwd, env = workdir
    assert manage(cwd, "ensure_var", **env).returncode == 0
    key_file = cwd / "var" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text()
    assert len(key) >= 50
    assert settings_of(cwd, **env) == {"key": key, "generated": True, "var": str(cwd / "var")}
    assert manage(cwd, "ensure_var", **env).returncode == 0
    assert key_file.read_text() == key


def test_ensure_var_writes_no_key_when_one_is_given(workdir):
    cwd, env = workdir
    assert manage(cwd, "ensure_var", SECRET_KEY="given", **env).returncode == 0
    assert list((cwd / "var").iterdir()) == []
    assert settings_of(cwd, SECRET_KEY="given", **env)["key"] == "given"


def test_checks_say_what_to_run_before_var_exists(workdir):
    cwd, env = workdir
    refused = manage(cwd, "check", **env)
    assert refused.returncode != 0
    assert "catalog.E001" in refused.stderr and "catalog.E002" in refused.stderr
    assert "manage.py ensure_var" in refused.stderr
    assert manage(cwd, "ensure_var", **env).returncode == 0
    assert manage(cwd, "check", **env).returncode == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "is not a boolean"),
        ("CATALOG_TOKEN_TTL", "5", "must be at least 60"),
        ("CATALOG_MAX_REQUEST_ID_LENGTH", "77", "must be at most 76"),
        ("CATALOG_IMAGE_SIZE_CAP", "big", "is not an integer"),
        ("CATALOG_IMPORT_ALLOWED_PORTS", "80,http", "comma-separated list of ports"),
        ("CATALOG_STORES", "[1]", "must be a JSON object"),
        ("CATALOG_REMOTE_REGIONS", "{", "is not valid JSON"),
        ("DATABASE_URL", "mysql://db/vitrine", "is not supported"),
        ("CATALOG_HASH_ALGORITHM", "crc", "is not a hashlib algorithm"),
        ("CATALOG_IMPORT_CONVERT_TO", "vdi", "must be raw, qcow2, vmdk or empty"),
        ("CATALOG_KEYSTONE_URL", "https://keystone.test/v3", "service account is incomplete"),
    ],
)
def test_malformed_values_fail_loudly_naming_the_variable(workdir, variable, value, message):
    cwd, env = workdir
    result = run(["-c", SHOW], cwd, **env, **{variable: value})
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert variable in last and message in last
    assert list(cwd.iterdir()) == []
