"""Pure rules of ``GET /v2/images`` parameters: parsing and validation, Glance's messages.

No ORM here: ``catalog.reads.filters`` turns the parsed values into querysets, and
``catalog.reads.pagination`` applies the sort order and the marker.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from catalog import properties as props
from catalog.choices import MemberStatus, Visibility
from catalog.exceptions import BadRequest

ASC, DESC = "asc", "desc"
MEMBER_STATUS_ALL = "all"
VISIBILITY_ALL = "all"
# Query keys that are not filters (Glance's RequestDeserializer.index pops these).
CONTROL_PARAMS = frozenset({"limit", "marker", "member_status", "sort", "sort_key", "sort_dir"})
TIE_BREAKERS = ("created_at", "id")
TIME_OPS = frozenset({"gt", "gte", "lt", "lte", "eq", "neq"})
VALUE_OPS = frozenset({"eq", "in"})


def check_query_text(query) -> None:
    """Refuse NUL anywhere in the query: PostgreSQL cannot compare with it (a 500 if it got
    that far)."""
    for key, values in query.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise BadRequest("Query parameters can't contain NUL characters.")


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """The page size: Glance's messages for junk, a silent clamp to ``maximum``."""
    if raw is None:
        return min(default, maximum)
    try:
        limit = int(raw)
    except ValueError:
        raise BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise BadRequest("limit param must be positive")
    return min(limit, maximum)


def parse_member_status(raw: str | None) -> str:
    if raw is None:
        return MemberStatus.ACCEPTED
    if raw != MEMBER_STATUS_ALL and raw not in MemberStatus.values:
        raise BadRequest(f"Invalid status: {raw}")
    return raw


def parse_visibility(raw: str | None) -> str | None:
    """None when absent (the default community rule applies), else a value or ``all``."""
    if raw is None:
        return None
    if raw != VISIBILITY_ALL and raw not in Visibility.values:
        raise BadRequest(f"Invalid visibility value: {raw}")
    return raw


def parse_bool_filter(name: str, raw: str, *, case_sensitive: bool) -> bool:
    """``true``/``false``. Glance compares ``protected`` case-sensitively and ``os_hidden``
    case-insensitively; we keep both quirks so that the same URLs give the same answers."""
    value = raw if case_sensitive else raw.lower()
    if value in ("true", "false"):
        return value == "true"
    raise BadRequest(
        f"Invalid value '{raw}' for '{name}' filter. Valid values are 'true' or 'false'."
    )


def parse_int_value(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(
            f"Invalid value '{raw}' for '{name}' filter: an integer is required."
        ) from None


def parse_range_value(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadRequest("Unable to filter on a range with a non-numeric value.") from None


# --- [op:]value syntax ---------------------------------------------------------------------


def parse_isotime(raw: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive input is taken as UTC)."""
    text = raw.strip()
    if not text or text[0] not in "0123456789":
        raise ValueError(raw)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def split_filter_op(expression: str) -> tuple[str, str]:
    """``op:value`` -> (op, value); no colon means ``eq``. A bare timestamp (which contains
    colons) is an ``eq`` too. So a name with a colon must be written ``eq:a:b``, as in Glance
    (docs/glance-differences.md#colon-in-filter-values)."""
    op, sep, value = expression.partition(":")
    if not sep:
        return "eq", expression
    try:
        parse_isotime(expression)
    except (ValueError, OverflowError):
        return op, value
    return "eq", expression


def split_quoted_list(value: str) -> list[str]:
    """Split an ``in:`` list on commas. An item may be double-quoted to contain commas, and
    ``\\"`` is a literal quote inside quotes. Malformed quoting is a 400 (Glance's rules)."""
    items: list[str] = []
    position, length = 0, len(value)
    while True:
        if position < length and value[position] == '"':
            item, position = _read_quoted(value, position)
            items.append(item)
            if position == length:
                return items
            if value[position] != ",":
                raise BadRequest(
                    f"Invalid filter value {value}. There is no comma after closing quotation mark."
                )
            position += 1
            continue
        comma = value.find(",", position)
        end = length if comma < 0 else comma
        item = value[position:end]
        if '"' in item:
            raise BadRequest(
                f"Invalid filter value {value}. There is no comma before opening quotation mark."
            )
        items.append(item)
        if comma < 0:
            return items
        position = comma + 1


def _read_quoted(value: str, start: int) -> tuple[str, int]:
    """The text of the quoted item opening at ``start``, and the index after its close."""
    chars: list[str] = []
    position = start + 1
    while position < len(value):
        char = value[position]
        if char == "\\" and value[position + 1 : position + 2] == '"':
            chars.append('"')
            position += 2
            continue
        if char == '"':
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    raise BadRequest(f"Invalid filter value {value}. The quote is not closed.")


def parse_value_filter(raw: str) -> list[str]:
    """``[eq:|in:]value`` -> the accepted values (one for ``eq``)."""
    op, value = split_filter_op(raw)
    if op == "eq":
        return [value]
    if op == "in":
        return split_quoted_list(value)
    raise BadRequest(f"Unable to filter by unknown operator '{op}'.")


def parse_time_filter(name: str, raw: str) -> tuple[str, datetime]:
    """``[gt|gte|lt|lte|eq|neq:]ISO8601`` -> (op, moment)."""
    op, value = split_filter_op(raw)
    if op not in TIME_OPS:
        raise BadRequest("Unable to filter on a unknown operator.")
    try:
        return op, parse_isotime(value)
    except (ValueError, OverflowError):
        raise BadRequest(
            f'Bad "{name}" query filter format. Use ISO 8601 DateTime notation.'
        ) from None


def second_bounds(op: str, moment: datetime) -> tuple[datetime | None, datetime | None]:
    """The stored-time range ``[low, high)`` an ``op:moment`` time filter selects.

    Times are stored to the microsecond (so "newest first" holds within a second) but the
    wire shows whole seconds, so a filter compares the second the client sees: ``eq:T``
    matches every row created during that second, ``lte:T`` includes it all, ``gt:T``
    starts at the next one (docs/glance-differences.md#time-filters-by-second). ``neq`` is
    the complement of ``eq``. ``None`` is an open end; ``(low, low)`` selects nothing.
    """
    floor = moment.replace(microsecond=0)
    one = timedelta(seconds=1)
    whole = floor == moment
    ceiling = floor if whole else floor + one
    bounds = {
        "gte": (ceiling, None),
        "gt": (floor + one, None),
        "lt": (None, ceiling),
        "lte": (None, floor + one),
        "eq": (floor, floor + one) if whole else (floor, floor),
    }
    return bounds["eq" if op == "neq" else op]


def range_column(key: str) -> tuple[str, str] | None:
    """``size_min`` -> ("size", "min"); None when ``key`` is not a range key at all."""
    for suffix in ("_min", "_max"):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)], suffix[1:]
    return None


def integer_columns() -> tuple[str, ...]:
    """Base attributes stored as integers: the ones ``<column>_min``/``_max`` apply to."""
    return tuple(
        a.name
        for a in props.BASE_ATTRIBUTES
        if "integer" in _types(a.schema) and a.filter is not None
    )


def _types(schema: dict) -> tuple[str, ...]:
    kind = schema.get("type", ())
    return (kind,) if isinstance(kind, str) else tuple(kind)


# --- Sorting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    key: str
    direction: str

    @property
    def descending(self) -> bool:
        return self.direction == DESC


def _check_sort_key(key: str) -> str:
    if key not in props.SORT_KEYS:
        raise BadRequest(
            f"Invalid sort key: {key}. It must be one of the following: "
            f"{', '.join(props.SORT_KEYS)}."
        )
    return key


def _check_sort_dir(direction: str) -> str:
    if direction not in (ASC, DESC):
        raise BadRequest(f"Invalid sort direction: {direction}")
    return direction


def parse_sort(sort: list[str], sort_keys: list[str], sort_dirs: list[str]) -> tuple[SortKey, ...]:
    """Both of Glance's sort syntaxes -> the full order, tie-breakers appended.

    Classic: ``sort_key`` (repeatable) with none, one or as many ``sort_dir``. New:
    ``sort=key[:dir],...``. A missing direction is ``desc``. ``created_at`` then ``id`` are
    appended when absent, in the single direction given or else ``desc``, so that the order
    is total and markers are stable.
    """
    if sort and (sort_keys or sort_dirs):
        raise BadRequest("Old and new sorting syntax cannot be combined")
    if sort:
        keys, dirs = [], []
        for part in ",".join(sort).split(","):
            key, _, direction = part.strip().partition(":")
            keys.append(_check_sort_key(key.strip()))
            dirs.append(_check_sort_dir(direction.strip() or DESC))
        default = dirs[0] if len(dirs) == 1 else DESC
    else:
        keys = [_check_sort_key(k.strip()) for k in sort_keys] or ["created_at"]
        dirs = [_check_sort_dir(d.strip()) for d in sort_dirs]
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise BadRequest("Number of sort dirs does not match the number of sort keys")
        default = dirs[0] if len(dirs) == 1 else DESC
        dirs = dirs * len(keys) if len(dirs) == 1 else (dirs or [DESC] * len(keys))
    order = [SortKey(k, d) for k, d in zip(keys, dirs, strict=True)]
    seen = set(keys)
    for key in TIE_BREAKERS:
        if key not in seen:
            order.append(SortKey(key, default))
    return tuple(order)
