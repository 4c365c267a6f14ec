from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalog.services import imports


class Command(BaseCommand):
    help = (
        "Run the background worker: first recover imports whose worker died, then process "
        "the task queue (database backend; with the Redis backend run `rqworker` instead)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="process what is queued, then exit"
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args, batch=False, interval=1.0, **options):
        counts = imports.recover_interrupted_imports()
        if any(counts.values()):
            self.stdout.write(
                f"Recovered interrupted imports: {counts['restarted']} restarted, "
                f"{counts['failed']} failed."
            )
        backend = settings.TASKS["default"]["BACKEND"]
        if not backend.startswith("django_tasks_db."):
            self.stderr.write(f"The task backend is {backend}: run its own worker.")
            return
        call_command(
            "db_worker",
            batch=batch,
            interval=interval,
            startup_delay=False,
            reload=False,
            verbosity=options.get("verbosity", 1),
        )
