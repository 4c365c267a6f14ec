import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from catalog.choices import Role
from catalog.identity import clouds_yaml, projects, services


class Command(BaseCommand):
    help = "Create a demo admin (user 'admin' in project 'admin') when no admin exists yet."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="where the server is reached (for var/clouds.yaml; CATALOG_PUBLIC_ENDPOINT wins)",
        )

    def handle(self, *args, url, **options):
        url = url.rstrip("/")  # the printed links below are the served ones (`make run`)
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin exists already; nothing to do.")
            self.stdout.write(
                "A token: .venv/bin/python manage.py issue_token <user> --project <project>"
            )
            return
        password = secrets.token_urlsafe(12)
        project, _ = projects.ensure_project("admin")
        user = User.objects.create_superuser("admin", password=password)
        services.assign_role(user, project, Role.ADMIN)
        raw, token = services.issue_token(user, project, ttl=86400, description="demo")
        # Behind an external Keystone the built-in /identity is off: no clouds.yaml for it.
        clouds_path = (
            None
            if settings.CATALOG_KEYSTONE_URL
            else write_clouds_yaml(settings.CATALOG_PUBLIC_ENDPOINT or url, password)
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Demo admin created.",
                    f"  Browser: {url}/admin/  user: admin  password: {password}",
                    f"  API token (24 h): {raw}",
                    f"    export OS_TOKEN={raw}",
                    f'    curl -H "X-Auth-Token: $OS_TOKEN" {url}/v2/images',
                    "  Another token later: .venv/bin/python manage.py issue_token admin --project admin",
                    *(
                        [
                            f"  OpenStack CLI: export OS_CLIENT_CONFIG_FILE={clouds_path}",
                            "    .venv/bin/openstack --os-cloud vitrine image list",
                        ]
                        if clouds_path
                        else []
                    ),
                    "",
                ]
            )
        )


def write_clouds_yaml(base_url: str, password: str):
    """A clouds.yaml with the demo admin as cloud ``vitrine`` (readable by its owner only)."""
    path = settings.VAR_DIR / "clouds.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    cloud = {
        "auth_url": f"{base_url.rstrip('/')}/identity/v3",
        "username": "admin",
        "password": password,
        "project": "admin",
    }
    content = clouds_yaml.render({"vitrine": cloud}, settings.CATALOG_REGION_NAME)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    return path
