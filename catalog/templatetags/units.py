"""``{% load units %}``: ``{{ image.size|iec }}`` (catalog.reads.units, shared with the admin)."""

from django import template

from catalog.reads.units import iec_size

register = template.Library()


@register.filter
def iec(value):
    return iec_size(value)
