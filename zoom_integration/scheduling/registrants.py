"""Pre-registering confirmed students as Zoom meeting registrants, each with a unique join link.

Zoom allows only 3 add-registrant calls per registrant per day and keeps
cancelled registrants, so a registrant Zoom already has is never added again:
it is adopted (found in Zoom's list) or re-approved by its id.
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from courses.extensions import JoinInfo
from courses.models import Registration, RegistrationStatus
from courses.services import registration_confirmation_message, registration_confirmation_send
from mailing.queue import emails_queue

from ..connection import selectors
from ..connection.tokens import meeting_client
from ..constants import (
    BATCH_REGISTRANTS_MAX,
    FEATURE_REGISTRANTS,
    MEETING_TYPE_SCHEDULED,
    REGISTRANT_ADDS_PER_DAY,
    REGISTRANT_STATUS_BATCH_MAX,
    WEBINAR_TYPE_SCHEDULED,
)
from ..exceptions import ZoomError, ZoomNotFound, ZoomRateLimited, ZoomUnavailable
from ..models import MeetingStatus, RegistrantStatus, SyncStatus, ZoomMeeting, ZoomRegistrant
from ..tuning import SYNC_STALE_AFTER, ZOOM_CALL_CLAIM
from .meetings import meeting_mark_deleted_on_zoom

logger = logging.getLogger(__name__)

# Zoom's batch registration takes a scheduled meeting or a scheduled webinar only (code 303 otherwise).
BATCH_MEETING_TYPES = (MEETING_TYPE_SCHEDULED, WEBINAR_TYPE_SCHEDULED)

# One writer of a student's registrant at a time (Sync now, the per-student task, a replacement): a writer
# claims the row under a row lock and commits, calls Zoom with no transaction open, then writes the answer.
# Without it two writers could both find a student missing on Zoom and both add them, spending Zoom's
# 3 adds per registrant per day. A lapsed claim (a worker died) may be taken again.


def _registration_ready_meeting(class_session_id):
    """The class's meeting when students can be pre-registered on it now, else None."""
    meeting = (
        ZoomMeeting.objects.select_related("organization")
        .filter(class_session_id=class_session_id, status=MeetingStatus.READY, registration_enabled=True)
        .first()
    )
    if meeting is None:
        return None
    connection = selectors.connection_for_meeting(meeting=meeting)
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_REGISTRANTS):
        return None
    return meeting


def registrant_takes_confirmation(*, registration):
    """Confirmation deferrer: a class with a Zoom meeting emails the confirmation once the unique link exists."""
    return _registration_ready_meeting(registration.class_session_id) is not None


def registrant_mark_syncing(*, registration):
    """The registrant row of a confirmed registration, now "syncing"; None when its class has no meeting for it.

    `jobs.registrant_sync` queues the work.
    """
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


APPROVE = "approve"
ADD = "add"


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
    try:
        client = meeting_client(meeting=meeting)
        action = _registrant_claim(registrant)
        if action is None:  # registered already, or another writer holds the claim
            return registrant
        if action == LIMIT_REACHED:
            _confirm_with_general_link(registration, meeting)
            return registrant
        if action == APPROVE:
            client.registrants_status_update(
                meeting_id=meeting.zoom_meeting_id,
                kind=meeting.kind,
                action="approve",
                registrants=[{"id": registrant.registrant_id}],
            )
        else:
            registrant.registrant_id, registrant.join_url = _register_one(client, meeting, registration)
    except ZoomError as error:
        registrant.status = RegistrantStatus.FAILED
        registrant.error = error.user_message
        registrant.claimed_until = None
        registrant.save(update_fields=["status", "error", "claimed_until", "updated_at"])
        # A transient failure is retried by the task first; the student is not kept waiting forever.
        if final_attempt or not isinstance(error, (ZoomUnavailable, ZoomRateLimited)):
            _confirm_with_general_link(registration, meeting)
        raise
    _mark_synced(registrant, registrant.registrant_id, registrant.join_url)
    registrant.claimed_until = None
    registrant.save()
    registrants_email_links(registrants=[registrant])
    return registrant


LIMIT_REACHED = "limit"


def _registrant_claim(registrant):
    """Claim the student's registrant for one Zoom call and count an add before making it.

    Returns APPROVE, ADD, LIMIT_REACHED (marked failed: no add left today) or None (nothing to do here).
    The count commits with the claim, so a failed add still counts against Zoom's limit.
    """
    now = timezone.now()
    with transaction.atomic():
        row = ZoomRegistrant.objects.select_for_update().get(pk=registrant.pk)
        if row.status == RegistrantStatus.SYNCED and row.join_url:
            return None
        if row.claimed_until is not None and row.claimed_until > now:
            return None
        if row.registrant_id:
            action = APPROVE
        elif _claim_add_call(row, now.date()):
            action = ADD
        else:
            row.status, row.error = RegistrantStatus.FAILED, DAILY_LIMIT_MESSAGE
            row.save(update_fields=["status", "error", "add_calls_day", "add_calls", "updated_at"])
            _copy_claim(row, registrant)
            return LIMIT_REACHED
        row.claimed_until = now + ZOOM_CALL_CLAIM
        row.save(update_fields=["claimed_until", "add_calls_day", "add_calls", "updated_at"])
    _copy_claim(row, registrant)
    return action


def _copy_claim(source, target):
    for field in ("registrant_id", "join_url", "status", "error", "add_calls_day", "add_calls", "claimed_until"):
        setattr(target, field, getattr(source, field))


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
    sent, messages = [], []
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
        # An enrolment's own email confirmed the course; what follows per class is only the link.
        confirmed = registrant.confirmation_sent_at or registration.enrolment_id
        template = "registration_join_link" if confirmed else "registration_confirmed"
        messages.append(
            registration_confirmation_message(registration=registration, join_info=join_info, template=template)
        )
        sent.append(registrant.pk)
    emails_queue(messages)  # one mail task for the whole batch
    ZoomRegistrant.objects.filter(pk__in=sent).update(link_emailed_at=now, confirmation_sent_at=now)
    return len(sent)


def registrant_cancel(*, registration_pk):
    """A cancelled registration cancels its registrant on Zoom (task body)."""
    registrant = (
        ZoomRegistrant.objects.select_related("meeting__organization", "registration")
        .filter(registration_id=registration_pk)
        .first()
    )
    if registrant is None or registrant.registration.is_confirmed:
        return registrant
    if registrant.registrant_id and registrant.meeting.is_ready:
        try:
            meeting_client(meeting=registrant.meeting).registrants_status_update(
                meeting_id=registrant.meeting.zoom_meeting_id,
                kind=registrant.meeting.kind,
                action="cancel",
                registrants=[{"id": registrant.registrant_id}],
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


def registrants_sync_start(*, meeting):
    """Mark Sync now as running unless one already is (then the running one covers it); True when started.

    `jobs.registrants_sync` queues the work after this commits.
    """
    meeting = ZoomMeeting.objects.select_for_update().get(pk=meeting.pk)
    running = (
        meeting.sync_status == SyncStatus.RUNNING
        and meeting.sync_started_at
        and timezone.now() - meeting.sync_started_at < SYNC_STALE_AFTER
    )
    if running:
        return False
    meeting.sync_status = SyncStatus.RUNNING
    meeting.sync_started_at = timezone.now()
    meeting.sync_finished_at = None
    meeting.save(update_fields=["sync_status", "sync_started_at", "sync_finished_at", "updated_at"])
    return True


def _prepare_rows(meeting):
    """One registrant row per confirmed registration of the class, created as pending where missing."""
    confirmed = Registration.objects.filter(
        class_session_id=meeting.class_session_id, status=RegistrationStatus.CONFIRMED, zoom_registrant__isnull=True
    ).only("pk")
    ZoomRegistrant.objects.bulk_create(
        [
            ZoomRegistrant(organization=meeting.organization, meeting=meeting, registration=registration)
            for registration in confirmed
        ],
        ignore_conflicts=True,
    )
    return list(ZoomRegistrant.objects.filter(meeting=meeting).select_related("registration", "meeting"))


def registrants_sync(*, meeting_pk):
    """Sync now (task body): back-fill and re-sync every confirmed student, batched as Zoom allows.

    Idempotent: registrants Zoom already has are adopted from its list, never
    added again; running it twice, or beside the per-registration task, makes
    no duplicate.
    """
    meeting = ZoomMeeting.objects.select_related("organization", "class_session").get(pk=meeting_pk)
    try:
        client = meeting_client(meeting=meeting)
        rows = _prepare_rows(meeting)
        confirmed = [row for row in rows if row.registration.is_confirmed]
        cancelled = [
            row
            for row in rows
            if not row.registration.is_confirmed and row.registrant_id and row.status != RegistrantStatus.CANCELLED
        ]
        to_link = [row for row in confirmed if not (row.status == RegistrantStatus.SYNCED and row.join_url)]

        if to_link:
            on_zoom = {
                (item.get("email") or "").lower(): item
                for item in client.registrants_list(
                    meeting_id=meeting.zoom_meeting_id, status="approved", kind=meeting.kind
                )
            }
            for row in to_link:
                found = on_zoom.get(row.registration.email.lower())
                if found and found.get("join_url"):
                    _mark_synced(row, found["id"], found["join_url"])
            # Each batch is claimed just before its call, so a worker lost mid-sync strands at most one batch.
            unlinked = [row for row in to_link if row.status != RegistrantStatus.SYNCED]
            # Registrants Zoom keeps as cancelled are approved again, never re-added.
            for chunk in _chunks([row for row in unlinked if row.registrant_id], REGISTRANT_STATUS_BATCH_MAX):
                claimed = _rows_claim(chunk)
                if not claimed:
                    continue
                client.registrants_status_update(
                    meeting_id=meeting.zoom_meeting_id,
                    kind=meeting.kind,
                    action="approve",
                    registrants=[{"id": row.registrant_id} for row in claimed],
                )
                for row in claimed:
                    _mark_synced(row, row.registrant_id, row.join_url)
                _save_rows(claimed)
            _add_registrants(client, meeting, [row for row in unlinked if not row.registrant_id])

        for chunk in _chunks(cancelled, REGISTRANT_STATUS_BATCH_MAX):
            client.registrants_status_update(
                meeting_id=meeting.zoom_meeting_id,
                kind=meeting.kind,
                action="cancel",
                registrants=[{"id": row.registrant_id} for row in chunk],
            )
            for row in chunk:
                row.status, row.error, row.handled = RegistrantStatus.CANCELLED, "", True
    except ZoomNotFound:
        meeting_mark_deleted_on_zoom(meeting=meeting)
        _finish(meeting, rows=[], status=SyncStatus.FAILED)
        return meeting
    except ZoomError as error:
        _finish(meeting, rows=locals().get("rows", []), status=SyncStatus.FAILED, error=error)
        raise
    _finish(meeting, rows=rows, status=SyncStatus.DONE)
    registrants_email_links(registrants=[row for row in rows if row.status == RegistrantStatus.SYNCED])
    return meeting


def _rows_claim(rows):
    """Claim the rows no other writer holds, counting an add for each that will be added; returns the claimed rows.

    Rows with no add left today are marked failed and not returned; rows another writer holds are left
    to it. Everything is committed before Zoom is called.
    """
    if not rows:
        return []
    now = timezone.now()
    by_pk = {row.pk: row for row in rows}
    claimed = []
    with transaction.atomic():
        free = (
            ZoomRegistrant.objects.select_for_update(skip_locked=True)
            .filter(pk__in=by_pk)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .exclude(status=RegistrantStatus.SYNCED, join_url__gt="")
        )
        locked = list(free)
        for fresh in locked:
            if not fresh.registrant_id and not _claim_add_call(fresh, now.date()):
                fresh.status, fresh.error = RegistrantStatus.FAILED, DAILY_LIMIT_MESSAGE
            else:
                fresh.claimed_until = now + ZOOM_CALL_CLAIM
                claimed.append(by_pk[fresh.pk])
            _copy_claim(fresh, by_pk[fresh.pk])
            by_pk[fresh.pk].handled = True
        ZoomRegistrant.objects.bulk_update(locked, ["status", "error", "add_calls_day", "add_calls", "claimed_until"])
    return claimed


def _batch_body(meeting, people):
    """Zoom's batch body: registrants approved at once (a webinar's batch takes no confirmation-email switch)."""
    body = {"auto_approve": True, "registrants": people}
    if not meeting.is_webinar:
        body["registrants_confirmation_email"] = False
    return body


def _register_one(client, meeting, registration):
    """(registrant_id, join_url) of one student added to the meeting, approved at once.

    A webinar's single-registrant call takes no auto_approve, so one student is a batch of one there.
    """
    if meeting.is_webinar:
        answer = client.registrants_batch_add(
            meeting_id=meeting.zoom_meeting_id, kind=meeting.kind, body=_batch_body(meeting, [_person(registration)])
        )
        item = next(iter(answer.get("registrants") or []), {})
        return item.get("registrant_id", ""), item.get("join_url", "")
    added = client.registrant_add(
        meeting_id=meeting.zoom_meeting_id, body={**_person(registration), "auto_approve": True}
    )
    return added["registrant_id"], added.get("join_url", "")


def _add_registrants(client, meeting, rows):
    if meeting.meeting_type in BATCH_MEETING_TYPES:
        for chunk in _chunks(rows, BATCH_REGISTRANTS_MAX):
            claimed = _rows_claim(chunk)
            if not claimed:
                continue
            answer = client.registrants_batch_add(
                meeting_id=meeting.zoom_meeting_id,
                kind=meeting.kind,
                body=_batch_body(meeting, [_person(row.registration) for row in claimed]),
            )
            by_email = {(item.get("email") or "").lower(): item for item in answer.get("registrants", [])}
            for row in claimed:
                item = by_email.get(row.registration.email.lower())
                if item and item.get("join_url"):
                    _mark_synced(row, item["registrant_id"], item["join_url"])
                else:
                    row.status, row.error = RegistrantStatus.FAILED, "Zoom did not return a join link for this student."
            _save_rows(claimed)
        return
    # Batch registration is for scheduled meetings only (Zoom code 303): one call each.
    for row in rows:
        if not _rows_claim([row]):
            continue
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
    row.handled = True


SAVED_FIELDS = [
    "meeting",
    "registrant_id",
    "join_url",
    "status",
    "error",
    "synced_at",
    "add_calls_day",
    "add_calls",
    "claimed_until",
]


def _save_rows(rows):
    """Write what Zoom answered, letting go of the rows' claims."""
    for row in rows:
        row.claimed_until = None
    ZoomRegistrant.objects.bulk_update(rows, SAVED_FIELDS, batch_size=500)


def _finish(meeting, *, rows, status, error=None):
    """Write the rows this run handled; a confirmed student nobody registered is marked failed.

    Rows another writer holds are never written here: that writer saves what Zoom told it.
    """
    handled = [row for row in rows if getattr(row, "handled", False)]
    for row in handled:  # claimed, but Zoom's answer never came
        if row.registration.is_confirmed and row.status in (RegistrantStatus.PENDING, RegistrantStatus.SYNCING):
            row.status = RegistrantStatus.FAILED
            row.error = error.user_message if error else "Not registered on Zoom."
    _save_rows(handled)
    left = [
        row.pk
        for row in rows
        if not getattr(row, "handled", False)
        and row.registration.is_confirmed
        and row.status in (RegistrantStatus.PENDING, RegistrantStatus.SYNCING)
    ]
    if left:
        ZoomRegistrant.objects.filter(
            pk__in=left, status__in=[RegistrantStatus.PENDING, RegistrantStatus.SYNCING]
        ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=timezone.now())).update(
            status=RegistrantStatus.FAILED,
            error=error.user_message if error else "Not registered on Zoom.",
            updated_at=timezone.now(),
        )
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
