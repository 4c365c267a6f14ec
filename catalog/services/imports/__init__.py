"""Interoperable image import (``POST /v2/images/{id}/import``).

Two halves. ``start_import`` (``start.py``) runs in the API request: it validates in Glance's
order, takes the image's import lock (``lock.py``), records a ``Task`` and queues it
(``queue.py``). ``run_import`` (``worker.py``) runs in a worker: it brings the data into the
staging area when the method needs it (``steps.py``), writes it to each target store through
the same checks as an upload (size cap, quotas, format inspection, digests), and either makes
the image active or puts it back as it was, always releasing the lock; the ``Task`` row keeps
its progress (``task_record.py``) and its lease (``catalog.services.leases``). When the lease
of a task expires (its worker died), ``recover_import`` (``recovery.py``, called by the
recovery sweep, ``catalog.services.recovery``) restarts or fails it, so that nothing stays
``importing``.

What differs between methods is a table: the rules in ``catalog.domain.imports``, the work in
``steps.py``.
"""

from catalog.services.imports.recovery import recover_import
from catalog.services.imports.start import start_import, writable_store_ids
from catalog.services.imports.task_record import ImportFailed
from catalog.services.imports.worker import run_import

__all__ = [
    "ImportFailed",
    "recover_import",
    "run_import",
    "start_import",
    "writable_store_ids",
]
