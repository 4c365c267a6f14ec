"""The image's import lock and progress, kept in server-owned ``os_glance_*`` properties: the
task holding the lock, the stores being imported to and the stores an import failed in."""

from catalog.models import Image, ImageProperty
from catalog.services import quotas

LOCK_PROPERTY = "os_glance_import_task"
IMPORTING_TO = quotas.COPYING_PROPERTY  # os_glance_importing_to_stores
FAILED_IMPORT = "os_glance_failed_import"


def read_props(image: Image) -> dict[str, str]:
    return dict(ImageProperty.objects.filter(image=image).values_list("name", "value"))


def set_props(image: Image, **values) -> None:
    """Write properties the server sets (``os_glance_*``, a glance-download's copied ones);
    None removes one."""
    for name, value in values.items():
        if value is None:
            ImageProperty.objects.filter(image=image, name=name).delete()
        else:
            ImageProperty.objects.update_or_create(
                image=image, name=name, defaults={"value": value}
            )


def _store_list(raw: str | None) -> list[str]:
    return [s for s in (raw or "").split(",") if s]


def _join(values) -> str:
    return ",".join(dict.fromkeys(values))


def acquire(image: Image, props: dict[str, str], task_id: str, targets: list[str]) -> None:
    """Take the lock for ``task_id`` and add ``targets`` to the stores in progress (a new
    attempt at a store clears its earlier failure)."""
    failed = [s for s in _store_list(props.get(FAILED_IMPORT)) if s not in targets]
    importing = _store_list(props.get(IMPORTING_TO)) + targets
    set_props(
        image,
        **{LOCK_PROPERTY: task_id, IMPORTING_TO: _join(importing), FAILED_IMPORT: _join(failed)},
    )


def release(image: Image, targets: list[str], failed: list[str]) -> None:
    """Drop the lock and this import's stores from the progress properties."""
    props = read_props(image)
    importing = [s for s in _store_list(props.get(IMPORTING_TO)) if s not in targets]
    failures = _store_list(props.get(FAILED_IMPORT)) + failed
    set_props(
        image,
        **{LOCK_PROPERTY: None, IMPORTING_TO: _join(importing), FAILED_IMPORT: _join(failures)},
    )
