"""The status transition table, walked pair by pair (no database)."""

import itertools

import pytest

from catalog.choices import ImageStatus as S
from catalog.domain import images as image_rules
from catalog.exceptions import BadRequest, InvalidTransition

ALLOWED = {
    (S.QUEUED, S.SAVING), (S.QUEUED, S.UPLOADING), (S.QUEUED, S.IMPORTING),
    (S.QUEUED, S.ACTIVE), (S.QUEUED, S.DELETED),
    (S.SAVING, S.ACTIVE), (S.SAVING, S.KILLED), (S.SAVING, S.DELETED), (S.SAVING, S.QUEUED),
    (S.UPLOADING, S.IMPORTING), (S.UPLOADING, S.QUEUED), (S.UPLOADING, S.DELETED),
    (S.IMPORTING, S.ACTIVE), (S.IMPORTING, S.DELETED), (S.IMPORTING, S.QUEUED),
    (S.ACTIVE, S.PENDING_DELETE), (S.ACTIVE, S.DELETED), (S.ACTIVE, S.DEACTIVATED),
    (S.KILLED, S.DELETED),
    (S.PENDING_DELETE, S.DELETED), (S.PENDING_DELETE, S.ACTIVE),
    (S.DEACTIVATED, S.ACTIVE), (S.DEACTIVATED, S.DELETED),
}  # fmt: skip


@pytest.mark.parametrize("current,target", list(itertools.product(S.values, S.values)))
def test_every_pair_follows_the_table(current, target):
    if (current, target) in ALLOWED:
        image_rules.check_transition(current, target, "raw", "bare")
    else:
        with pytest.raises(InvalidTransition) as caught:
            image_rules.check_transition(current, target, "raw", "bare")
        assert caught.value.message == (
            f"Image status transition from {current} to {target} is not allowed"
        )
        assert caught.value.status_code == 409


@pytest.mark.parametrize(
    "current,target",
    [
        (c, t)
        for c, t in ALLOWED
        if c in (S.QUEUED, S.UPLOADING) and t in (S.SAVING, S.ACTIVE, S.IMPORTING)
    ],
)
@pytest.mark.parametrize("formats", [(None, "bare"), ("raw", None), (None, None)])
def test_data_states_need_both_formats(current, target, formats):
    with pytest.raises(BadRequest, match="disk_format, container_format must be set"):
        image_rules.check_transition(current, target, *formats)


def test_going_back_to_queued_needs_no_formats():
    image_rules.check_transition(S.SAVING, S.QUEUED, None, None)
    image_rules.check_transition(S.QUEUED, S.DELETED, None, None)


def test_deleted_is_final():
    assert image_rules.TRANSITIONS[S.DELETED] == frozenset()
