"""Content negotiation that never answers 406.

Glance ignores the Accept header: its routes answer JSON (or the image data) whatever the
client asks for. Clients rely on that: openstacksdk uploads image data with an empty
``Accept:`` header and downloads it with ``Accept: application/octet-stream``, both of which
DRF's default negotiation refuses with 406 (found by tests/e2e).
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class IgnoreAcceptNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
