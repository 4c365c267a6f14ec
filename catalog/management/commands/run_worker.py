from django.conf import settings
from django.core.management.base import BaseCommand

from catalog.worker import redis_queue
from catalog.worker.runtime import Runtime


class Command(BaseCommand):
    help = (
        "Run the background worker: CATALOG_WORKER_CONCURRENCY threads taking jobs from the "
        "database queue (at most CATALOG_IMPORT_PER_PROJECT imports of one project at a time), "
        "and the periodic jobs (the recovery sweep every CATALOG_RECOVERY_INTERVAL seconds). "
        "SIGTERM: finish or hand back the running jobs, then exit. With the Redis backend "
        "(django_tasks_rq.RQBackend) it runs an RQ worker for the jobs instead (one at a time: "
        "run several for more) beside the same periodic jobs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run what is due and queued, then exit"
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="threads taking jobs (default CATALOG_WORKER_CONCURRENCY)",
        )

    def handle(self, *args, batch=False, interval=1.0, concurrency=None, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        takes_jobs = backend.startswith("django_tasks_db.")
        on_redis = backend.startswith("django_tasks_rq.")
        if not takes_jobs and not on_redis:
            self.stderr.write(
                f"The task backend is {backend}: run its own worker for the jobs; this one "
                "runs the periodic jobs only."
            )
        runtime = Runtime(
            concurrency=(concurrency or settings.CATALOG_WORKER_CONCURRENCY) if takes_jobs else 0,
            interval=interval,
        )
        if on_redis:
            redis_queue.run(runtime, batch=batch)
        elif batch:
            runtime.run_batch()
        else:
            runtime.run_forever()
