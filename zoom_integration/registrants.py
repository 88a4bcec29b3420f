"""Pre-registering confirmed students as Zoom meeting registrants, each with a unique join link.

Zoom allows only 3 add-registrant calls per registrant per day and keeps
cancelled registrants, so a registrant Zoom already has is never added again:
it is adopted (found in Zoom's list) or re-approved by its id.
"""

import logging
import secrets
import time
from contextlib import contextmanager
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from courses.extensions import JoinInfo
from courses.models import Registration, RegistrationStatus
from courses.services import registration_confirmation_send

from . import selectors
from .constants import (
    BATCH_REGISTRANTS_MAX,
    FEATURE_REGISTRANTS,
    REGISTRANT_ADDS_PER_DAY,
    REGISTRANT_STATUS_BATCH_MAX,
    REGISTRANTS_LOCK_SECONDS,
    REGISTRANTS_LOCK_WAIT_SECONDS,
    SYNC_STALE_AFTER,
)
from .exceptions import ZoomError, ZoomNotFound, ZoomRateLimited, ZoomUnavailable
from .models import MeetingStatus, RegistrantStatus, SyncStatus, ZoomMeeting, ZoomRegistrant
from . import services

logger = logging.getLogger(__name__)


class RegistrantsBusy(ZoomError):
    """Another sync of this meeting's registrants held the lock for too long."""

    default_message = "Another sync of this class's students is still running; this one will run after it."


@contextmanager
def _registrants_lock(meeting_pk):
    """One writer of a meeting's registrants at a time (Sync now, the per-student task, a replacement).

    Without it two syncs could both find a student missing on Zoom and both add them,
    spending Zoom's 3 adds per registrant per day. A cache lock works across processes.
    """
    key = f"zoom-registrants-lock:{meeting_pk}"
    token = secrets.token_hex(8)
    deadline = time.monotonic() + REGISTRANTS_LOCK_WAIT_SECONDS
    while not cache.add(key, token, timeout=REGISTRANTS_LOCK_SECONDS):
        if time.monotonic() > deadline:
            raise RegistrantsBusy()
        time.sleep(0.2)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)

SCHEDULED_MEETING = 2


def _registration_ready_meeting(class_session_id):
    """The class's meeting when students can be pre-registered on it now, else None."""
    meeting = (
        ZoomMeeting.objects.select_related("organization")
        .filter(class_session_id=class_session_id, status=MeetingStatus.READY, registration_enabled=True)
        .first()
    )
    if meeting is None:
        return None
    connection = selectors.connection_of(organization=meeting.organization)
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_REGISTRANTS):
        return None
    return meeting


def registrant_takes_confirmation(*, registration):
    """Confirmation deferrer: a class with a Zoom meeting emails the confirmation once the unique link exists."""
    return _registration_ready_meeting(registration.class_session_id) is not None


def registrant_enqueue(*, registration):
    """A registration was confirmed: pre-register it on the class's meeting, in a task."""
    from .tasks import registrant_sync_task

    meeting = _registration_ready_meeting(registration.class_session_id)
    if meeting is None:
        return None
    registrant, _ = ZoomRegistrant.objects.get_or_create(
        registration=registration, defaults={"meeting": meeting, "organization": meeting.organization}
    )
    if registrant.meeting_id != meeting.pk:
        registrant.meeting = meeting
        registrant.registrant_id = registrant.join_url = ""
    registrant.status = RegistrantStatus.SYNCING
    registrant.error = ""
    registrant.save()
    transaction.on_commit(lambda: registrant_sync_task.delay(registration.pk))
    return registrant


def _claim_add_call(registrant, today):
    """Count an add-registrant call against Zoom's 3-a-day limit; False when none is left today."""
    if registrant.add_calls_day != today:
        registrant.add_calls_day, registrant.add_calls = today, 0
    if registrant.add_calls >= REGISTRANT_ADDS_PER_DAY:
        return False
    registrant.add_calls += 1
    return True


DAILY_LIMIT_MESSAGE = (
    "Zoom allows 3 registration attempts per student per day; this student will be registered by Sync now tomorrow."
)


def registrant_sync(*, registration_pk, final_attempt=False):
    """Register one confirmed student on Zoom (task body), then email their unique link.

    When Zoom stays unreachable on the final attempt, the student still gets a
    confirmation with the meeting's general link, and the unique one follows
    once a later sync succeeds.
    """
    registration = (
        Registration.objects.select_related("class_session__course", "class_session__organization")
        .filter(pk=registration_pk)
        .first()
    )
    if registration is None:
        return None
    registrant = ZoomRegistrant.objects.select_related("meeting").filter(registration=registration).first()
    if registrant is None or not registration.is_confirmed:
        return registrant
    meeting = registrant.meeting
    client = services.connection_client(organization=meeting.organization)
    try:
        with _registrants_lock(meeting.pk), transaction.atomic():
            registrant = ZoomRegistrant.objects.select_for_update().select_related("meeting").get(pk=registrant.pk)
            if registrant.status == RegistrantStatus.SYNCED and registrant.join_url:
                return registrant
            if registrant.registrant_id:
                client.registrants_status_update(
                    meeting_id=meeting.zoom_meeting_id, action="approve", registrants=[{"id": registrant.registrant_id}]
                )
            else:
                if not _claim_add_call(registrant, timezone.now().date()):
                    registrant.status, registrant.error = RegistrantStatus.FAILED, DAILY_LIMIT_MESSAGE
                    registrant.save()
                    _confirm_with_general_link(registration, meeting)
                    return registrant
                registrant.save(update_fields=["add_calls_day", "add_calls"])
                added = client.registrant_add(
                    meeting_id=meeting.zoom_meeting_id,
                    body={
                        "email": registration.email,
                        "first_name": registration.first_name,
                        "last_name": registration.last_name,
                        "auto_approve": True,
                    },
                )
                registrant.registrant_id = added["registrant_id"]
                registrant.join_url = added.get("join_url", "")
            registrant.status = RegistrantStatus.SYNCED
            registrant.error = ""
            registrant.synced_at = timezone.now()
            registrant.save()
    except ZoomError as error:
        registrant.status = RegistrantStatus.FAILED
        registrant.error = error.user_message
        registrant.save(update_fields=["status", "error", "updated_at"])
        # A transient failure is retried by the task first; the student is not kept waiting forever.
        if final_attempt or not isinstance(error, (ZoomUnavailable, ZoomRateLimited)):
            _confirm_with_general_link(registration, meeting)
        raise
    registrants_email_links(registrants=[registrant])
    return registrant


def _confirm_with_general_link(registration, meeting):
    """The confirmation goes out with the meeting's general link when no unique link could be had."""
    registrant = ZoomRegistrant.objects.filter(registration=registration).first()
    if registrant is None or registrant.confirmation_sent_at:
        return
    registration_confirmation_send(registration=registration, join_info=_general_join_info(meeting))
    ZoomRegistrant.objects.filter(pk=registrant.pk).update(confirmation_sent_at=timezone.now())


def _general_join_info(meeting):
    return JoinInfo(url=meeting.join_url, meeting_id=meeting.formatted_meeting_id, passcode=meeting.password)


def registrants_email_links(*, registrants):
    """Email each student whose unique link they have not had yet: the confirmation, or a follow-up."""
    due = [registrant for registrant in registrants if registrant.join_url and not registrant.link_emailed_at]
    if not due:
        return 0
    registrations = {
        registration.pk: registration
        for registration in Registration.objects.filter(
            pk__in=[registrant.registration_id for registrant in due], status=RegistrationStatus.CONFIRMED
        ).select_related("class_session__course", "class_session__organization")
    }
    now = timezone.now()
    sent = []
    for registrant in due:
        registration = registrations.get(registrant.registration_id)
        if registration is None:
            continue
        join_info = JoinInfo(
            url=registrant.join_url,
            meeting_id=registrant.meeting.formatted_meeting_id,
            passcode=registrant.meeting.password,
            personal=True,
        )
        template = "registration_join_link" if registrant.confirmation_sent_at else "registration_confirmed"
        registration_confirmation_send(registration=registration, join_info=join_info, template=template)
        sent.append(registrant.pk)
    ZoomRegistrant.objects.filter(pk__in=sent).update(link_emailed_at=now, confirmation_sent_at=now)
    return len(sent)


def registrant_cancel(*, registration_pk):
    """A cancelled registration cancels its registrant on Zoom (task body)."""
    registrant = (
        ZoomRegistrant.objects.select_related("meeting__organization", "registration").filter(registration_id=registration_pk).first()
    )
    if registrant is None or registrant.registration.is_confirmed:
        return registrant
    if registrant.registrant_id and registrant.meeting.is_ready:
        try:
            services.connection_client(organization=registrant.meeting.organization).registrants_status_update(
                meeting_id=registrant.meeting.zoom_meeting_id, action="cancel", registrants=[{"id": registrant.registrant_id}]
            )
        except ZoomNotFound:
            logger.info("registrant or meeting already gone on Zoom")
    registrant.status = RegistrantStatus.CANCELLED
    registrant.link_emailed_at = None
    registrant.save(update_fields=["status", "link_emailed_at", "updated_at"])
    return registrant


def registrants_reset(*, meeting_pk):
    """After a new meeting ID, every student must be registered (and emailed) again."""
    ZoomRegistrant.objects.filter(meeting_id=meeting_pk).update(
        registrant_id="", join_url="", status=RegistrantStatus.PENDING, error="", synced_at=None, link_emailed_at=None
    )


# Sync now --------------------------------------------------------------------------


def registrants_sync_request(*, meeting):
    """Start Sync now unless one is already running (then the running one covers it)."""
    from .tasks import registrants_sync_task

    with transaction.atomic():
        meeting = ZoomMeeting.objects.select_for_update().get(pk=meeting.pk)
        running = meeting.sync_status == SyncStatus.RUNNING and meeting.sync_started_at and (
            timezone.now() - meeting.sync_started_at < SYNC_STALE_AFTER
        )
        if running:
            return False
        meeting.sync_status = SyncStatus.RUNNING
        meeting.sync_started_at = timezone.now()
        meeting.sync_finished_at = None
        meeting.save(update_fields=["sync_status", "sync_started_at", "sync_finished_at", "updated_at"])
        transaction.on_commit(lambda: registrants_sync_task.delay(meeting.pk))
    return True


def _prepare_rows(meeting):
    """One registrant row per confirmed registration of the class, created as pending where missing."""
    confirmed = Registration.objects.filter(
        class_session_id=meeting.class_session_id, status=RegistrationStatus.CONFIRMED, zoom_registrant__isnull=True
    ).only("pk")
    ZoomRegistrant.objects.bulk_create(
        [ZoomRegistrant(organization=meeting.organization, meeting=meeting, registration=registration) for registration in confirmed],
        ignore_conflicts=True,
    )
    return list(ZoomRegistrant.objects.filter(meeting=meeting).select_related("registration", "meeting"))


def registrants_sync(*, meeting_pk):
    with _registrants_lock(meeting_pk):
        return _registrants_sync(meeting_pk=meeting_pk)


def _registrants_sync(*, meeting_pk):
    """Sync now (task body): back-fill and re-sync every confirmed student, batched as Zoom allows.

    Idempotent: registrants Zoom already has are adopted from its list, never
    added again; running it twice, or beside the per-registration task, makes
    no duplicate.
    """
    meeting = ZoomMeeting.objects.select_related("organization", "class_session").get(pk=meeting_pk)
    try:
        client = services.connection_client(organization=meeting.organization)
        rows = _prepare_rows(meeting)
        confirmed = [row for row in rows if row.registration.is_confirmed]
        cancelled = [row for row in rows if not row.registration.is_confirmed and row.registrant_id and row.status != RegistrantStatus.CANCELLED]
        to_link = [row for row in confirmed if not (row.status == RegistrantStatus.SYNCED and row.join_url)]

        if to_link:
            on_zoom = {
                (item.get("email") or "").lower(): item
                for item in client.registrants_list(meeting_id=meeting.zoom_meeting_id, status="approved")
            }
            for row in to_link:
                found = on_zoom.get(row.registration.email.lower())
                if found and found.get("join_url"):
                    _mark_synced(row, found["id"], found["join_url"])
            # Registrants Zoom keeps as cancelled are approved again, never re-added.
            to_approve = [row for row in to_link if row.status != RegistrantStatus.SYNCED and row.registrant_id]
            for chunk in _chunks(to_approve, REGISTRANT_STATUS_BATCH_MAX):
                client.registrants_status_update(
                    meeting_id=meeting.zoom_meeting_id, action="approve", registrants=[{"id": row.registrant_id} for row in chunk]
                )
                for row in chunk:
                    _mark_synced(row, row.registrant_id, row.join_url)
            to_add = [row for row in to_link if row.status != RegistrantStatus.SYNCED and not row.registrant_id]
            _add_registrants(client, meeting, to_add)

        for chunk in _chunks(cancelled, REGISTRANT_STATUS_BATCH_MAX):
            client.registrants_status_update(
                meeting_id=meeting.zoom_meeting_id, action="cancel", registrants=[{"id": row.registrant_id} for row in chunk]
            )
            for row in chunk:
                row.status, row.error = RegistrantStatus.CANCELLED, ""
    except ZoomNotFound:
        from .meetings import meeting_mark_deleted_on_zoom

        meeting_mark_deleted_on_zoom(meeting=meeting)
        _finish(meeting, rows=[], status=SyncStatus.FAILED)
        return meeting
    except ZoomError as error:
        _finish(meeting, rows=locals().get("rows", []), status=SyncStatus.FAILED, error=error)
        raise
    _finish(meeting, rows=rows, status=SyncStatus.DONE)
    registrants_email_links(registrants=[row for row in rows if row.status == RegistrantStatus.SYNCED])
    return meeting


def _add_registrants(client, meeting, rows):
    today = timezone.now().date()
    allowed = []
    for row in rows:
        if _claim_add_call(row, today):
            allowed.append(row)
        else:
            row.status, row.error = RegistrantStatus.FAILED, DAILY_LIMIT_MESSAGE
    ZoomRegistrant.objects.bulk_update(allowed, ["add_calls_day", "add_calls"])
    if meeting.meeting_type == SCHEDULED_MEETING:
        for chunk in _chunks(allowed, BATCH_REGISTRANTS_MAX):
            answer = client.registrants_batch_add(
                meeting_id=meeting.zoom_meeting_id,
                body={
                    "auto_approve": True,
                    "registrants_confirmation_email": False,
                    "registrants": [_person(row.registration) for row in chunk],
                },
            )
            by_email = {(item.get("email") or "").lower(): item for item in answer.get("registrants", [])}
            for row in chunk:
                item = by_email.get(row.registration.email.lower())
                if item and item.get("join_url"):
                    _mark_synced(row, item["registrant_id"], item["join_url"])
                else:
                    row.status, row.error = RegistrantStatus.FAILED, "Zoom did not return a join link for this student."
            _save_rows(chunk)
        return
    # Batch registration is for scheduled meetings only (Zoom code 303): one call each.
    for row in allowed:
        try:
            item = client.registrant_add(
                meeting_id=meeting.zoom_meeting_id, body={**_person(row.registration), "auto_approve": True}
            )
        except ZoomRateLimited:
            raise
        except ZoomError as error:
            row.status, row.error = RegistrantStatus.FAILED, error.user_message
        else:
            _mark_synced(row, item["registrant_id"], item.get("join_url", ""))
        _save_rows([row])


def _person(registration):
    return {"email": registration.email, "first_name": registration.first_name, "last_name": registration.last_name}


def _mark_synced(row, registrant_id, join_url):
    row.registrant_id, row.join_url = registrant_id, join_url
    row.status, row.error, row.synced_at = RegistrantStatus.SYNCED, "", timezone.now()


SAVED_FIELDS = ["meeting", "registrant_id", "join_url", "status", "error", "synced_at", "add_calls_day", "add_calls"]


def _save_rows(rows):
    ZoomRegistrant.objects.bulk_update(rows, SAVED_FIELDS, batch_size=500)


def _finish(meeting, *, rows, status, error=None):
    for row in rows:
        if row.registration.is_confirmed and row.status in (RegistrantStatus.PENDING, RegistrantStatus.SYNCING):
            row.status = RegistrantStatus.FAILED
            row.error = error.user_message if error else "Not registered on Zoom."
    _save_rows(rows)
    ZoomMeeting.objects.filter(pk=meeting.pk).update(
        sync_status=status,
        sync_finished_at=timezone.now(),
        error=error.user_message if error else "",
        retry_at=error.retry_at if isinstance(error, ZoomRateLimited) else None,
        updated_at=timezone.now(),
    )


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]
