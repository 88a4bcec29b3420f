"""Derived attendance state without ids, so two classes or two passes compare equal."""

from attendance.models import AttendanceRecord, Participant


def _sorted(rows):
    return sorted(rows, key=lambda row: [str(value) for value in row.values()])


def derived_snapshot(class_session):
    participants = _sorted(
        {
            "key": (participant.source, participant.session_key, participant.participant_key),
            "registration": participant.registration.email if participant.registration else None,
            "match_method": participant.match_method,
            "display_name": participant.display_name,
            "email": participant.email,
            "intervals": participant.intervals,
            "open_since": participant.open_since,
            "first_joined_at": participant.first_joined_at,
            "last_left_at": participant.last_left_at,
            "seconds_present": participant.seconds_present,
            "reconciled": participant.reconciled,
        }
        for participant in Participant.objects.filter(class_session=class_session).select_related("registration")
    )
    records = _sorted(
        {
            "registration": record.registration.email,
            "intervals": record.intervals,
            "open_since": record.open_since,
            "first_joined_at": record.first_joined_at,
            "last_left_at": record.last_left_at,
            "seconds_present": record.seconds_present,
            "reconciled": record.reconciled,
        }
        for record in AttendanceRecord.objects.filter(class_session=class_session).select_related("registration")
    )
    return {"participants": participants, "records": records}
