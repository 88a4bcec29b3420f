"""Side effects outside locks: Zoom is never called with a transaction open; claims and counts survive failures;
tasks retry as Celery does and say why when they give up."""

import logging
from datetime import timedelta

import pytest
import responses
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from tests.factories import RegistrationFactory
from zoom_integration import tasks
from zoom_integration.connection import oauth
from zoom_integration.connection.guard import ZoomCalledInTransaction
from zoom_integration.connection.selectors import connection_of
from zoom_integration.connection.tokens import connection_client
from zoom_integration.exceptions import ZoomRejected, ZoomUnavailable
from zoom_integration.models import MeetingStatus, RegistrantStatus, ZoomMeeting, ZoomRegistrant
from zoom_integration.scheduling import meetings, registrants

from .conftest import API
from .test_meetings import MEETING_ID, MEETINGS_URL, connected, ready_meeting, virtual_class, zoom_meeting_body  # noqa: F401

REGISTRANTS_URL = f"{API}/meetings/{MEETING_ID}/registrants"


@pytest.mark.django_db
def test_the_client_refuses_to_call_zoom_inside_a_transaction(connected, zoom):
    with pytest.raises(ZoomCalledInTransaction), transaction.atomic():
        connection_client(connection=connection_of(organization=connected.organization)).users_me()
    with pytest.raises(ZoomCalledInTransaction), transaction.atomic():
        oauth.token_refresh(refresh_token="refresh")
    assert len(zoom.calls) == 0, "nothing reached Zoom"


@pytest.mark.django_db
def test_meeting_create_answers_outside_any_transaction_and_leaves_no_claim(connected, virtual_class, zoom):
    zoom.add(responses.POST, MEETINGS_URL, json=zoom_meeting_body(), status=201)
    meeting = ZoomMeeting.objects.create(organization=connected.organization, class_session=virtual_class)
    meetings.meeting_create(meeting_pk=meeting.pk)  # the client's guard raises if a transaction is open
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.READY and meeting.create_claimed_until is None


@pytest.mark.django_db
def test_a_second_run_while_a_create_is_claimed_asks_zoom_nothing(connected, virtual_class, zoom):
    meeting = ZoomMeeting.objects.create(
        organization=connected.organization,
        class_session=virtual_class,
        create_claimed_until=timezone.now() + timedelta(minutes=2),
    )
    meetings.meeting_create(meeting_pk=meeting.pk)
    assert len(zoom.calls) == 0
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CREATING


@pytest.mark.django_db
def test_a_lapsed_claim_of_a_lost_worker_is_taken_again(connected, virtual_class, zoom):
    zoom.add(responses.POST, MEETINGS_URL, json=zoom_meeting_body(), status=201)
    meeting = ZoomMeeting.objects.create(
        organization=connected.organization,
        class_session=virtual_class,
        create_claimed_until=timezone.now() - timedelta(seconds=1),
    )
    meetings.meeting_create(meeting_pk=meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.READY and meeting.zoom_meeting_id == MEETING_ID


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 500])
def test_a_failed_add_still_counts_against_zoom_three_adds_a_day(connected, virtual_class, zoom, status):
    meeting = ready_meeting(virtual_class)
    registration = RegistrationFactory(class_session=virtual_class, status="confirmed")
    ZoomRegistrant.objects.create(
        organization=meeting.organization, meeting=meeting, registration=registration, status=RegistrantStatus.SYNCING
    )
    zoom.add(responses.POST, REGISTRANTS_URL, status=status, json={"code": 300, "message": "Zoom said no"})
    with pytest.raises((ZoomRejected, ZoomUnavailable)):
        registrants.registrant_sync(registration_pk=registration.pk)
    row = ZoomRegistrant.objects.get(registration=registration)
    assert (row.add_calls, row.add_calls_day) == (1, timezone.now().date())
    assert row.status == RegistrantStatus.FAILED and row.claimed_until is None


@pytest.mark.django_db
def test_a_student_claimed_by_another_writer_is_left_to_it(connected, virtual_class, zoom):
    meeting = ready_meeting(virtual_class)
    registration = RegistrationFactory(class_session=virtual_class, status="confirmed")
    ZoomRegistrant.objects.create(
        organization=meeting.organization,
        meeting=meeting,
        registration=registration,
        status=RegistrantStatus.SYNCING,
        claimed_until=timezone.now() + timedelta(minutes=1),
    )
    registrants.registrant_sync(registration_pk=registration.pk)
    assert len(zoom.calls) == 0
    assert ZoomRegistrant.objects.get(registration=registration).add_calls == 0


def test_zoom_tasks_are_retried_by_celery_with_backoff_and_jitter():
    task = tasks.meeting_create_task
    assert task.autoretry_for == (ZoomUnavailable,)
    assert (task.max_retries, task.retry_backoff, task.retry_jitter) == (5, 15, True)


@pytest.mark.django_db
def test_zoom_being_down_in_a_worker_is_retried_later(monkeypatch, connected, virtual_class, zoom):
    zoom.add(responses.POST, MEETINGS_URL, status=503, json={"code": 503, "message": "down"})
    meeting = ZoomMeeting.objects.create(organization=connected.organization, class_session=virtual_class)
    queued = []
    task = tasks.meeting_create_task
    monkeypatch.setattr(task, "apply_async", lambda *args, **options: queued.append(options))
    task.push_request(id="t1", retries=0, is_eager=False, called_directly=False, args=[meeting.pk], kwargs={})
    try:
        with pytest.raises(Retry):
            task.run(meeting.pk)
    finally:
        task.pop_request()
    assert len(queued) == 1 and 0 <= queued[0]["countdown"] <= 15


@pytest.mark.django_db
def test_a_task_that_gives_up_says_why(connected, zoom, caplog):
    zoom.add(responses.DELETE, f"{API}/meetings/{MEETING_ID}", status=400, json={"code": 300, "message": "Nope"})
    caplog.set_level(logging.WARNING, logger="zoom_integration.tasks")
    result = tasks.meeting_delete_task.apply(args=[connected.organization_id, MEETING_ID])
    assert result.failed()
    line = next(record.getMessage() for record in caplog.records if "gave up" in record.getMessage())
    assert "meeting_delete_task" in line and "ZoomRejected" in line
    assert f"org={connected.organization_id} zoom_meeting={MEETING_ID}" in line


@pytest.mark.django_db
def test_a_give_up_line_names_the_org_and_meeting_of_a_meeting_task(connected, virtual_class, caplog):
    meeting = ZoomMeeting.objects.create(
        organization=connected.organization, class_session=virtual_class, zoom_meeting_id=MEETING_ID
    )
    registration = RegistrationFactory(class_session=virtual_class)
    caplog.set_level(logging.WARNING, logger="zoom_integration.tasks")
    tasks.meeting_create_task.on_failure(ZoomUnavailable("down"), "t1", [meeting.pk], {}, None)
    tasks.registrant_sync_task.on_failure(ZoomUnavailable("down"), "t2", [], {"registration_pk": registration.pk}, None)
    lines = [record.getMessage() for record in caplog.records if "gave up" in record.getMessage()]
    assert len(lines) == 2
    assert all(f"org={connected.organization_id} zoom_meeting={MEETING_ID}" in line for line in lines), lines
