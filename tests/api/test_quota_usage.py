"""The storage quota arithmetic over real image rows."""

from catalog.models import Image
from catalog.services import quotas


def test_storage_usage_counts_live_images_of_the_owner_only(alice, bob, settings):
    settings.CATALOG_USER_STORAGE_QUOTA = 1000
    a1, a2, a3 = (alice.create_image()["id"] for _ in range(3))
    b1 = bob.create_image()["id"]
    Image.objects.filter(pk=a1).update(size=100, status="active")
    Image.objects.filter(pk=a2).update(size=200, status="active")
    Image.objects.filter(pk=a3).update(size=400, status="deleted", deleted=True)
    Image.objects.filter(pk=b1).update(size=999, status="active")
    assert quotas.storage_used(alice.project_id) == 300
    assert quotas.storage_used(alice.project_id, exclude_image_id=a1) == 200
    assert quotas.storage_remaining(alice.project_id) == 700
    Image.objects.filter(pk=a2).update(size=5000)
    assert quotas.storage_remaining(alice.project_id) == 0


def test_zero_means_unlimited(alice, settings):
    settings.CATALOG_USER_STORAGE_QUOTA = 0
    assert quotas.storage_remaining(alice.project_id) is None
