"""The URL table of bench/data.py's server: the catalog's own routes plus one minimal
authenticated view, the baseline that ``GET /v2/images?limit=25`` is compared with.

The view goes through everything every API request pays for (the middleware stack, DRF
dispatch, the token lookup, the permission check, JSON rendering) and does nothing else.
Only the benchmark's server loads it (``ROOT_URLCONF`` from bench/minimal_settings.py).
"""

from django.http import JsonResponse
from django.urls import path
from rest_framework.views import APIView

from config.urls import *  # noqa: F403 (the handlers too)
from config.urls import urlpatterns as catalog_urlpatterns


class MinimalView(APIView):
    """Authenticated (the API's default classes) and empty."""

    def get(self, request):
        return JsonResponse({"project": request.auth.project_id})


urlpatterns = [path("bench/minimal", MinimalView.as_view()), *catalog_urlpatterns]
