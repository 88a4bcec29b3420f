"""Zoom's participant webhooks and participant report, as attendance signals.

A claimed batch's participant webhooks become one
`attendance.services.presence_signals_record_classes` call for all the classes
of their meetings (source "zoom"), a meeting's start or end one
`presence_signal_record` call; each refreshes only what its signals change.
The pieces of a signal come from Zoom's own fields, so that a redelivered event,
however its body differs, is the same signal:

- session_key: the meeting instance's `uuid` (a restarted meeting has a new one);
- participant_key: the participant's `user_id`, which Zoom assigns per
  connection (a rejoin or a second device gets a new one) and which its
  webhooks and its past-meeting participant report both carry;
- registration: the class registration Zoom names by `registrant_id`; without
  one, attendance matches the participant by email, else keeps them unmatched;
- occurred_at: `join_time` / `leave_time` (`start_time` / `end_time` of the
  meeting), else Zoom's `event_ts`.

After a meeting ends, `attendance_reconcile` reads Zoom's participant report
and records, as reconciled signals, the joins and leaves no webhook brought.
"""

import logging
from datetime import UTC

from attendance import services as attendance_services
from attendance.models import PARTICIPANT_KINDS, PresenceSignal, SignalKind

from ..connection import selectors
from ..connection.tokens import meeting_client
from ..constants import FEATURE_ATTENDANCE, PARTICIPANT_STATUS_WAITING_ROOM
from ..exceptions import ZoomMissingScope, ZoomNotFound, ZoomRejected
from ..models import ZoomMeeting, ZoomRegistrant
from ..payloads import zoom_time

logger = logging.getLogger(__name__)

SOURCE = "zoom"
ORIGIN_WEBHOOK = "webhook"
ORIGIN_REPORT = "report"


class PresenceUnusable(Exception):
    """The event lacks what a signal needs (the meeting instance or the participant)."""


def participant_key_of(participant):
    """One connection to one meeting instance: Zoom's per-join `user_id` (older payloads: the uuid or user id)."""
    for field in ("user_id", "participant_uuid", "id"):
        value = str(participant.get(field) or "").strip()
        if value:
            return value
    return ""


def _external_id(origin, kind, meeting, session_key, participant_key, occurred_at):
    """Zoom's own facts about the signal, so a redelivery (or a second report run) is the same signal."""
    moment = occurred_at.astimezone(UTC).isoformat()
    parts = (origin, kind, str(meeting.zoom_meeting_id), session_key, participant_key, moment)
    return ":".join(part for part in parts if part)


def _registrations_by_registrant_id(*, meeting, registrant_ids):
    """{registrant_id: registration} for the registrants of this meeting Zoom named."""
    registrant_ids = {str(value) for value in registrant_ids if value}
    if not registrant_ids:
        return {}
    return {
        registrant.registrant_id: registrant.registration
        for registrant in ZoomRegistrant.objects.filter(
            meeting=meeting, registrant_id__in=registrant_ids
        ).select_related("registration")
        if registrant.registration.class_session_id == meeting.class_session_id
    }


def _participant_signal(*, meeting, zoom_object, kind, event_time):
    """The signal of one meeting.participant_joined / _left, its registrant id in place of the registration."""
    participant = zoom_object.get("participant") if isinstance(zoom_object.get("participant"), dict) else {}
    session_key = str(zoom_object.get("uuid") or "")
    participant_key = participant_key_of(participant)
    occurred_at = zoom_time(participant.get("join_time" if kind == SignalKind.JOIN else "leave_time")) or event_time
    if not session_key or not participant_key or occurred_at is None:
        raise PresenceUnusable("The event names no meeting instance, participant or time.")
    return {
        "source": SOURCE,
        "external_id": _external_id(ORIGIN_WEBHOOK, kind, meeting, session_key, participant_key, occurred_at),
        "session_key": session_key,
        "kind": kind,
        "occurred_at": occurred_at,
        "participant_key": participant_key,
        "registration": str(participant.get("registrant_id") or ""),
        "email": str(participant.get("email") or ""),
        "display_name": str(participant.get("user_name") or ""),
    }


def registrations_of_events(*, meetings, zoom_objects):
    """{meeting pk: {registrant_id: registration}} for the registrants these participant events name, in one query."""
    registrant_ids = set()
    for zoom_object in zoom_objects:
        participant = zoom_object.get("participant") if isinstance(zoom_object.get("participant"), dict) else {}
        if participant.get("registrant_id"):
            registrant_ids.add(str(participant["registrant_id"]))
    found = {}
    if not registrant_ids or not meetings:
        return found
    class_of = {meeting.pk: meeting.class_session_id for meeting in meetings}
    for registrant in ZoomRegistrant.objects.filter(
        meeting__in=meetings, registrant_id__in=registrant_ids
    ).select_related("registration"):
        if registrant.registration.class_session_id == class_of[registrant.meeting_id]:
            found.setdefault(registrant.meeting_id, {})[registrant.registrant_id] = registrant.registration
    return found


def _participant_signals(*, meeting, events, registrations):
    """(outcomes, signals) of `meeting`'s participant events: one outcome per event, a signal per usable one.

    Without `registrations` the registrants Zoom names are looked up (one query).
    """
    outcomes, signals = [], []
    for zoom_object, kind, event_time in events:
        try:
            signals.append(
                _participant_signal(meeting=meeting, zoom_object=zoom_object, kind=kind, event_time=event_time)
            )
        except PresenceUnusable as error:
            outcomes.append(error)
        else:
            outcomes.append(None)
    if registrations is None:
        registrations = _registrations_by_registrant_id(
            meeting=meeting, registrant_ids=[signal["registration"] for signal in signals]
        )
    for signal in signals:
        signal["registration"] = registrations.get(signal["registration"])
    return outcomes, signals


def presence_from_participant_events(*, meeting, events, registrations=None):
    """Record a batch of `meeting`'s meeting.participant_joined / _left events together.

    `events` are `(zoom_object, kind, event_time)` (`kind` "join" or "leave"). The registrants Zoom names are
    looked up at once (unless given, as `registrations_of_events` finds them) and the signals recorded in one
    `presence_signals_record` call, so the batch costs a few queries whatever its size. Returns one outcome per
    event, in order: None when recorded, else the PresenceUnusable that says why it was not.
    """
    outcomes, signals = _participant_signals(meeting=meeting, events=events, registrations=registrations)
    attendance_services.presence_signals_record(class_session=meeting.class_session, signals=signals)
    return outcomes


def presence_from_participant_events_of_classes(*, batches, registrations):
    """Record the participant events of many class meetings together: one transaction, one set of statements.

    `batches` is `[(meeting, events), ...]`, `events` as `presence_from_participant_events` takes them, and
    `registrations` what `registrations_of_events` found for these meetings. When the classes cannot be
    recorded together (a class's bad row, a deadlock with another worker), each class is recorded in its own
    transaction, so one bad class holds back no other. Returns one list of outcomes per batch, in order: None
    when recorded, a PresenceUnusable, or the error that kept the class from being recorded.
    """
    prepared = [
        (
            meeting,
            *_participant_signals(meeting=meeting, events=events, registrations=registrations.get(meeting.pk, {})),
        )
        for meeting, events in batches
    ]
    try:
        attendance_services.presence_signals_record_classes(
            batches=[(meeting.class_session, signals) for meeting, _, signals in prepared if signals]
        )
    except Exception:
        logger.warning(
            "zoom participant events of %d classes could not be recorded together; recording each class apart",
            len(prepared),
            exc_info=True,
        )
    else:
        return [outcomes for _, outcomes, _ in prepared]
    results = []
    for meeting, outcomes, signals in prepared:
        try:
            attendance_services.presence_signals_record(class_session=meeting.class_session, signals=signals)
        except Exception as error:
            outcomes = [error if outcome is None else outcome for outcome in outcomes]
        results.append(outcomes)
    return results


def presence_from_meeting_event(*, meeting, zoom_object, kind, event_time):
    """Record a meeting.started / meeting.ended of `meeting` (`kind` "session_start" or "session_end")."""
    session_key = str(zoom_object.get("uuid") or "")
    occurred_at = zoom_time(zoom_object.get("start_time" if kind == SignalKind.SESSION_START else "end_time"))
    occurred_at = occurred_at or event_time
    if not session_key or occurred_at is None:
        raise PresenceUnusable("The event names no meeting instance or time.")
    return attendance_services.presence_signal_record(
        class_session=meeting.class_session,
        source=SOURCE,
        external_id=_external_id(ORIGIN_WEBHOOK, kind, meeting, session_key, "", occurred_at),
        session_key=session_key,
        kind=kind,
        occurred_at=occurred_at,
    )


def attendance_reconcile(*, meeting_pk, zoom_uuid):
    """Fill in what webhooks missed of one ended meeting instance, from Zoom's participant report.

    A join or leave is added for a participant (`user_id`) only when no signal
    of that kind is stored for them, marked reconciled, with an id derived from
    the report row: running it twice adds nothing. Returns how many signals
    were added. Zoom being down or rate limited is raised for the task to retry.
    """
    meeting = ZoomMeeting.objects.select_related("class_session__course", "organization").filter(pk=meeting_pk).first()
    if meeting is None:
        return 0
    connection = selectors.connection_for_meeting(meeting=meeting)
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_ATTENDANCE):
        logger.info(
            "zoom attendance reconciliation skipped meeting=%s: the connection lacks scopes %s",
            meeting.zoom_meeting_id,
            " ".join(FEATURE_ATTENDANCE.missing(connection.scopes if connection else [])),
        )
        return 0
    client = meeting_client(meeting=meeting)
    try:
        rows = list(client.past_meeting_participants(meeting_id_or_uuid=zoom_uuid, kind=meeting.kind))
    except (ZoomMissingScope, ZoomNotFound, ZoomRejected) as error:
        logger.info(
            "zoom attendance reconciliation skipped meeting=%s: %s", meeting.zoom_meeting_id, type(error).__name__
        )
        return 0
    class_session = meeting.class_session
    stored = set(
        PresenceSignal.objects.filter(
            class_session=class_session, source=SOURCE, session_key=zoom_uuid, kind__in=PARTICIPANT_KINDS
        ).values_list("participant_key", "kind")
    )
    registrations = _registrations_by_registrant_id(
        meeting=meeting, registrant_ids=[row.get("registrant_id") for row in rows]
    )
    added = 0
    for row in rows:
        participant_key = participant_key_of(row)
        if not participant_key or row.get("status") == PARTICIPANT_STATUS_WAITING_ROOM:
            continue
        for kind, field in ((SignalKind.JOIN, "join_time"), (SignalKind.LEAVE, "leave_time")):
            occurred_at = zoom_time(row.get(field))
            if occurred_at is None or (participant_key, kind) in stored:
                continue
            _, created = attendance_services.presence_signal_record(
                class_session=class_session,
                source=SOURCE,
                external_id=_external_id(ORIGIN_REPORT, kind, meeting, zoom_uuid, participant_key, occurred_at),
                session_key=zoom_uuid,
                kind=kind,
                occurred_at=occurred_at,
                participant_key=participant_key,
                registration=registrations.get(str(row.get("registrant_id") or "")),
                email=str(row.get("user_email") or ""),
                display_name=str(row.get("name") or ""),
                reconciled=True,
            )
            added += created
    logger.info(
        "zoom attendance reconciled meeting=%s rows=%d signals_added=%d", meeting.zoom_meeting_id, len(rows), added
    )
    return added
