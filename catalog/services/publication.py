"""The approval workflow: owners ask for their image to be made public, admins decide.

Publishing stays admin-only (Glance's ``publicize_image``); a request records who asked, and
the decision records who decided, when and why. Approval publishes through
``set_visibility``, with the deciding admin's context, so policy applies as for the API.
"""

import re

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog import policy
from catalog.choices import ImageStatus, PublicationStatus, Visibility
from catalog.context import RequestContext
from catalog.domain import checklist as checklist_rules
from catalog.domain import images as image_rules
from catalog.exceptions import BadRequest, Conflict, NotFound
from catalog.models import PublicationRequest
from catalog.reads import queries
from catalog.services import checklist, events, families
from catalog.services.visibility import set_visibility

MESSAGE_MAX_LENGTH = 2000


def check_note(text, what: str, *, required: bool = False) -> str:
    """A free-text note (request message, decision reason): optional text, bounded."""
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise BadRequest(f"{what} must be a string.")
    text = text.strip()
    if required and not text:
        raise BadRequest(f"{what} is required.")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise BadRequest(f"{what} can't be longer than {MESSAGE_MAX_LENGTH} characters.")
    image_rules.check_text(text, what)
    return text


def check_publishable(image) -> None:
    """Only an active image that is not public yet can be asked for (409 otherwise): a
    queued image has no data to judge, a deactivated one may not be downloaded."""
    if image.visibility == Visibility.PUBLIC:
        raise Conflict(f"Image {image.pk} is already public.")
    if image.status != ImageStatus.ACTIVE:
        raise Conflict(f"Image {image.pk} is {image.status}: only active images can be published.")


def request_publication(ctx: RequestContext, image_id: str, message="") -> PublicationRequest:
    """File a request to make ``image_id`` public (owner project members, and admins)."""
    message = check_note(message, "The message")
    with transaction.atomic():
        image = queries.get_visible_image(ctx, image_id, rule="modify_image", for_update=True)
        check_publishable(image)
        if image.publication_requests.filter(status=PublicationStatus.PENDING).exists():
            raise Conflict(f"A publication request for image {image_id} is already pending.")
        try:
            with transaction.atomic():
                request = PublicationRequest.objects.create(
                    image=image,
                    project_id=image.owner or "",
                    requested_by=ctx.user_name or ctx.user_id or "",
                    message=message,
                    created_at=timezone.now().replace(microsecond=0),
                )
        except IntegrityError:
            raise Conflict(
                f"A publication request for image {image_id} is already pending."
            ) from None
        events.custom(
            ctx,
            "publication.request",
            target_type="image",
            target_id=image.pk,
            owner=image.owner or "",
            request=request.pk,
            message=message,
        )
        return request


def requests_visible_to(ctx: RequestContext, status: str | None = None) -> QuerySet:
    """Admins see every request; others the requests about their project's images."""
    policy.enforce(ctx, "get_images")
    requests = PublicationRequest.objects.all()
    if not ctx.is_admin:
        requests = requests.filter(project_id=ctx.project_id)
    if status is not None:
        if status not in PublicationStatus.values:
            raise BadRequest(
                f"Invalid status value: {status}. Expected one of: "
                + ", ".join(PublicationStatus.values)
            )
        requests = requests.filter(status=status)
    return requests.order_by("-created_at", "-id")


def requests_for_image(ctx: RequestContext, image_id: str) -> QuerySet:
    image = queries.get_visible_image(ctx, image_id)
    return requests_visible_to(ctx).filter(image=image)


def get_request(ctx: RequestContext, request_id) -> PublicationRequest:
    """One request ``ctx`` may see (404 otherwise)."""
    found = None
    # ASCII digits only, and few enough for a 64-bit id ("²".isdigit() is True).
    if re.fullmatch(r"[0-9]{1,18}", str(request_id)):
        found = requests_visible_to(ctx).filter(pk=int(request_id)).first()
    if found is None:
        raise NotFound(f"Publication request {request_id} not found.")
    return found


def request_checks(ctx: RequestContext, request_id) -> tuple[PublicationRequest, list]:
    """A request with the checklist's verdicts on its image, as they stand now."""
    found = get_request(ctx, request_id)
    return found, checklist.evaluate_image(found.image)


def enforce_checks(image, override_reason: str = "") -> list[str]:
    """The rules ``image`` fails. Without an override reason a failure is a 409 naming them;
    with one, the failing rules are returned to be recorded with the decision."""
    failed = checklist_rules.failing(checklist.evaluate_image(image))
    if failed and not override_reason:
        raise Conflict(
            f"Image {image.pk} fails the publication checklist: {', '.join(failed)}.",
            details="; ".join(failed),
        )
    return failed


def _decide(ctx, request_id, status: str, reason: str, publish: bool) -> PublicationRequest:
    policy.enforce(ctx, "publicize_image")
    with transaction.atomic():
        request = PublicationRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise NotFound(f"Publication request {request_id} not found.")
        if request.status != PublicationStatus.PENDING:
            raise Conflict(f"Publication request {request_id} was already {request.status}.")
        if publish:
            image = queries.lock_live_image(request.image_id)
            if image is None:
                raise NotFound(f"No image found with ID {request.image_id}")
            check_publishable(image)
            enforce_checks(image)
            set_visibility(ctx, request.image_id, Visibility.PUBLIC)
        request.status = status
        request.decided_by = ctx.user_name or ctx.user_id or ""
        request.decided_at = timezone.now().replace(microsecond=0)
        request.decision_reason = reason
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        events.custom(
            ctx,
            f"publication.{status}",
            target_type="image",
            target_id=request.image_id,
            owner=request.project_id,
            changes={"publication": ["pending", status]},
            request=request.pk,
            reason=reason,
        )
    if publish:
        families.on_published(request.image_id)
    return request


def publish_directly(ctx: RequestContext, image_id: str, override_reason="") -> PublicationRequest:
    """An admin makes an image public without a request: the checklist applies unless the
    admin overrides it with a reason. Recorded as an approved, ``direct`` request (with the
    overridden rules); a pending request for the image is closed by it."""
    policy.enforce(ctx, "publicize_image")
    override_reason = check_note(override_reason, "The override reason")
    with transaction.atomic():
        image = queries.get_visible_image(ctx, image_id, rule="modify_image", for_update=True)
        check_publishable(image)
        overridden = enforce_checks(image, override_reason)
        set_visibility(ctx, image.pk, Visibility.PUBLIC)
        now = timezone.now().replace(microsecond=0)
        decision = {
            "status": PublicationStatus.APPROVED,
            "decided_by": ctx.user_name or ctx.user_id or "",
            "decided_at": now,
            "decision_reason": override_reason,
            "checks_overridden": overridden,
        }
        record = image.publication_requests.filter(status=PublicationStatus.PENDING).first()
        if record is None:
            record = PublicationRequest(
                image=image,
                project_id=image.owner or "",
                requested_by=decision["decided_by"],
                created_at=now,
                direct=True,
            )
        for name, value in decision.items():
            setattr(record, name, value)
        record.save()
        events.custom(
            ctx,
            "publication.approved",
            target_type="image",
            target_id=image.pk,
            owner=record.project_id,
            changes={"visibility": [image.visibility, Visibility.PUBLIC]},
            request=record.pk,
            reason=override_reason,
            direct=True,
            checks_overridden=overridden,
        )
    families.on_published(image.pk)
    return record


def approve(ctx: RequestContext, request_id, reason: str = "") -> PublicationRequest:
    """Publish the image and record the approval (admins only)."""
    reason = check_note(reason, "The reason")
    return _decide(ctx, request_id, PublicationStatus.APPROVED, reason, publish=True)


def approve_pending_for_image(ctx: RequestContext, image_id: str, reason: str = ""):
    """Approve the image's pending request (409 when it has none)."""
    pending = (
        PublicationRequest.objects.filter(image_id=image_id, status=PublicationStatus.PENDING)
        .values_list("pk", flat=True)
        .first()
    )
    if pending is None:
        raise Conflict("There is no pending publication request.")
    return approve(ctx, pending, reason)


DECISIONS = {"approve": "approved", "reject": "rejected"}


def decide(ctx: RequestContext, request_id, decision: str, reason="") -> PublicationRequest:
    """Approve or reject by name (the API's and the catalog's decision forms)."""
    if decision == "approve":
        return approve(ctx, request_id, reason)
    if decision == "reject":
        return reject(ctx, request_id, reason)
    raise BadRequest("The decision must be one of: approve, reject.")


def reject(ctx: RequestContext, request_id, reason: str) -> PublicationRequest:
    """Record a refusal; a reason is required so the owner learns why."""
    reason = check_note(reason, "The reason", required=True)
    return _decide(ctx, request_id, PublicationStatus.REJECTED, reason, publish=False)
