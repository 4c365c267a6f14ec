"""What the worker runs besides its queue, and what it knows of each kind of queued job.

Periodic jobs: one entry each (a name, the function, the setting that gives its interval in
seconds). Other features add theirs here instead of starting loops of their own.

Queued jobs: by task path, how to find the project a job works for (the per-project limit)
and how to hand a running job back to the queue when the worker stops (a graceful shutdown).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from catalog.reads import queries
from catalog.services import (
    cache,
    event_delivery,
    families,
    image_data,
    locations,
    recovery,
    retention,
    usage_history,
)
from catalog.services.imports import queue
from catalog.services.imports.recovery import hand_back
from catalog.worker import handover


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], object]
    interval: Callable[[], float]


@dataclass(frozen=True)
class QueuedKind:
    """What the runtime knows of a kind of queued job, from the job's arguments."""

    project_of: Callable[..., str | None]
    running_for: Callable[[str], int]  # jobs of this kind running for a project, anywhere
    started: Callable[..., bool]  # whether this job counts in running_for already
    limit: Callable[[], int]  # at most this many running for one project
    # Make a running job's record ready to run again (its queue entry is put back after).
    hand_back: Callable[..., bool]


PERIODIC = [
    PeriodicJob("recovery", recovery.sweep, lambda: settings.CATALOG_RECOVERY_INTERVAL),
    # The image cache of the worker's node (CATALOG_NODE_URL): queued images fetched, deletes
    # asked on other nodes applied, the size limit kept. Nothing to do without the cache.
    PeriodicJob(
        "cache prefetch",
        lambda: cache.prefetch(image_data.open_image),
        lambda: settings.CATALOG_RECOVERY_INTERVAL,
    ),
    PeriodicJob(
        "cache evictions", cache.apply_evictions, lambda: settings.CATALOG_RECOVERY_INTERVAL
    ),
    PeriodicJob(
        "jobs of dead workers",
        handover.requeue_jobs_of_dead_workers,
        lambda: settings.CATALOG_RECOVERY_INTERVAL,
    ),
    PeriodicJob(
        "hide deprecated images", families.hide_expired, lambda: settings.CATALOG_LIFECYCLE_INTERVAL
    ),
    PeriodicJob("retention", retention.periodic, lambda: settings.CATALOG_LIFECYCLE_INTERVAL),
    PeriodicJob(
        "usage samples",
        usage_history.record_daily_samples,
        lambda: settings.CATALOG_USAGE_SAMPLE_INTERVAL,
    ),
    PeriodicJob(
        "event delivery",
        event_delivery.run_delivery,
        lambda: settings.CATALOG_EVENTS_DELIVERY_INTERVAL,
    ),
    PeriodicJob("audit retention", event_delivery.purge_audit, lambda: 3600),
]

# Imports and location imports are both Task rows: they share the per-project limit.
_TASK_KIND = QueuedKind(
    project_of=queries.task_owner,
    running_for=queries.running_imports,
    started=queries.task_started,
    limit=lambda: settings.CATALOG_IMPORT_PER_PROJECT,
    hand_back=lambda task_id: hand_back(
        task_id, "Handed back to the queue: its worker was stopping."
    ),
)
QUEUED = {
    queue.run_image_import.module_path: _TASK_KIND,
    locations.run_location_import.module_path: _TASK_KIND,
}
