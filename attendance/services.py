"""Attendance writes.

A meeting tool integration reports what happened with `presence_signal_record`
(one call per join, leave, meeting start or end, from webhooks or from a
report fetched after the meeting), with `presence_signals_record` for a
batch of one class's signals at once, or with `presence_signals_record_classes`
for the signals of many classes at once (the top of the hour, when a hundred
classes start together). Each call stores the signals once and
refreshes only the participants they concern and those participants'
registrations, each once; a meeting's end refreshes the participants of that
run. Everything derived is a function of the stored signals, so
`attendance_rebuild` gives the same result as the calls did one by one, and a
batch gives the same result in any order and on replay.

Rows are created (in key order) and locked participants first, then
attendance records, each in id order across all the classes of a call, so
concurrent workers cannot deadlock.
"""

from collections import defaultdict
from dataclasses import astuple, dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from cohortstudio.bulk import rows_update
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
            _signals_refresh(classes={class_session.pk: class_session}, signals=[signal])
    return signal, created


def presence_signals_record(*, class_session, signals):
    """Store a batch of one class's presence signals and refresh what they change, in one transaction.

    Each item of `signals` holds `presence_signal_record`'s keyword arguments but the class. The signals are
    inserted in one statement (those whose `(source, external_id)` is stored already are skipped), then each
    participant they concern and each attendance record of those participants is derived again once, so a
    batch costs about the same queries whether it holds five signals or five hundred. Returns how many signals
    were given.
    """
    return presence_signals_record_classes(batches=[(class_session, signals)])


def presence_signals_record_classes(*, batches):
    """Store the signals of several classes and refresh what they change, all in one transaction.

    `batches` is `[(class_session, signals), ...]`, each `signals` as `presence_signals_record` takes them.
    One set of statements serves every class (one insert of the signals, one of the participants, one read
    of their signals, one write of the participants and one of the records...), so a batch spanning a hundred
    classes costs the queries of one. The result is the classes' `presence_signals_record` calls' in any
    order. Any error rolls back every class: the caller may then record each class apart, so one bad class
    does not hold the others back. Returns how many signals were given.
    """
    rows, classes = [], {}
    for class_session, signals in batches:
        for item in signals:
            signal = _signal_build(class_session=class_session, **item)
            _signal_validate(signal)
            rows.append(signal)
            classes[class_session.pk] = class_session
    if not rows:
        return 0
    # Inserted in key order, as every batch does, so that two batches waiting on each other's rows cannot deadlock.
    rows.sort(key=lambda signal: (signal.source, signal.external_id))
    with transaction.atomic():
        PresenceSignal.objects.bulk_create(rows, ignore_conflicts=True)
        _signals_refresh(classes=classes, signals=rows)
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


def _signals_refresh(*, classes, signals):
    """Derive again the participants these stored signals concern (all of a run they end), each once.

    `classes` is {class pk: class session} of the signals. A signal stored before (a replay) is refreshed
    again too: the result is the same, derived from the stored signals alone.
    """
    keys_of, ended_of = defaultdict(set), defaultdict(set)
    for signal in signals:
        if signal.kind in PARTICIPANT_KINDS:
            keys_of[signal.class_session_id].add(_key_of(signal))
        elif signal.kind == SignalKind.SESSION_END:
            ended_of[signal.class_session_id].add((signal.source, signal.session_key))
    participants_scope, signals_scope, ensure = Q(pk__in=[]), Q(pk__in=[]), []
    for class_id in sorted(classes):
        ended_runs = ended_of[class_id]
        keys = {key for key in keys_of[class_id] if (key.source, key.session_key) not in ended_runs}
        if not keys and not ended_runs:
            continue
        own_participants = _keys_q(keys)
        own_signals = _keys_q(keys)
        for source, session_key in sorted({(key.source, key.session_key) for key in keys}):
            own_signals |= Q(source=source, session_key=session_key, kind=SignalKind.SESSION_END)
        for source, session_key in sorted(ended_runs):
            own_participants |= Q(source=source, session_key=session_key)
            own_signals |= Q(source=source, session_key=session_key)
        participants_scope |= Q(class_session_id=class_id) & own_participants
        signals_scope |= Q(class_session_id=class_id) & own_signals
        ensure += [(classes[class_id], key) for key in keys]
    if not ensure and not any(ended_of.values()):
        return
    _participants_ensure(keys=ensure)
    _participants_refresh(
        classes=classes, participants=_participants_locked(scope=participants_scope), signals_scope=signals_scope
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
        _participants_ensure(keys=[(class_session, key) for key in keys])
        participants = _participants_locked(scope=Q(class_session=class_session))
        recorded = {
            (class_session.pk, pk)
            for pk in AttendanceRecord.objects.filter(class_session=class_session).values_list(
                "registration_id", flat=True
            )
        }
        _participants_refresh(
            classes={class_session.pk: class_session},
            participants=participants,
            signals_scope=Q(class_session=class_session),
            also_registrations=recorded,
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
        _records_refresh(
            classes={class_session.pk: class_session},
            registrations={(class_session.pk, pk) for pk in {previous, registration.pk} - {None}},
        )
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


def _participants_ensure(*, keys):
    """Create the participants of these `(class session, key)` that do not exist yet, in key order."""
    Participant.objects.bulk_create(
        [
            Participant(
                organization_id=class_session.organization_id,
                class_session=class_session,
                source=key.source,
                session_key=key.session_key,
                participant_key=key.participant_key,
            )
            for class_session, key in sorted(keys, key=lambda item: (item[0].pk, astuple(item[1])))
        ],
        ignore_conflicts=True,
    )


def _participants_locked(*, scope):
    return list(Participant.objects.filter(scope).select_for_update().order_by("id"))


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


def _participants_refresh(*, classes, participants, signals_scope, also_registrations=()):
    """Derive the given participants from the signals in scope, then their registrations' records.

    `classes` is {class pk: class session} of the participants. `signals_scope` must cover every join and
    leave of these participants and the ends of their meeting runs; a single join or leave scopes it to one
    participant so the rest of the meeting is not read. `also_registrations` are more `(class pk,
    registration pk)` whose records to derive again.
    """
    signals = PresenceSignal.objects.filter(signals_scope).only(
        "class_session_id",
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
    by_participant = defaultdict(list)
    session_ends = defaultdict(list)
    for signal in signals:
        if signal.kind == SignalKind.SESSION_END:
            session_ends[(signal.class_session_id, signal.source, signal.session_key)].append(signal.occurred_at)
        elif signal.kind in PARTICIPANT_KINDS:
            by_participant[(signal.class_session_id, _key_of(signal))].append(signal)
    email_matches = _email_matches(signals=by_participant)
    affected = set(also_registrations)
    for participant in participants:
        class_id = participant.class_session_id
        own = sorted(by_participant[(class_id, _key_of(participant))], key=_canonical_order)
        presence = participant_presence(
            events=[(signal.occurred_at, JOIN if signal.kind == SignalKind.JOIN else LEAVE) for signal in own],
            session_ends=session_ends[(class_id, participant.source, participant.session_key)],
        )
        before = participant.registration_id
        _participant_apply(
            participant=participant, signals=own, presence=presence, email_matches=email_matches.get(class_id, {})
        )
        affected |= {(class_id, before), (class_id, participant.registration_id)}
    rows_update(
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
    _records_refresh(classes=classes, registrations={item for item in affected if item[1] is not None})


def _canonical_order(signal):
    return (signal.occurred_at, signal.kind, signal.external_id)


def _email_matches(*, signals):
    """{class pk: {email: registration pk}} of the confirmed registrations the participants' emails name.

    `signals` is {(class pk, key): signals}. A participant the meeting tool identified is matched by that,
    never by email: only the others' emails are looked up, every class's in one query.
    """
    emails, classes = set(), set()
    for (class_id, _key), group in signals.items():
        if any(signal.registration_id for signal in group):
            continue
        for signal in group:
            if signal.email:
                emails.add(signal.email.lower())
                classes.add(class_id)
    if not emails:
        return {}
    found = defaultdict(dict)
    for class_id, email, pk in (
        Registration.objects.filter(class_session_id__in=classes, status=RegistrationStatus.CONFIRMED)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .order_by("pk")
        .values_list("class_session_id", "email_lower", "pk")
    ):
        found[class_id][email] = pk
    return found


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


def _records_refresh(*, classes, registrations):
    """Recompute the attendance records of these `(class pk, registration pk)` from their participants."""
    if not registrations:
        return
    AttendanceRecord.objects.bulk_create(
        [
            AttendanceRecord(
                organization_id=classes[class_id].organization_id, class_session=classes[class_id], registration_id=pk
            )
            for class_id, pk in sorted(registrations, key=lambda item: item[1])
        ],
        ignore_conflicts=True,
    )
    class_ids = {class_id for class_id, _ in registrations}
    registration_ids = {pk for _, pk in registrations}
    records = list(
        AttendanceRecord.objects.filter(class_session_id__in=class_ids, registration_id__in=registration_ids)
        .select_for_update()
        .order_by("id")
    )
    participants = defaultdict(list)
    for participant in Participant.objects.filter(
        class_session_id__in=class_ids, registration_id__in=registration_ids
    ).only("class_session_id", "registration_id", "intervals", "open_since", "reconciled"):
        participants[(participant.class_session_id, participant.registration_id)].append(participant)
    empty, changed = [], []
    now = timezone.now()
    for record in records:
        own = participants[(record.class_session_id, record.registration_id)]
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
        record.updated_at = now
        changed.append(record)
    if empty:
        AttendanceRecord.objects.filter(pk__in=empty).delete()
    rows_update(
        AttendanceRecord,
        changed,
        ["intervals", "open_since", "first_joined_at", "last_left_at", "seconds_present", "reconciled", "updated_at"],
    )


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
