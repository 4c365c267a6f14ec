"""The catalog's records. Only ``catalog.services`` writes them."""

import uuid

from django.db import models
from django.utils import timezone

from catalog.choices import (
    ContainerFormat,
    DiskFormat,
    ImageStatus,
    MemberStatus,
    PublicationStatus,
    Visibility,
)


def new_image_id() -> str:
    return str(uuid.uuid4())


class Image(models.Model):
    """An image record: metadata, status and the summary of its data (size, hashes).

    Deleting an image is a soft delete (``deleted`` and status ``deleted``), as in Glance:
    an id is never reused (OSSN-0075), and every API treats deleted images as 404.
    """

    id = models.CharField(primary_key=True, max_length=36, default=new_image_id)
    name = models.CharField(max_length=255, null=True, blank=True)
    owner = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=30, choices=ImageStatus.choices, default=ImageStatus.QUEUED
    )
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.SHARED
    )
    protected = models.BooleanField(default=False)
    os_hidden = models.BooleanField(default=False)
    container_format = models.CharField(
        max_length=20, choices=ContainerFormat.choices, null=True, blank=True
    )
    disk_format = models.CharField(max_length=20, choices=DiskFormat.choices, null=True, blank=True)
    min_disk = models.PositiveIntegerField(default=0)
    min_ram = models.PositiveIntegerField(default=0)
    size = models.BigIntegerField(null=True, blank=True)
    virtual_size = models.BigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    os_hash_algo = models.CharField(max_length=64, null=True, blank=True)
    os_hash_value = models.CharField(max_length=128, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["visibility", "deleted"], name="image_visibility"),
            models.Index(fields=["name"], name="image_name"),
            models.Index(fields=["status"], name="image_status"),
            # List pages walk these in order (keyset pagination; the default order is
            # created_at desc, id desc). Partial indexes, because Django writes deleted=False
            # as `NOT deleted`, which SQLite cannot match to a leading `deleted` column.
            models.Index(
                fields=["-created_at", "-id"],
                name="image_list_created",
                condition=models.Q(deleted=False),
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                name="image_list_updated",
                condition=models.Q(deleted=False),
            ),
            # The size_min / size_max range filters.
            models.Index(fields=["size"], name="image_size"),
        ]

    def __str__(self) -> str:
        return f"{self.name or '(unnamed)'} ({self.id})"

    @property
    def extra_properties(self) -> dict[str, str]:
        """Custom properties by name (uses the prefetch cache when there is one)."""
        return {p.name: p.value for p in self.properties.all()}

    @property
    def tag_list(self) -> list[str]:
        return [t.value for t in self.tags.all()]


class ImageProperty(models.Model):
    """A custom (string) property of an image, shown as a top-level key of the image."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="properties")
    name = models.CharField(max_length=255)
    value = models.TextField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["image", "name"], name="unique_image_property")
        ]
        # Exact-match list filters (?os_distro=cirros) look up by name and value.
        indexes = [models.Index(fields=["name", "image"], name="property_name")]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ImageTag(models.Model):
    """A tag. Tags are a set per image; the row id keeps their first-seen order."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="tags")
    value = models.CharField(max_length=255)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["image", "value"], name="unique_image_tag")]
        indexes = [models.Index(fields=["value", "image"], name="tag_value")]

    def __str__(self) -> str:
        return self.value


class ImageMember(models.Model):
    """A project an image is shared with, and that project's decision about it."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="members")
    member = models.CharField(max_length=255)
    status = models.CharField(
        max_length=20, choices=MemberStatus.choices, default=MemberStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["image", "member"], name="unique_image_member")
        ]
        indexes = [models.Index(fields=["member", "status"], name="member_lookup")]

    def __str__(self) -> str:
        return f"{self.member} ({self.status})"


class Task(models.Model):
    """A background job on an image (Glance's task): today, an interoperable import.

    The row is the durable record the API shows (``/v2/tasks``, ``/v2/images/{id}/tasks``);
    the queue (django-tasks) only carries its id, so the task can be queued again. While a
    worker runs it, the task's ``Lease`` says the worker is alive; ``updated_at`` and
    ``message`` show its progress. ``attempts`` counts the runs (a run that finds another
    number on its task was superseded and stops).
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        SUCCESS = "success"
        FAILURE = "failure"

    id = models.CharField(primary_key=True, max_length=36, default=new_image_id)
    type = models.CharField(max_length=30, default="api_image_import")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    owner = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    image_id = models.CharField(max_length=36, null=True, blank=True, db_index=True)
    request_id = models.CharField(max_length=80, blank=True, default="")
    user_id = models.CharField(max_length=255, blank=True, default="")
    input = models.JSONField(default=dict)
    result = models.JSONField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    # A credential the worker needs (the user's token, for glance-download), sealed with
    # catalog.data.sealed and wiped when the task ends; never shown.
    secret = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"], name="task_status_heartbeat")]

    def __str__(self) -> str:
        return f"{self.type} {self.id} ({self.status})"


class Lease(models.Model):
    """An in-flight data write (an upload, a stage, an import task), and the proof that its
    process still works on it: the holder renews ``expires_at`` on a timer for as long as it
    works, whether bytes flow or not (conversion, the final sync, an S3 completion).

    A lease past ``expires_at`` belongs to a process that died (or stopped renewing): the
    recovery sweep (``catalog.services.recovery``) claims it by deleting the row and puts the
    write's image and task back where a retry can use them. The row is deleted in the same
    transaction as the write's end, so a live row always means "unfinished".

    A ``worker`` lease is a running ``run_worker`` process (its ``holder`` is the worker id the
    queue's rows record): when it expires, the jobs that worker had claimed go back to the
    queue (``catalog.worker``).
    """

    UPLOAD = "upload"
    STAGE = "stage"
    IMPORT = "import"
    WORKER = "worker"
    KINDS = [(UPLOAD, "upload"), (STAGE, "stage"), (IMPORT, "import"), (WORKER, "worker")]
    WRITES = [UPLOAD, STAGE, IMPORT]

    kind = models.CharField(max_length=20, choices=KINDS)
    image_id = models.CharField(max_length=36, blank=True, default="", db_index=True)
    # The store the write goes to (uploads, stages), or the task it carries out (imports).
    store = models.CharField(max_length=255, blank=True, default="")
    task_id = models.CharField(max_length=36, blank=True, default="", db_index=True)
    # host:pid/thread of the process that holds it, for operators.
    holder = models.CharField(max_length=255)
    acquired_at = models.DateTimeField(default=timezone.now)
    renewed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [models.Index(fields=["expires_at"], name="lease_expiry")]

    def __str__(self) -> str:
        return f"{self.kind} lease on {self.image_id} held by {self.holder}"


class ProjectQuota(models.Model):
    """A project's quota overrides; a null limit means "the default from settings".

    Keyed by the project id as images carry it (``Image.owner``), not by a foreign key: with
    an external Keystone the projects are not rows of this database. The row is also the
    lock that serialises a project's quota checks (``catalog.services.quotas.lock_project``), so a
    row with no override exists for every project that has written images.
    """

    project_id = models.CharField(max_length=255, unique=True)
    # Limits in Glance's units: MiB for the two sizes, images for the two counts; -1 means
    # unlimited (Keystone unified limits' convention).
    image_size_total = models.BigIntegerField(null=True, blank=True)
    image_stage_total = models.BigIntegerField(null=True, blank=True)
    image_count_total = models.BigIntegerField(null=True, blank=True)
    image_count_uploading = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project_id"]

    def __str__(self) -> str:
        return f"quota of {self.project_id}"


class PublicationRequest(models.Model):
    """An owner's request to make an image public, and the admin's decision about it.

    Making an image public stays admin-only (Glance's ``publicize_image``); this record is how
    an owner asks, and how the decision (who, when, why) is kept.
    """

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="publication_requests")
    project_id = models.CharField(max_length=255, db_index=True)
    requested_by = models.CharField(max_length=255)
    message = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.CharField(max_length=255, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")
    # An admin's direct publication (no owner asked): recorded as an approved request.
    direct = models.BooleanField(default=False)
    # Checklist rules that failed and that the deciding admin overrode (the reason says why).
    checks_overridden = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["image"],
                condition=models.Q(status="pending"),
                name="one_pending_publication_request",
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="publication_status")]

    def __str__(self) -> str:
        return f"publication of {self.image_id} ({self.status})"


class ImageLocation(models.Model):
    """One stored copy of an image's data: which store holds it, and where.

    ``active`` copies are served; ``pending_delete`` ones belong to deleted images whose data
    the store failed to remove: ``manage.py scrub_images`` retries them.
    """

    ACTIVE = "active"
    PENDING_DELETE = "pending_delete"
    # An http copy whose remote data stopped matching the image: never served again.
    FAILED = "failed"
    STATUSES = [(ACTIVE, "active"), (PENDING_DELETE, "pending delete"), (FAILED, "failed")]

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="locations")
    store = models.CharField(max_length=255)
    url = models.TextField()
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=30, choices=STATUSES, default=ACTIVE)
    # The order the image lists its locations in (a legacy PATCH may insert at a position).
    position = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["status", "store"], name="location_status")]

    def __str__(self) -> str:
        return f"{self.store}: {self.url} ({self.status})"


class CacheEntry(models.Model):
    """An image in the cache of one node (``CATALOG_NODE_URL``): ``cached`` (its copy is on
    that node's disk), ``queued`` (waiting for the node's prefetch), or ``evict`` (a delete
    asked elsewhere, which the node's worker applies to its disk, then drops the row)."""

    CACHED = "cached"
    QUEUED = "queued"
    EVICT = "evict"
    STATES = [(CACHED, "cached"), (QUEUED, "queued"), (EVICT, "evict")]

    node = models.CharField(max_length=255)
    image_id = models.CharField(max_length=36, db_index=True)
    state = models.CharField(max_length=10, choices=STATES)
    size = models.BigIntegerField(default=0)
    hits = models.IntegerField(default=0)
    # Epoch seconds, as Glance's cache API shows them.
    last_accessed = models.FloatField(default=0.0)
    last_modified = models.FloatField(default=0.0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["node", "image_id"], name="one_cache_entry_per_node")
        ]
        indexes = [models.Index(fields=["node", "state"], name="cache_node_state")]

    def __str__(self) -> str:
        return f"{self.image_id} {self.state} on {self.node}"


# --- Metadata definitions (metadefs) ---------------------------------------------------------


class MetadefNamespace(models.Model):
    """A namespace of metadata definitions: properties, objects and tags, associated with
    resource types (``OS::Glance::Image``...). Names are unique and appear verbatim in URLs."""

    namespace = models.CharField(max_length=80, unique=True)
    display_name = models.CharField(max_length=80, null=True, blank=True)
    description = models.CharField(max_length=500, null=True, blank=True)
    visibility = models.CharField(max_length=10, default="private")
    protected = models.BooleanField(default=False)
    owner = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at", "id"], name="metadef_ns_created")]

    def __str__(self) -> str:
        return self.namespace


class MetadefResourceType(models.Model):
    """A kind of resource the catalog describes (``OS::Glance::Image``). Created when an
    association first names it; never deleted by the API."""

    name = models.CharField(max_length=80, unique=True)
    protected = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class MetadefResourceTypeAssociation(models.Model):
    """A namespace applies to a resource type, its property names carrying ``prefix``."""

    namespace = models.ForeignKey(
        MetadefNamespace, on_delete=models.CASCADE, related_name="associations"
    )
    resource_type = models.ForeignKey(
        MetadefResourceType, on_delete=models.PROTECT, related_name="associations"
    )
    prefix = models.CharField(max_length=80, null=True, blank=True)
    properties_target = models.CharField(max_length=80, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "resource_type"], name="unique_metadef_association"
            )
        ]

    def __str__(self) -> str:
        return f"{self.namespace_id} -> {self.resource_type_id}"


class MetadefProperty(models.Model):
    """A property definition: ``definition`` holds its JSON-schema-like keys (type, title,
    enum, bounds...) exactly as validated, typed (docs/glance-differences.md#metadef-values)."""

    namespace = models.ForeignKey(
        MetadefNamespace, on_delete=models.CASCADE, related_name="properties"
    )
    name = models.CharField(max_length=80)
    definition = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="unique_metadef_property")
        ]

    def __str__(self) -> str:
        return self.name


class MetadefObject(models.Model):
    """A named group of property definitions, some of them ``required``."""

    namespace = models.ForeignKey(
        MetadefNamespace, on_delete=models.CASCADE, related_name="defined_objects"
    )
    name = models.CharField(max_length=80)
    description = models.TextField(null=True, blank=True)
    required = models.JSONField(default=list)
    properties = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="unique_metadef_object")
        ]

    def __str__(self) -> str:
        return self.name


class MetadefTag(models.Model):
    """A tag a namespace suggests. Names are case-sensitive
    (docs/glance-differences.md#metadef-tag-case)."""

    namespace = models.ForeignKey(MetadefNamespace, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="unique_metadef_tag")
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistRule(models.Model):
    """Whether one rule of the publication checklist (``catalog/domain/checklist.py``) is
    switched on for this catalog. A rule without a row is off."""

    name = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({'on' if self.enabled else 'off'})"


class FamilyPolicy(models.Model):
    """What happens in an image family (images of one owner sharing ``x_vitrine_family``):
    to the previous version when a newer one is published, and which old versions retention
    retires. A family without a row keeps everything."""

    KEEP = "keep"
    DEPRECATE = "deprecate"
    DEPRECATE_AND_HIDE = "deprecate_and_hide"
    ON_NEW_VERSION = [
        (KEEP, "keep the previous version as it is"),
        (DEPRECATE, "deprecate the previous version"),
        (DEPRECATE_AND_HIDE, "deprecate it, and hide it after hide_after_days"),
    ]

    owner = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    on_new_version = models.CharField(max_length=30, choices=ON_NEW_VERSION, default=KEEP)
    hide_after_days = models.PositiveIntegerField(default=0)
    # Retention: keep the newest N versions (null: retention off); older ones are deactivated,
    # then deleted grace_days later.
    keep_newest = models.PositiveIntegerField(null=True, blank=True)
    grace_days = models.PositiveIntegerField(default=7)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["owner", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="unique_family")]

    def __str__(self) -> str:
        return f"family {self.name} of {self.owner}"


class RetiredImage(models.Model):
    """An image that retention deactivated; it is deleted once ``delete_after`` passes
    (unless it was reactivated meanwhile, which drops the row)."""

    image = models.OneToOneField(Image, on_delete=models.CASCADE, related_name="retirement")
    family = models.CharField(max_length=255)
    retired_at = models.DateTimeField(default=timezone.now)
    delete_after = models.DateTimeField()

    class Meta:
        ordering = ["delete_after", "id"]

    def __str__(self) -> str:
        return f"{self.image_id} retired from {self.family}"


class UsageSample(models.Model):
    """A project's storage and image count on one day (UTC), for the usage-over-time chart.
    The worker's periodic job (catalog.services.usage_history) writes one row per project a
    day and refreshes it while the day lasts, so the row holds the day's last figures."""

    project_id = models.CharField(max_length=255)
    day = models.DateField()
    stored_bytes = models.BigIntegerField(default=0)
    image_count = models.IntegerField(default=0)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["project_id", "day"], name="one_usage_sample_a_day")
        ]

    def __str__(self) -> str:
        return f"usage of {self.project_id} on {self.day}"


# --- Events: the audit trail, the notification outbox, webhooks ------------------------------


class AuditRecord(models.Model):
    """One event that happened in the catalog (catalog.services.events writes it, after the
    change it describes commits). Append-only: no API, UI or admin path edits or deletes a
    record; only the retention job (CATALOG_AUDIT_RETENTION_DAYS) removes old ones."""

    event_id = models.CharField(max_length=36, unique=True)
    event_type = models.CharField(max_length=64, db_index=True)
    priority = models.CharField(max_length=10, default="INFO")
    occurred_at = models.DateTimeField(db_index=True)
    # Who: the caller's user and project (empty for the system: the worker, the sweep).
    user_id = models.CharField(max_length=255, blank=True, default="")
    user_name = models.CharField(max_length=255, blank=True, default="")
    project_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    # What: the object and the project that owns it (a member's own-project view reads it).
    target_type = models.CharField(max_length=40, blank=True, default="")
    target_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    owner = models.CharField(max_length=255, blank=True, default="", db_index=True)
    request_id = models.CharField(max_length=80, blank=True, default="")
    client_address = models.CharField(max_length=64, blank=True, default="")
    # {field: [before, after]} for the fields the event changed.
    changes = models.JSONField(default=dict, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.target_id} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class OutboxMessage(models.Model):
    """A notification built when its event happened (message id and timestamp fixed then),
    waiting for the worker to publish it to the broker (catalog.services.event_delivery)."""

    message_id = models.CharField(max_length=36, unique=True)
    event_type = models.CharField(max_length=64)
    priority = models.CharField(max_length=10, default="INFO")
    body = models.TextField()  # the AMQP body exactly as it will be sent
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookSubscription(models.Model):
    """A URL that receives signed event deliveries: a project's (events about images the
    project may see) or, with no project, catalog-wide (admins only)."""

    project_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    url = models.URLField(max_length=2000)
    # Event types delivered ("image.create", or a group such as "image"); empty: every event.
    event_types = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=128)
    active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.url} ({self.project_id or 'catalog-wide'})"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one subscription, retried with backoff."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    STATUSES = [(PENDING, "pending"), (DELIVERED, "delivered"), (FAILED, "failed")]

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    record = models.ForeignKey(AuditRecord, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=20, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.record.event_type} to {self.subscription.url} ({self.status})"
