"""``GET /v2/images`` filters: a django-filter FilterSet built from the property table.

Each attribute's ``filter`` kind in ``catalog.properties`` picks a filter class here, so a new
filterable attribute needs no code. Values are parsed by ``catalog.domain.listing`` (Glance's syntax
and messages); every malformed value is a 400, never a 500 (Glance crashes on
``foo_min=1``: docs/glance-differences.md#unknown-range-filter).
"""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict

from catalog import properties as props
from catalog.domain import listing
from catalog.exceptions import BadRequest
from catalog.models import Image, ImageProperty, ImageTag


class ParsedFilter(django_filters.Filter):
    """A filter that parses its raw value itself and applies only when the key was sent
    (None when absent, ``""`` when empty: a 400 for most filters)."""

    def raw_value(self, data, name: str):
        return data.get(name)

    def filter(self, qs, value):
        if value is None:
            return qs
        return self.apply(qs, value)

    def apply(self, qs, value):
        raise NotImplementedError


class ValueOpFilter(ParsedFilter):
    """``[eq:|in:]value`` (name, id, status, container_format, disk_format)."""

    def apply(self, qs, value):
        values = listing.parse_value_filter(value)
        if len(values) == 1:
            return qs.filter(**{self.field_name: values[0]})
        return qs.filter(**{f"{self.field_name}__in": values})


class ExactFilter(ParsedFilter):
    """Column equality (owner, checksum, os_hash_value, size, min_ram, ...)."""

    def __init__(self, *args, integer=False, **kwargs):
        self.integer = integer
        super().__init__(*args, **kwargs)

    def apply(self, qs, value):
        if self.integer:
            value = listing.parse_int_value(self.field_name, value)
        return qs.filter(**{self.field_name: value})


class BooleanFilter(ParsedFilter):
    def __init__(self, *args, case_sensitive=True, default=None, **kwargs):
        self.case_sensitive = case_sensitive
        self.default = default
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs if self.default is None else qs.filter(**{self.field_name: self.default})
        return self.apply(qs, value)

    def apply(self, qs, value):
        flag = listing.parse_bool_filter(self.field_name, value, case_sensitive=self.case_sensitive)
        return qs.filter(**{self.field_name: flag})


class TimeFilter(ParsedFilter):
    """``[gt|gte|lt|lte|eq|neq:]ISO8601`` on created_at / updated_at."""

    def apply(self, qs, value):
        op, moment = listing.parse_time_filter(self.field_name, value)
        low, high = listing.second_bounds(op, moment)
        condition = Q()
        if low is not None:
            condition &= Q(**{f"{self.field_name}__gte": low})
        if high is not None:
            condition &= Q(**{f"{self.field_name}__lt": high})
        return qs.exclude(condition) if op == "neq" else qs.filter(condition)


class RangeFilter(ParsedFilter):
    """``<column>_min`` / ``<column>_max``: inclusive bounds on an integer column."""

    def apply(self, qs, value):
        return qs.filter(
            **{f"{self.field_name}__{self.lookup_expr}": listing.parse_range_value(value)}
        )


class TagFilter(django_filters.Filter):
    """Repeatable ``tag``: the image must carry every one (AND, as Glance)."""

    def raw_value(self, data, name: str):
        return data.getlist(name)

    def filter(self, qs, value):
        for tag in value:
            qs = qs.filter(Exists(ImageTag.objects.filter(image=OuterRef("pk"), value=tag)))
        return qs


def _attribute_filters() -> dict[str, django_filters.Filter]:
    filters: dict[str, django_filters.Filter] = {}
    for attribute in props.BASE_ATTRIBUTES:
        name, kind = attribute.name, attribute.filter
        if kind == "op":
            filters[name] = ValueOpFilter(field_name=name)
        elif kind == "exact":
            filters[name] = ExactFilter(field_name=name, integer=_is_integer(attribute))
        elif kind == "bool":
            filters[name] = BooleanFilter(field_name=name)
        elif kind == "time":
            filters[name] = TimeFilter(field_name=name)
    for column in listing.integer_columns():
        filters[f"{column}_min"] = RangeFilter(field_name=column, lookup_expr="gte")
        filters[f"{column}_max"] = RangeFilter(field_name=column, lookup_expr="lte")
    # Hidden images are listed only when asked for, and then only them (Glance).
    filters["os_hidden"] = BooleanFilter(
        field_name="os_hidden", case_sensitive=False, default=False
    )
    filters["tag"] = TagFilter()
    return filters


def _is_integer(attribute: props.Attribute) -> bool:
    return attribute.name in listing.integer_columns()


# Keys handled outside the FilterSet: paging, sorting and the visibility rules (policy).
NOT_FILTERS = listing.CONTROL_PARAMS | {"visibility"}


class ImageFilterSet(django_filters.FilterSet):
    """Every filter of ``GET /v2/images``, ANDed. Any other key is an exact match on a custom
    property of that name."""

    class Meta:
        model = Image
        fields: list[str] = []

    # django-filter deep-copies every filter and builds a form class per request (2.4 ms of
    # a 5.5 ms page in bench/list.py). These filters keep no per-request state and read the
    # raw query values themselves (the form would only turn "absent" and "empty" into the
    # same None), so the filters are shared and the form is skipped.
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        self.is_bound = data is not None
        self.data = data if data is not None else QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = self.base_filters

    def is_valid(self) -> bool:
        return self.is_bound

    @property
    def errors(self) -> dict:
        return {}

    def filter_queryset(self, queryset):
        if "changes-since" in self.data:
            raise BadRequest('The "changes-since" filter is no longer available on v2.')
        for name, declared in self.filters.items():
            queryset = declared.filter(queryset, declared.raw_value(self.data, name))
        for key in self.data:
            if key in self.filters or key in NOT_FILTERS:
                continue
            queryset = queryset.filter(self._custom_property_condition(key))
        return queryset

    def _custom_property_condition(self, key: str) -> Q:
        range_key = listing.range_column(key)
        if range_key is not None:
            raise BadRequest(
                f"Unable to filter on a range of '{range_key[0]}': only integer attributes "
                f"({', '.join(listing.integer_columns())}) have ranges."
            )
        if props.is_base_attribute(key):
            raise BadRequest(f"Unable to filter by '{key}'.")
        condition = Q()
        for value in self.data.getlist(key):
            condition &= Q(
                Exists(ImageProperty.objects.filter(image=OuterRef("pk"), name=key, value=value))
            )
        return condition


# Declared from the property table once, at import (FilterSet copies them per request).
ImageFilterSet.base_filters.update(_attribute_filters())
