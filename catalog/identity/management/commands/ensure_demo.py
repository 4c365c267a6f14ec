import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog.choices import Role
from catalog.identity import clouds_yaml, projects, services

DEMO_USER = DEMO_PROJECT = "admin"
CLOUD = "vitrine"
RESET = ".venv/bin/python manage.py ensure_demo --reset-password"


class Command(BaseCommand):
    help = (
        "Create a demo admin (user 'admin' in project 'admin') when no admin exists yet, and "
        "(re)write var/clouds.yaml for the URL the server is started on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="where the server is reached (for var/clouds.yaml; CATALOG_PUBLIC_ENDPOINT wins)",
        )
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="give the demo admin a new password, print it and rewrite var/clouds.yaml",
        )

    def handle(self, *args, url, reset_password, **options):
        url = url.rstrip("/")  # the printed links below are the served ones (`make run`)
        User = get_user_model()
        if reset_password:
            user = User.objects.filter(username=DEMO_USER).first()
            if user is None:
                raise CommandError(f"There is no user {DEMO_USER!r} to reset.")
            return self._new_password(user, url, "Demo admin password reset.")
        if not User.objects.filter(is_superuser=True).exists():
            project, _ = projects.ensure_project(DEMO_PROJECT)
            user = User.objects.create_superuser(DEMO_USER, password=None)
            services.assign_role(user, project, Role.ADMIN)
            return self._new_password(user, url, "Demo admin created.")
        self._existing(User.objects.filter(username=DEMO_USER).first(), url)

    def _new_password(self, user, url: str, headline: str) -> None:
        password = secrets.token_urlsafe(12)
        user.set_password(password)  # revokes the user's earlier tokens
        user.save()
        project, _ = projects.ensure_project(DEMO_PROJECT)
        raw, _ = services.issue_token(user, project, ttl=86400, description="demo")
        clouds_path = write_clouds_yaml(_auth_base(url), password)
        self._print(
            "",
            headline,
            f"  Browser: {url}/admin/  user: {DEMO_USER}  password: {password}",
            f"  API token (24 h): {raw}",
            f"    export OS_TOKEN={raw}",
            f'    curl -H "X-Auth-Token: $OS_TOKEN" {url}/v2/images',
            "  Another token later: .venv/bin/python manage.py issue_token admin --project admin",
            *_cli_lines(clouds_path),
            "",
        )

    def _existing(self, user, url: str) -> None:
        """A rerun: point clouds.yaml at this start's URL and say where everything is."""
        path = settings.VAR_DIR / "clouds.yaml"
        password = _stored_password(path)
        lines = ["", "An admin exists already; no new account was made."]
        # Behind an external Keystone (no base) there is no clouds.yaml to point anywhere.
        base = _auth_base(url) if user is not None else None
        if base is not None and password is not None and user.check_password(password):
            clouds_path = write_clouds_yaml(base, password)
            lines += [
                f"  Browser: {url}/admin/  user: {DEMO_USER}  password: in {clouds_path}"
                f" (clouds.{CLOUD}.auth.password)",
                *_cli_lines(clouds_path),
            ]
        elif base is not None:
            lines.append(
                f"  The password of {DEMO_USER!r} is not in {path} (changed, or the file is gone)."
            )
        lines += [
            f"  A new password (and clouds.yaml): {RESET}",
            "    or: .venv/bin/python manage.py changepassword <user>",
            "  A token: .venv/bin/python manage.py issue_token <user> --project <project>",
            "",
        ]
        self._print(*lines)

    def _print(self, *lines: str) -> None:
        self.stdout.write("\n".join(lines))


def _auth_base(url: str) -> str | None:
    """Where clouds.yaml sends the clients; None behind an external Keystone (the built-in
    /identity is off then, so there is nothing to write)."""
    if settings.CATALOG_KEYSTONE_URL:
        return None
    return settings.CATALOG_PUBLIC_ENDPOINT or url


def _cli_lines(clouds_path) -> list[str]:
    if clouds_path is None:
        return []
    return [
        f"  OpenStack CLI (`make cli` installs it): export OS_CLIENT_CONFIG_FILE={clouds_path}",
        f"    .venv/bin/openstack --os-cloud {CLOUD} image list",
    ]


def _stored_password(path) -> str | None:
    try:
        clouds = clouds_yaml.parse(path.read_text())
    except (OSError, ValueError):
        return None
    auth = clouds.get(CLOUD, {})
    return auth.get("password") if auth.get("username") == DEMO_USER else None


def write_clouds_yaml(base_url: str | None, password: str):
    """A clouds.yaml with the demo admin as cloud ``vitrine`` (readable by its owner only),
    written on every start so that it names the current host and port."""
    if base_url is None:
        return None
    path = settings.VAR_DIR / "clouds.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    cloud = {
        "auth_url": f"{base_url.rstrip('/')}/identity/v3",
        "username": DEMO_USER,
        "password": password,
        "project": DEMO_PROJECT,
    }
    content = clouds_yaml.render({CLOUD: cloud}, settings.CATALOG_REGION_NAME)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    return path
