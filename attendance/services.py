"""Attendance writes.

A meeting tool integration reports what happened with `presence_signal_record`
(one call per join, leave, meeting start or end, from webhooks or from a
report fetched after the meeting), or with `presence_signals_record` for a
batch of one class's signals at once. Each call stores the signals once and
refreshes only the participants they concern and those participants'
registrations, each once; a meeting's end refreshes the participants of that
run. Everything derived is a function of the stored signals, so
`attendance_rebuild` gives the same result as the calls did one by one, and a
batch gives the same result in any order and on replay.

Rows are created (in key order) and locked participants first, then
attendance records, each in a fixed order, so concurrent workers cannot
deadlock.
"""

from collections import defaultdict
from dataclasses import astuple, dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from courses.models import ClassSession, Registration, RegistrationStatus

from .models import (
    PARTICIPANT_KINDS,
    AttendanceOverride,
    AttendanceRecord,
    MatchMethod,
    OverrideStatus,
    Participant,
    PresenceSignal,
    SignalKind,
)
from .presence import (
    JOIN,
    LEAVE,
    Presence,
    intervals_from_json,
    intervals_to_json,
    participant_presence,
    presence_merge,
)


@dataclass(frozen=True)
class _ParticipantKey:
    source: str
    session_key: str
    participant_key: str


def presence_signal_record(
    *,
    class_session,
    source,
    external_id,
    session_key,
    kind,
    occurred_at,
    participant_key="",
    registration=None,
    email="",
    display_name="",
    reconciled=False,
):
    """Store one presence signal and refresh what it changes.

    `registration` is the caller's own identification of the participant (a
    meeting tool that knows its registrants); without it the participant is
    matched by email among the class's confirmed registrations, else kept
    unmatched. Returns `(signal, created)`; a signal whose `(source,
    external_id)` is already stored changes nothing.
    """
    values = {
        "organization_id": class_session.organization_id,
        "class_session": class_session,
        "session_key": session_key,
        "participant_key": participant_key if kind in PARTICIPANT_KINDS else "",
        "kind": kind,
        "occurred_at": occurred_at,
        "registration": registration,
        "email": email.strip()[:254],
        "display_name": display_name.strip()[:255],
        "reconciled": reconciled,
    }
    _signal_validate(PresenceSignal(source=source, external_id=external_id, **values))
    with transaction.atomic():
        signal, created = PresenceSignal.objects.get_or_create(source=source, external_id=external_id, defaults=values)
        if created:
            _signals_refresh(class_session=class_session, signals=[signal])
    return signal, created


def presence_signals_record(*, class_session, signals):
    """Store a batch of one class's presence signals and refresh what they change, in one transaction.

    Each item of `signals` holds `presence_signal_record`'s keyword arguments but the class. The signals are
    inserted in one statement (those whose `(source, external_id)` is stored already are skipped), then each
    participant they concern and each attendance record of those participants is derived again once, so a
    batch costs about the same queries whether it holds five signals or five hundred. Returns how many signals
    were given.
    """
    rows = []
    for item in signals:
        signal = _signal_build(class_session=class_session, **item)
        _signal_validate(signal)
        rows.append(signal)
    if not rows:
        return 0
    # Inserted in key order, as every batch does, so that two batches waiting on each other's rows cannot deadlock.
    rows.sort(key=lambda signal: (signal.source, signal.external_id))
    with transaction.atomic():
        PresenceSignal.objects.bulk_create(rows, ignore_conflicts=True)
        _signals_refresh(class_session=class_session, signals=rows)
    return len(rows)


def _signal_build(
    *,
    class_session,
    source,
    external_id,
    session_key,
    kind,
    occurred_at,
    participant_key="",
    registration=None,
    email="",
    display_name="",
    reconciled=False,
):
    return PresenceSignal(
        organization_id=class_session.organization_id,
        class_session=class_session,
        source=source,
        external_id=external_id,
        session_key=session_key,
        participant_key=participant_key if kind in PARTICIPANT_KINDS else "",
        kind=kind,
        occurred_at=occurred_at,
        registration=registration,
        email=email.strip()[:254],
        display_name=display_name.strip()[:255],
        reconciled=reconciled,
    )


def _signals_refresh(*, class_session, signals):
    """Derive again the participants these stored signals concern (all of a run they end), each once.

    A signal stored before (a replay) is refreshed again too: the result is the same, derived from the
    stored signals alone.
    """
    keys = {_key_of(signal) for signal in signals if signal.kind in PARTICIPANT_KINDS}
    ended_runs = {(signal.source, signal.session_key) for signal in signals if signal.kind == SignalKind.SESSION_END}
    keys = {key for key in keys if (key.source, key.session_key) not in ended_runs}
    if not keys and not ended_runs:
        return
    participants_scope = _keys_q(keys)
    signals_scope = _keys_q(keys)
    for source, session_key in {(key.source, key.session_key) for key in keys}:
        signals_scope |= Q(source=source, session_key=session_key, kind=SignalKind.SESSION_END)
    for source, session_key in ended_runs:
        participants_scope |= Q(source=source, session_key=session_key)
        signals_scope |= Q(source=source, session_key=session_key)
    _participants_ensure(class_session=class_session, keys=keys)
    _participants_refresh(
        class_session=class_session,
        participants=_participants_locked(class_session=class_session, scope=participants_scope),
        signals_scope=signals_scope,
    )


def _signal_validate(signal):
    if signal.kind in PARTICIPANT_KINDS and not signal.participant_key:
        raise ValidationError({"participant_key": "A join or leave needs the participant it concerns."})
    if signal.occurred_at is not None and timezone.is_naive(signal.occurred_at):
        raise ValidationError({"occurred_at": "Give the time with its time zone."})
    if signal.registration is not None and signal.registration.class_session_id != signal.class_session.pk:
        raise ValidationError({"registration": "This registration belongs to another class."})
    signal.full_clean(exclude=["organization", "class_session", "registration"], validate_constraints=False)


def attendance_rebuild(*, class_session):
    """Derive every participant and attendance record of a class again from its stored signals."""
    with transaction.atomic():
        keys = {
            _ParticipantKey(*values)
            for values in PresenceSignal.objects.filter(
                class_session=class_session, kind__in=PARTICIPANT_KINDS
            ).values_list("source", "session_key", "participant_key")
        }
        _participants_ensure(class_session=class_session, keys=keys)
        participants = _participants_locked(class_session=class_session, scope=Q())
        recorded = set(
            AttendanceRecord.objects.filter(class_session=class_session).values_list("registration_id", flat=True)
        )
        _participants_refresh(
            class_session=class_session, participants=participants, signals_scope=Q(), also_registrations=recorded
        )


def participant_assign(*, participant, registration, by):
    """A trainer says who a participant was; their presence then counts for that registration."""
    if registration.class_session_id != participant.class_session_id:
        raise ValidationError("Choose a student registered for this class.")
    if not registration.is_confirmed:
        raise ValidationError("This registration is cancelled.")
    class_session = participant.class_session
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        previous = locked.registration_id
        locked.registration = registration
        locked.match_method = MatchMethod.ASSIGNED
        locked.assigned_by = by
        locked.assigned_at = timezone.now()
        locked.save(update_fields=["registration", "match_method", "assigned_by", "assigned_at"])
        _records_refresh(class_session=class_session, registration_ids={previous, registration.pk} - {None})
    return locked


def attendance_override_set(*, registration, status, reason, by):
    """Mark a registration present or absent by hand, or hand it back to the recorded presence."""
    override = AttendanceOverride(
        organization_id=registration.organization_id,
        class_session_id=registration.class_session_id,
        registration=registration,
        status=status,
        reason=reason.strip(),
        set_by=by,
    )
    if override.status != OverrideStatus.AUTOMATIC and not override.reason:
        raise ValidationError({"reason": "Say why, so others know later."})
    override.full_clean(exclude=["organization", "class_session", "registration", "set_by"])
    override.save()
    return override


# Derivation ------------------------------------------------------------------


def _participants_ensure(*, class_session, keys):
    Participant.objects.bulk_create(
        [
            Participant(
                organization_id=class_session.organization_id,
                class_session=class_session,
                source=key.source,
                session_key=key.session_key,
                participant_key=key.participant_key,
            )
            for key in sorted(keys, key=astuple)
        ],
        ignore_conflicts=True,
    )


def _participants_locked(*, class_session, scope):
    queryset = Participant.objects.filter(class_session=class_session).filter(scope)
    return list(queryset.select_for_update().order_by("id"))


def _keys_q(keys):
    """The rows of these participant keys: one condition per meeting run, so a batch's query stays short."""
    by_run = defaultdict(set)
    for key in keys:
        by_run[(key.source, key.session_key)].add(key.participant_key)
    condition = Q(pk__in=[])
    for (source, session_key), participant_keys in sorted(by_run.items()):
        if len(participant_keys) == 1:
            condition |= Q(source=source, session_key=session_key, participant_key=next(iter(participant_keys)))
        else:
            condition |= Q(source=source, session_key=session_key, participant_key__in=sorted(participant_keys))
    return condition


def _key_of(item):
    return _ParticipantKey(item.source, item.session_key, item.participant_key)


def _participants_refresh(*, class_session, participants, signals_scope, also_registrations=()):
    """Derive the given participants from the signals in scope, then their registrations' records.

    `signals_scope` must cover every join and leave of these participants and
    the ends of their meeting runs; a single join or leave scopes it to one
    participant so the rest of the meeting is not read.
    """
    signals = (
        PresenceSignal.objects.filter(class_session=class_session)
        .filter(signals_scope)
        .only(
            "source",
            "session_key",
            "participant_key",
            "kind",
            "occurred_at",
            "registration",
            "email",
            "display_name",
            "reconciled",
            "external_id",
        )
    )
    by_participant = defaultdict(list)
    session_ends = defaultdict(list)
    for signal in signals:
        if signal.kind == SignalKind.SESSION_END:
            session_ends[(signal.source, signal.session_key)].append(signal.occurred_at)
        elif signal.kind in PARTICIPANT_KINDS:
            by_participant[_key_of(signal)].append(signal)
    email_matches = _email_matches(class_session=class_session, signals=by_participant.values())
    affected = set(also_registrations)
    for participant in participants:
        own = sorted(by_participant[_key_of(participant)], key=_canonical_order)
        presence = participant_presence(
            events=[(signal.occurred_at, JOIN if signal.kind == SignalKind.JOIN else LEAVE) for signal in own],
            session_ends=session_ends[(participant.source, participant.session_key)],
        )
        before = participant.registration_id
        _participant_apply(participant=participant, signals=own, presence=presence, email_matches=email_matches)
        affected |= {before, participant.registration_id}
    _rows_update(
        Participant,
        participants,
        [
            "display_name",
            "email",
            "registration",
            "match_method",
            "intervals",
            "open_since",
            "first_joined_at",
            "last_left_at",
            "seconds_present",
            "reconciled",
        ],
    )
    _records_refresh(class_session=class_session, registration_ids=affected - {None})


def _canonical_order(signal):
    return (signal.occurred_at, signal.kind, signal.external_id)


def _email_matches(*, class_session, signals):
    # A participant the meeting tool identified is matched by that, never by email: only the others' are looked up.
    emails = {
        signal.email.lower()
        for group in signals
        if not any(signal.registration_id for signal in group)
        for signal in group
        if signal.email
    }
    if not emails:
        return {}
    return dict(
        Registration.objects.filter(class_session=class_session, status=RegistrationStatus.CONFIRMED)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", "pk")
    )


def _participant_apply(*, participant, signals, presence, email_matches):
    """Set a participant's derived fields; a trainer's assignment is kept."""
    participant.display_name = next((signal.display_name for signal in signals if signal.display_name), "")
    participant.email = next((signal.email for signal in signals if signal.email), "")
    participant.intervals = intervals_to_json(presence.intervals)
    participant.open_since = presence.open_since
    participant.first_joined_at = presence.first_joined_at
    participant.last_left_at = presence.last_left_at
    participant.seconds_present = presence.seconds
    participant.reconciled = bool(signals) and all(signal.reconciled for signal in signals)
    if participant.match_method == MatchMethod.ASSIGNED and participant.registration_id:
        return
    identified = next((signal.registration_id for signal in signals if signal.registration_id), None)
    by_email = next(
        (email_matches[signal.email.lower()] for signal in signals if signal.email.lower() in email_matches), None
    )
    if identified:
        participant.registration_id, participant.match_method = identified, MatchMethod.SOURCE
    elif by_email:
        participant.registration_id, participant.match_method = by_email, MatchMethod.EMAIL
    else:
        participant.registration_id, participant.match_method = None, ""


def _records_refresh(*, class_session, registration_ids):
    """Recompute the attendance records of these registrations from their participants."""
    if not registration_ids:
        return
    AttendanceRecord.objects.bulk_create(
        [
            AttendanceRecord(
                organization_id=class_session.organization_id, class_session=class_session, registration_id=pk
            )
            for pk in sorted(registration_ids)
        ],
        ignore_conflicts=True,
    )
    records = list(
        AttendanceRecord.objects.filter(class_session=class_session, registration_id__in=registration_ids)
        .select_for_update()
        .order_by("id")
    )
    participants = defaultdict(list)
    for participant in Participant.objects.filter(
        class_session=class_session, registration_id__in=registration_ids
    ).only("registration_id", "intervals", "open_since", "reconciled"):
        participants[participant.registration_id].append(participant)
    empty, changed = [], []
    for record in records:
        own = participants[record.registration_id]
        if not own:
            empty.append(record.pk)
            continue
        presence = presence_merge(
            Presence(intervals=intervals_from_json(participant.intervals), open_since=participant.open_since)
            for participant in own
        )
        record.intervals = intervals_to_json(presence.intervals)
        record.open_since = presence.open_since
        record.first_joined_at = presence.first_joined_at
        record.last_left_at = presence.last_left_at
        record.seconds_present = presence.seconds
        record.reconciled = any(participant.reconciled for participant in own)
        record.updated_at = timezone.now()
        changed.append(record)
    if empty:
        AttendanceRecord.objects.filter(pk__in=empty).delete()
    _rows_update(
        AttendanceRecord,
        changed,
        ["intervals", "open_since", "first_joined_at", "last_left_at", "seconds_present", "reconciled", "updated_at"],
    )


def _rows_update(model, rows, fields):
    """Write these fields of these rows. A join or leave changes one row: a plain UPDATE. A batch changes many:
    one UPDATE ... FROM (VALUES ...) on PostgreSQL, which costs about nothing to build where bulk_update's CASE
    per field and row takes longer to compose than the database takes to run it."""
    rows = list(rows)
    if len(rows) == 1:
        rows[0].save(update_fields=fields)
    elif rows and connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
    elif rows:
        quote = connection.ops.quote_name
        pk = model._meta.pk
        columns = [pk, *(model._meta.get_field(name) for name in fields)]
        row_sql = "(" + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
        names = ", ".join(quote(column.column) for column in columns)
        assignments = ", ".join(f"{quote(column.column)} = v.{quote(column.column)}" for column in columns[1:])
        sql = (
            f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "
            f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v ({names}) "
            f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
        )
        params = [
            column.get_db_prep_save(getattr(row, column.attname), connection) for row in rows for column in columns
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def attendance_source_purge(*, organization, source, dry_run=False):
    """Delete everything one source told us about an organization's classes (a support deletion request).

    Manual marks are the trainers' own and stay; attendance is derived again from what is left.
    Returns the counts of signals and participants removed.
    """
    signals = PresenceSignal.objects.filter(organization=organization, source=source)
    participants = Participant.objects.filter(organization=organization, source=source)
    counts = {"presence signals": signals.count(), "participants": participants.count()}
    if dry_run:
        return counts
    with transaction.atomic():
        class_ids = set(signals.values_list("class_session_id", flat=True))
        signals.delete()
        participants.delete()
        for class_session in ClassSession.objects.filter(pk__in=class_ids):
            attendance_rebuild(class_session=class_session)
    return counts
