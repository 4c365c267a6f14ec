"""Prometheus metrics (``CATALOG_METRICS=true``), through the maintained ``prometheus_client``.

Requests by method and status class, their latency, bytes received and sent (from the API
middleware, catalog/api/middleware.py), the task queue's depth (asked at scrape time, with the
readiness probe's query) and the recovery sweep's take-overs by kind (counted by the worker).

Gunicorn runs several processes: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder of the
node (prometheus_client's multiprocess mode) and every process of the node, its workers
included, reports into one scrape of ``GET /metrics``. Without it a scrape sees the process
that answered it only.
"""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from catalog.reads import health

REQUESTS = Counter("vitrine_http_requests_total", "HTTP requests answered", ["method", "status"])
LATENCY = Histogram(
    "vitrine_http_request_duration_seconds",
    "Time to the response's headers (a download's body streams after)",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120),
)
BYTES_IN = Counter("vitrine_http_received_bytes_total", "Request body bytes (Content-Length)")
BYTES_OUT = Counter("vitrine_http_sent_bytes_total", "Response body bytes")
RECOVERIES = Counter(
    "vitrine_recoveries_total", "Dead writes taken over by the recovery sweep", ["kind"]
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class QueueDepth:
    """The queue's waiting jobs, asked when scraped (a gauge nobody has to keep current)."""

    def collect(self):
        gauge = GaugeMetricFamily("vitrine_queue_depth", "Jobs waiting in the task queue")
        try:
            gauge.add_metric([], health.queue_depth())
        except Exception:  # the queue is down: the metric is absent, the scrape still works
            return
        yield gauge


def count_recoveries(outcome: dict) -> None:
    for kind, count in outcome.items():
        if count:
            RECOVERIES.labels(kind=kind).inc(count)


def exposition() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, BYTES_IN, BYTES_OUT, RECOVERIES):
            registry.register(metric)
    registry.register(QueueDepth())
    return generate_latest(registry)
