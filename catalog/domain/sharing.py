"""Pure rules of image sharing: member request bodies and the member schema (no ORM, no I/O).

Messages are Glance's (``api/v2/image_members.py``), so clients that show them read the same.
"""

from catalog.choices import MemberStatus
from catalog.domain.images import check_text
from catalog.exceptions import BadRequest

MEMBER_ID_MAX_LENGTH = 255
_IMAGE_ID_PATTERN = (
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"
)


def parse_new_member(body) -> str:
    """The project id in a ``POST /members`` body (``{"member": "<project>"}``)."""
    if not isinstance(body, dict):
        # Glance: a TypeError while indexing the body.
        raise BadRequest('Expected a member in the form: {"member": "image_id"}')
    if "member" not in body:
        raise BadRequest("Member to be added not specified")
    return check_member_id(body["member"])


def check_member_id(member_id) -> str:
    """A member id as it may be stored (the members service checks every id it is given)."""
    if member_id is None or member_id == "":
        raise BadRequest("Member can't be empty")
    # Glance stores whatever it is given (a number, a list: then a 500); only text is an id.
    if not isinstance(member_id, str):
        raise BadRequest('Expected a member in the form: {"member": "image_id"}')
    if len(member_id) > MEMBER_ID_MAX_LENGTH:
        raise BadRequest(f"Member can't be longer than {MEMBER_ID_MAX_LENGTH} characters")
    check_text(member_id, "Member")
    return member_id


def parse_member_status(body):
    """The status in a ``PUT /members/{m}`` body; validated later by ``check_member_status``
    (Glance checks its value only after policy and the member lookup)."""
    if not isinstance(body, dict):
        raise BadRequest('Expected a status in the form: {"status": "status"}')
    if "status" not in body:
        raise BadRequest("Status not specified")
    return body["status"]


def check_member_status(status) -> str:
    if status not in MemberStatus.values:
        raise BadRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".')
    return status


def member_schema() -> dict:
    """``GET /v2/schemas/member`` (Glance's member schema, key for key)."""
    return {
        "name": "member",
        "properties": {
            "member_id": {
                "type": "string",
                "description": "An identifier for the image member (tenantId)",
            },
            "image_id": {
                "type": "string",
                "description": "An identifier for the image",
                "pattern": _IMAGE_ID_PATTERN,
            },
            "created_at": {
                "type": "string",
                "description": "Date and time of image member creation",
            },
            "updated_at": {
                "type": "string",
                "description": "Date and time of last modification of image member",
            },
            "status": {
                "type": "string",
                "description": "The status of this image member",
                "enum": list(MemberStatus.values),
            },
            "schema": {"readOnly": True, "type": "string"},
        },
    }


def members_schema() -> dict:
    """``GET /v2/schemas/members``."""
    return {
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": member_schema()},
            "schema": {"type": "string"},
        },
        "links": [{"rel": "describedby", "href": "{schema}"}],
    }
