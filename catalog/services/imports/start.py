"""The request half of an import: validate in Glance's order, take the image's import lock
(``os_glance_import_task``), record a ``Task`` and queue it."""

from django.conf import settings
from django.db import transaction

from catalog.choices import ImageStatus
from catalog.context import RequestContext
from catalog.data import sealed, stores
from catalog.data.remote_images import RemoteImage
from catalog.domain import imports as import_rules
from catalog.domain.imports import DataSource, ImportRequest
from catalog.exceptions import BadRequest, Conflict
from catalog.models import Image, ImageLocation, Task
from catalog.reads import queries
from catalog.services import events, quotas
from catalog.services.images import check_metadefs, lock_image_for, transition
from catalog.services.imports import lock, queue, steps, task_record


def writable_store_ids() -> list[str]:
    return [s.id for s in stores.all_stores().values() if not s.read_only]


def start_import(
    ctx: RequestContext, image_id: str, body, *, header_store: str | None = None
) -> Task | None:
    """Validate an import request, lock the image and queue the task (None: nothing to do,
    a copy-image to stores that all hold the image already)."""
    request = import_rules.parse_import_request(body, settings.CATALOG_ENABLED_IMPORT_METHODS)
    method = request.kind
    # Network work (DNS, the other region) happens before the image row is locked, and after
    # a first policy check, so that nobody can make this server fetch for an image they may
    # not import into.
    queries.get_visible_image(ctx, image_id, rule=method.policy_rule)
    look_up = steps.STEPS[method.name].look_up
    try:
        remote = look_up(ctx, request) if look_up is not None else None
    except (BadRequest, Conflict) as exc:
        if not method.fails_in_task:
            raise
        return _failed_task(ctx, image_id, body, exc.message)
    with transaction.atomic():
        image = lock_image_for(
            ctx, image_id, method.policy_rule, not_found=f"No image found with ID {image_id}"
        )
        props = lock.read_props(image)
        # The lock first: Glance answers "Image has active task" to an import that follows
        # another at once (its status changes later, in the task; ours at once).
        _take_lock(image, props.get(lock.LOCK_PROPERTY))
        import_rules.check_image_state(
            request, image.status, image.disk_format, image.container_format
        )
        targets = _target_stores(image, request, header_store)
        if method.copies and not targets:
            return None
        if remote is not None:
            check_metadefs(ctx, remote.properties)
            _adopt_remote_metadata(image, remote)
        quotas.check_data_write_start(
            image.owner,
            image.pk,
            target=quotas.STORE if method.source is DataSource.STAGED else quotas.STAGING,
            declared_size=image.size if method.size_known else None,
        )
        task = _record_task(ctx, image, body, targets, remote)
        events.task(ctx, "task.create", task)
        lock.acquire(image, props, task.id, targets)
        if not method.copies:
            before = image.status
            transition(image, ImageStatus.IMPORTING)
            events.image(ctx, "image.update", image, changes={"status": [before, image.status]})
        queue.enqueue_in_transaction(task.id)
    return task


def _failed_task(ctx: RequestContext, image_id: str, body, message: str) -> Task:
    """A glance-download whose source cannot be used (unknown region or interface, missing or
    inactive remote image): accepted, and its task fails with the reason at once, as Glance's
    task does later; the image stays queued with its properties."""
    task = Task.objects.create(
        owner=ctx.project_id,
        image_id=image_id,
        request_id=ctx.request_id,
        user_id=ctx.user_id or "",
        input={"image_id": image_id, "import_req": body, "backend": []},
        status=Task.Status.PROCESSING,
    )
    task_record.finish(task, Task.Status.FAILURE, message)
    return task


def _take_lock(image: Image, holder_id: str | None) -> None:
    """409 while another import holds the image. A holder whose worker died does not hold it
    for long: its lease expires and the recovery sweep requeues or fails it."""
    if not holder_id:
        return
    holder = Task.objects.filter(pk=holder_id).first()
    if import_rules.lock_is_held(holder.status if holder else None):
        raise Conflict("Image has active task")


def _target_stores(image: Image, request: ImportRequest, header_store: str | None) -> list[str]:
    present = list(
        image.locations.filter(status=ImageLocation.ACTIVE).values_list("store", flat=True)
    )
    _, default = stores.store_config()
    return import_rules.target_stores(
        request,
        header_store if stores.multiple_backends() else None,
        writable_store_ids(),
        default,
        present,
    )


def _adopt_remote_metadata(image: Image, remote: RemoteImage) -> None:
    """Give the local image the remote one's formats and the properties Glance copies
    (before it becomes importing, which needs the formats)."""
    Image.objects.filter(pk=image.pk).update(
        disk_format=remote.disk_format, container_format=remote.container_format
    )
    image.disk_format, image.container_format = remote.disk_format, remote.container_format
    lock.set_props(image, **remote.properties)


def _record_task(
    ctx: RequestContext, image: Image, body, targets: list[str], remote: RemoteImage | None
) -> Task:
    """The task's durable record; a glance-download keeps the remote file's URL and the
    caller's token (sealed) until its worker runs."""
    task_input = {"image_id": image.pk, "import_req": body, "backend": targets}
    if remote is not None:
        task_input["remote_file"] = remote.file_url
    return Task.objects.create(
        owner=ctx.project_id,
        image_id=image.pk,
        request_id=ctx.request_id,
        user_id=ctx.user_id or "",
        input=task_input,
        secret=sealed.seal(ctx.auth_token) if remote is not None else "",
    )
