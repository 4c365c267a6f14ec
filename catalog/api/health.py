"""Health endpoints for load balancers, outside /v2 and without authentication.

``GET /healthcheck`` answers as Glance's (oslo.middleware's healthcheck): ``200 OK`` in
plain text while the process serves, ``503 DISABLED BY FILE`` while the file named by
``CATALOG_HEALTHCHECK_DISABLE_FILE`` exists (an operator drains a node by creating it). It
asks nothing else, so that a database outage does not make every node leave the pool at
once.

``GET /healthcheck/ready`` is ours (README, "Running a cluster"): 200 when the
database, the default store and the task queue answered within their timeout, 503
otherwise, with each part's answer in JSON. Never a 500.
"""

import os

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from catalog.reads import health, metrics


def _disabled() -> bool:
    path = settings.CATALOG_HEALTHCHECK_DISABLE_FILE
    return bool(path) and os.path.exists(path)


@require_safe
def healthcheck(request):
    if _disabled():
        return HttpResponse("DISABLED BY FILE", status=503, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


@require_safe
def ready(request):
    if _disabled():
        return JsonResponse({"status": "disabled", "checks": {}}, status=503)
    ok, checks = health.readiness()
    return JsonResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503
    )


@require_safe
def metrics_view(request):
    """Prometheus' scrape (``CATALOG_METRICS``); a 404 when off. Keep it off the public
    endpoint: deploy/vitrine.nginx does not pass it on."""
    if not settings.CATALOG_METRICS:
        return JsonResponse(
            {"error": {"code": 404, "message": "Not Found", "details": ""}}, status=404
        )
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE)
