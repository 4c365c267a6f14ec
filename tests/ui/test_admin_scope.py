"""Issue 15, finding 4: the Django admin is scoped. A staff account of project B that holds
every model permission sees and does in the admin only what the API lets B see and do; this
walks every registered changelist, change, history and delete page, inline and action over
other projects' objects. Superusers keep seeing everything."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from catalog.choices import Role
from catalog.identity.models import Membership, Project, Token
from catalog.models import Image, ImageMember, MetadefNamespace
from catalog.services import quotas
from tests.conftest import assert_status, make_persona
from tests.ui.conftest import give_data

SECRETS = ["secret-a", "falcon", "please-publish-secret", "secret-c", "Secret::A"]


@pytest.fixture
def world(alice, bob, admin):
    """Project A's objects of every kind, one image shared with B and C, C's private image."""
    dave = make_persona("dave", Project.objects.create(name="project-c"), Role.MEMBER)
    make_persona("bob-colleague", bob.project, Role.READER)
    secret = alice.create_image(
        name="secret-a",
        visibility="private",
        codename="falcon",
        disk_format="raw",
        container_format="bare",
    )
    give_data(alice, secret["id"])
    assert_status(
        alice.post(
            f"/v2/x-vitrine/images/{secret['id']}/publication-requests",
            {"message": "please-publish-secret"},
        ),
        201,
    )
    shared = alice.create_image(name="shared-a", visibility="shared", tags=["shared-tag"])
    for project in (bob.project_id, dave.project_id):
        assert_status(alice.post(f"/v2/images/{shared['id']}/members", {"member": project}), 200)
    dave.create_image(name="secret-c", visibility="private")
    quotas.set_project_quota(alice.project_id, image_count_total=7)
    for name, visibility in (("Secret::A", "private"), ("Shared::Public", "public")):
        namespace = {"namespace": name, "visibility": visibility, "owner": alice.project_id}
        assert_status(admin.post("/v2/metadefs/namespaces", namespace), 201)
    return {"secret": secret, "shared": shared, "dave": dave}


@pytest.fixture
def staff_b(bob):
    """bob (member of B) as a staff account with every permission of every admin page."""
    user = get_user_model().objects.get(username="bob")
    user.is_staff = True
    user.save()
    labels = {model._meta.app_label for model in admin.site._registry}
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=labels))
    client = Client()
    client.force_login(user)
    return client


def admin_url(model, suffix=""):
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


def snapshot():
    """Every row of every model the admin shows, to prove that nothing changed."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values_list()))
        for model in admin.site._registry
    }


def visible_rows(client, model):
    response = assert_status(client.get(admin_url(model)), 200)
    return response, {obj.pk for obj in response.context["cl"].result_list}


def test_every_admin_page_is_scoped_for_staff_of_another_project(staff_b, bob, world):
    bob_user = get_user_model().objects.get(username="bob")
    expected = {
        Image: {world["shared"]["id"]},
        ImageMember: set(
            ImageMember.objects.filter(
                image_id=world["shared"]["id"], member=bob.project_id
            ).values_list("pk", flat=True)
        ),
        Project: {bob.project_id},
        Membership: set(Membership.objects.filter(user=bob_user).values_list("pk", flat=True)),
        Token: set(Token.objects.filter(user=bob_user).values_list("pk", flat=True)),
        get_user_model(): {bob_user.pk},
        MetadefNamespace: set(
            MetadefNamespace.objects.filter(namespace="Shared::Public").values_list("pk", flat=True)
        ),
    }
    assert all(expected.values())
    before = snapshot()
    walked = 0
    for model in admin.site._registry:
        response, shown = visible_rows(staff_b, model)
        assert shown == expected.get(model, set()), model
        page = response.content.decode()
        assert not [s for s in SECRETS if s in page], model
        for obj in model._default_manager.all():
            pk = obj.pk
            status = 200 if pk in shown else 404
            assert_status(staff_b.get(admin_url(model, f"{pk}/change/")), status)
            assert_status(staff_b.get(admin_url(model, f"{pk}/history/")), status)
            if pk not in shown:
                assert_status(staff_b.get(admin_url(model, f"{pk}/delete/")), 404)
                assert_status(staff_b.post(admin_url(model, f"{pk}/change/"), {}), 404)
            walked += 1
        hidden = [o.pk for o in model._default_manager.all() if o.pk not in shown]
        form = response.context["action_form"]
        choices = form.fields["action"].choices if form and hidden else []
        for action, _ in choices:
            if not action:
                continue
            for extra in ({}, {"apply": "1", "reason": "walked"}, {"confirmed": "yes"}):
                staff_b.post(
                    admin_url(model),
                    {"action": action, "_selected_action": hidden, "index": 0, **extra},
                )
                walked += 1
    assert snapshot() == before
    assert walked > 40


def test_inlines_show_only_what_the_api_shows(staff_b, bob, world):
    page = staff_b.get(admin_url(Image, f"{world['shared']['id']}/change/"))
    text = assert_status(page, 200).content.decode()
    assert bob.project_id in text and "shared-tag" in text
    assert world["dave"].project_id not in text  # C's membership is A's and C's business
    project = assert_status(staff_b.get(admin_url(Project, f"{bob.project_id}/change/")), 200)
    assert "bob-colleague" not in project.content.decode()


def test_staff_of_b_cannot_change_identity_records(staff_b, bob):
    response = staff_b.get(admin_url(Project, f"{bob.project_id}/change/"))
    assert_status(response, 200)
    assert not response.context["has_change_permission"]
    assert_status(staff_b.get(admin_url(Project, "add/")), 403)


def test_superusers_still_see_everything(admin_web, world):
    _, shown = visible_rows(admin_web, Image)
    assert {world["secret"]["id"], world["shared"]["id"]} <= shown
    assert "secret-c" in assert_status(admin_web.get(admin_url(Image)), 200).content.decode()
