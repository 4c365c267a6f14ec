"""What the catalog's ids look like, checked before any query.

Text that cannot be an id finds nothing, and never reaches the database: ``"²".isdigit()`` is
true but ``int("²")`` fails (a 500 on a user id), and PostgreSQL refuses NUL in any text it
compares. The patterns are ASCII on purpose (``\\d`` matches every Unicode digit).
"""

import re

# Django's AutoField (auth.User's primary key) is a signed 32-bit integer.
MAX_USER_ID = 2**31 - 1
_USER_ID = re.compile(r"[0-9]{1,10}")
# Keystone's project ids are 32 hex digits; ``create_project --id`` and external Keystones
# may use other ASCII names: letters, digits, dash and underscore, at most 64 (the column).
_PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_user_id(value) -> bool:
    """A built-in user's id: ASCII digits that fit the primary key."""
    return isinstance(value, str) and bool(_USER_ID.fullmatch(value)) and int(value) <= MAX_USER_ID


def is_project_id(value) -> bool:
    """A project id: ASCII letters, digits, ``-`` and ``_``, 1 to 64 of them."""
    return isinstance(value, str) and bool(_PROJECT_ID.fullmatch(value))


def is_uuid(value) -> bool:
    """A UUID in its dashed text form, any case (image and task ids, as Glance's schema
    pattern has them)."""
    return isinstance(value, str) and bool(_UUID.fullmatch(value))
