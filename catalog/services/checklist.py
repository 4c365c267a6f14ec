"""The publication checklist: which rules are on (set in the admin), and their verdicts on an
image. The rules themselves are ``catalog/domain/checklist.py``; the publication service asks
here before anything becomes public."""

from django.utils import timezone

from catalog.context import RequestContext, expand_roles
from catalog.domain import checklist as rules
from catalog.exceptions import BadRequest
from catalog.models import ChecklistRule, Image
from catalog.reads import metadefs as metadef_reads


def enabled_rules() -> list[str]:
    """The names of the rules switched on, in the table's order."""
    on = set(ChecklistRule.objects.filter(enabled=True).values_list("name", flat=True))
    return [name for name in rules.RULE_NAMES if name in on]


def set_rule_enabled(name: str, enabled: bool) -> ChecklistRule:
    """Switch one checklist rule on or off (the admin's rule page)."""
    if name not in rules.BY_NAME:
        raise BadRequest(f"Unknown checklist rule: {name}")
    row, _ = ChecklistRule.objects.update_or_create(
        name=name, defaults={"enabled": bool(enabled), "updated_at": timezone.now()}
    )
    return row


def _owner_context(image: Image) -> RequestContext:
    # The metadata definitions an image is judged by are those its owner project sees (the
    # public ones and the project's own), whoever looks at the checklist.
    return RequestContext(user_id=None, project_id=image.owner, roles=expand_roles(["reader"]))


def image_facts(image: Image, *, with_definitions: bool = True) -> rules.ImageFacts:
    definitions = {}
    if with_definitions:
        groups = metadef_reads.definitions_for(_owner_context(image))
        definitions = metadef_reads.definition_map(groups)
    return rules.ImageFacts(
        status=image.status,
        disk_format=image.disk_format,
        container_format=image.container_format,
        size=image.size,
        virtual_size=image.virtual_size,
        min_disk=image.min_disk,
        min_ram=image.min_ram,
        checksum=image.checksum,
        os_hash_value=image.os_hash_value,
        properties=dict(image.properties.values_list("name", "value")),
        definitions=definitions,
    )


def evaluate_image(image: Image) -> list[rules.Check]:
    """The verdict of every enabled rule on ``image`` (an empty list when none is on)."""
    enabled = enabled_rules()
    if not enabled:
        return []
    facts = image_facts(image, with_definitions="allowed_values" in enabled)
    return rules.evaluate(facts, enabled)
