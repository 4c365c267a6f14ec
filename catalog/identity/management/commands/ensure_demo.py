import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from catalog.choices import Role
from catalog.identity import services
from catalog.identity.models import Project


class Command(BaseCommand):
    help = "Create a demo admin (user 'admin' in project 'admin') when no admin exists yet."

    def add_arguments(self, parser):
        # `make run` passes its HOST and PORT, so that the printed URLs are the served ones.
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where it is served")

    def handle(self, *args, url, **options):
        url = url.rstrip("/")
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin exists already; nothing to do.")
            self.stdout.write(
                "A token: .venv/bin/python manage.py issue_token <user> --project <project>"
            )
            return
        password = secrets.token_urlsafe(12)
        project, _ = Project.objects.get_or_create(name="admin")
        user = User.objects.create_superuser("admin", password=password)
        services.assign_role(user, project, Role.ADMIN)
        raw, token = services.issue_token(user, project, ttl=86400, description="demo")
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
                    "",
                ]
            )
        )
