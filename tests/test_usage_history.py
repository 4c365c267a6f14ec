"""Usage over time: the worker's periodic job writes one sample per project a day."""

from datetime import UTC, datetime, timedelta

from catalog.models import UsageSample
from catalog.services import usage_history
from catalog.worker.jobs import PERIODIC
from tests.ui.conftest import give_data

DAY = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def test_the_job_is_registered_with_the_worker(settings):
    job = next(job for job in PERIODIC if job.run is usage_history.record_daily_samples)
    settings.CATALOG_USAGE_SAMPLE_INTERVAL = 1234
    assert job.interval() == 1234


def test_one_sample_per_project_a_day_refreshed_while_the_day_lasts(alice, bob, project_a):
    image = alice.create_image(name="x", disk_format="raw", container_format="bare")
    give_data(alice, image["id"], size=1000)
    assert usage_history.record_daily_samples(DAY) >= 2  # project-a and project-b
    sample = UsageSample.objects.get(project_id=project_a.id, day=DAY.date())
    assert (sample.stored_bytes, sample.image_count) == (1000, 1)
    alice.create_image(name="y")
    usage_history.record_daily_samples(DAY + timedelta(hours=5))
    assert UsageSample.objects.filter(project_id=project_a.id).count() == 1
    assert UsageSample.objects.get(project_id=project_a.id).image_count == 2
    usage_history.record_daily_samples(DAY + timedelta(days=1))
    days = [
        s.day for s in usage_history.history(project_a.id, today=(DAY + timedelta(days=1)).date())
    ]
    assert days == [DAY.date(), (DAY + timedelta(days=1)).date()]


def test_old_samples_are_dropped(project_a):
    UsageSample.objects.create(project_id=project_a.id, day=DAY.date() - timedelta(days=500))
    usage_history.record_daily_samples(DAY)
    assert not UsageSample.objects.filter(day__lt=DAY.date() - timedelta(days=400)).exists()
