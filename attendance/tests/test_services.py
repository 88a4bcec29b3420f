from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance import selectors, services
from attendance.models import AttendanceOverride, AttendanceRecord, MatchMethod, Participant, PresenceSignal
from tests.factories import RegistrationFactory

from .conftest import at
from .snapshots import derived_snapshot


def row_of(class_session, registration):
    attendance = selectors.attendance_for_class(class_session=class_session)
    return next(row for row in attendance.rows if row.registration.pk == registration.pk)


def test_join_and_leave_give_exact_times_and_minutes(class_session, ada, signal):
    signal("join", 2, participant="ada-laptop", registration=ada, display_name="Ada")
    signal("leave", 77, participant="ada-laptop", registration=ada)

    row = row_of(class_session, ada)
    assert row.joined
    assert row.first_joined_at == at(class_session, 2)
    assert row.last_left_at == at(class_session, 77)
    assert (row.minutes, row.share_percent) == (75, 83)
    assert row.attended
    participant = Participant.objects.get()
    assert (participant.registration, participant.match_method) == (ada, MatchMethod.SOURCE)


def test_a_redelivered_signal_is_stored_once(class_session, ada, signal):
    signal("join", 0, participant="p", registration=ada, external_id="zoom-event-1")
    _, created = signal("join", 0, participant="p", registration=ada, external_id="zoom-event-1")
    signal("leave", 60, participant="p", registration=ada, external_id="zoom-event-2")
    signal("leave", 60, participant="p", registration=ada, external_id="zoom-event-2")

    assert not created
    assert PresenceSignal.objects.count() == 2
    assert row_of(class_session, ada).minutes == 60


def test_the_same_fact_under_two_ids_counts_once(class_session, ada, signal):
    signal("join", 0, participant="p", registration=ada)
    signal("join", 0, participant="p", registration=ada)
    signal("leave", 60, participant="p", registration=ada)
    signal("leave", 60, participant="p", registration=ada, reconciled=True)

    assert row_of(class_session, ada).minutes == 60


def test_a_leave_arriving_before_its_join(class_session, ada, signal):
    signal("leave", 80, participant="p", registration=ada)
    assert not row_of(class_session, ada).joined

    signal("join", 5, participant="p", registration=ada)
    row = row_of(class_session, ada)
    assert (row.first_joined_at, row.last_left_at, row.minutes) == (at(class_session, 5), at(class_session, 80), 75)


def test_rejoin_counts_both_stays(class_session, ada, signal):
    signal("join", 0, participant="p", registration=ada)
    signal("leave", 30, participant="p", registration=ada)
    signal("join", 40, participant="p", registration=ada)
    signal("leave", 90, participant="p", registration=ada)

    row = row_of(class_session, ada)
    assert (row.first_joined_at, row.last_left_at, row.minutes) == (at(class_session, 0), at(class_session, 90), 80)


def test_two_devices_at_once_count_their_union(class_session, ada, signal):
    signal("join", 0, participant="laptop", registration=ada)
    signal("join", 30, participant="phone", email="ada@example.com")
    signal("leave", 60, participant="laptop", registration=ada)
    signal("leave", 85, participant="phone")

    row = row_of(class_session, ada)
    assert (row.minutes, row.last_left_at) == (85, at(class_session, 85))
    assert Participant.objects.filter(registration=ada).count() == 2


def test_session_end_closes_open_presence(class_session, ada, grace, signal):
    signal("session_start", 0)
    signal("join", 10, participant="ada", registration=ada)
    signal("join", 20, participant="grace", registration=grace)
    signal("leave", 50, participant="grace", registration=grace)
    assert row_of(class_session, ada).in_meeting

    signal("session_end", 80)
    signal("leave", 81, participant="ada", registration=ada)

    ada_row, grace_row = row_of(class_session, ada), row_of(class_session, grace)
    assert not ada_row.in_meeting
    assert (ada_row.minutes, ada_row.last_left_at) == (70, at(class_session, 80))
    assert (grace_row.minutes, grace_row.last_left_at) == (30, at(class_session, 50))


def test_a_join_delivered_after_the_meeting_ended_closes_at_the_end(class_session, ada, signal):
    signal("session_end", 80)
    signal("join", 10, participant="ada", registration=ada)

    assert row_of(class_session, ada).minutes == 70


def test_restarted_meeting_adds_the_second_run(class_session, ada, signal):
    signal("session_start", 0, session="run-1")
    signal("join", 0, participant="ada-1", session="run-1", registration=ada)
    signal("session_end", 20, session="run-1")
    signal("session_start", 25, session="run-2")
    signal("join", 26, participant="ada-2", session="run-2", registration=ada)
    signal("session_end", 90, session="run-2")

    row = row_of(class_session, ada)
    assert (row.minutes, row.first_joined_at, row.last_left_at) == (84, at(class_session, 0), at(class_session, 90))
    runs = selectors.attendance_for_class(class_session=class_session).runs
    assert [(run.started_at, run.ended_at) for run in runs] == [
        (at(class_session, 0), at(class_session, 20)),
        (at(class_session, 25), at(class_session, 90)),
    ]


def test_ending_one_run_leaves_the_other_open(class_session, ada, grace, signal):
    signal("join", 0, participant="ada", session="run-1", registration=ada)
    signal("join", 0, participant="grace", session="run-2", registration=grace)
    signal("session_end", 30, session="run-1")

    assert not row_of(class_session, ada).in_meeting
    assert row_of(class_session, grace).in_meeting


def test_email_match_ignores_case(class_session, ada, signal):
    signal("join", 0, participant="p", email="ada@EXAMPLE.com", display_name="Ada L.")
    signal("leave", 45, participant="p")

    participant = Participant.objects.get()
    assert (participant.registration, participant.match_method) == (ada, MatchMethod.EMAIL)
    assert row_of(class_session, ada).minutes == 45


def test_cancelled_registrations_are_not_matched_by_email(class_session, signal):
    RegistrationFactory(class_session=class_session, email="gone@example.com", status="cancelled")
    signal("join", 0, participant="p", email="gone@example.com")

    assert Participant.objects.get().registration is None


def test_guest_is_kept_then_assigned(class_session, ada, trainer, signal):
    signal("join", 5, participant="guest", display_name="iPhone")
    signal("leave", 85, participant="guest")

    attendance = selectors.attendance_for_class(class_session=class_session)
    (guest,) = attendance.unmatched
    assert (guest.display_name, guest.first_joined_at, guest.last_left_at, guest.minutes_present) == (
        "iPhone",
        at(class_session, 5),
        at(class_session, 85),
        80,
    )
    assert not row_of(class_session, ada).joined

    services.participant_assign(participant=guest, registration=ada, by=trainer)

    guest.refresh_from_db()
    assert (guest.registration, guest.match_method, guest.assigned_by) == (ada, MatchMethod.ASSIGNED, trainer)
    assert guest.assigned_at is not None
    assert selectors.attendance_for_class(class_session=class_session).unmatched == []
    assert row_of(class_session, ada).minutes == 80

    signal("join", 86, participant="guest")
    services.attendance_rebuild(class_session=class_session)
    guest.refresh_from_db()
    assert guest.registration == ada


def test_reassigning_moves_the_minutes(class_session, ada, grace, trainer, signal):
    signal("join", 0, participant="guest")
    signal("leave", 60, participant="guest")
    guest = Participant.objects.get()
    services.participant_assign(participant=guest, registration=ada, by=trainer)
    services.participant_assign(participant=guest, registration=grace, by=trainer)

    assert not row_of(class_session, ada).joined
    assert row_of(class_session, grace).minutes == 60
    assert not AttendanceRecord.objects.filter(registration=ada).exists()


def test_assigning_to_another_class_is_refused(class_session, trainer, signal):
    signal("join", 0, participant="guest")
    elsewhere = RegistrationFactory()
    with pytest.raises(ValidationError):
        services.participant_assign(participant=Participant.objects.get(), registration=elsewhere, by=trainer)


def test_manual_override_wins_and_keeps_who_when_why(class_session, ada, grace, trainer, owner, signal):
    signal("join", 0, participant="ada", registration=ada)
    signal("leave", 90, participant="ada", registration=ada)

    services.attendance_override_set(registration=ada, status="absent", reason="Camera off, not there", by=trainer)
    services.attendance_override_set(registration=grace, status="present", reason="Joined by phone", by=owner)

    ada_row, grace_row = row_of(class_session, ada), row_of(class_session, grace)
    assert ada_row.attended_by_time and not ada_row.attended
    assert (ada_row.override.set_by, ada_row.override.reason) == (trainer, "Camera off, not there")
    assert grace_row.attended and not grace_row.joined

    services.attendance_override_set(registration=ada, status="automatic", reason="", by=owner)
    ada_row = row_of(class_session, ada)
    assert ada_row.override is None and ada_row.attended
    assert list(AttendanceOverride.objects.filter(registration=ada).values_list("status", flat=True)) == [
        "absent",
        "automatic",
    ]


def test_marking_by_hand_needs_a_reason(ada, trainer):
    with pytest.raises(ValidationError):
        services.attendance_override_set(registration=ada, status="present", reason="  ", by=trainer)
    assert not AttendanceOverride.objects.exists()


def test_threshold_comes_from_the_course_else_the_organization(class_session, ada, signal):
    signal("join", 0, participant="ada", registration=ada)
    signal("leave", 70, participant="ada", registration=ada)  # 77% of 90 minutes
    organization, course = class_session.organization, class_session.course

    assert not row_of(class_session, ada).attended

    organization.attendance_threshold_percent = 75
    organization.save()
    class_session.organization.refresh_from_db()
    assert row_of(class_session, ada).attended

    course.attendance_threshold_percent = 90
    course.save()
    attendance = selectors.attendance_for_class(class_session=class_session)
    assert attendance.threshold_percent == 90
    assert not attendance.rows[0].attended


def test_invalid_signals_are_refused(class_session, ada):
    common = {"class_session": class_session, "source": "test", "session_key": "run"}
    with pytest.raises(ValidationError):
        services.presence_signal_record(
            **common, external_id="a", kind="join", occurred_at=class_session.starts_at, participant_key=""
        )
    with pytest.raises(ValidationError):
        services.presence_signal_record(
            **common, external_id="b", kind="join", participant_key="p", occurred_at=datetime(2030, 1, 1, 9, 0)
        )
    with pytest.raises(ValidationError):
        services.presence_signal_record(
            **common,
            external_id="c",
            kind="join",
            participant_key="p",
            occurred_at=class_session.starts_at,
            registration=RegistrationFactory(),
        )
    assert not PresenceSignal.objects.exists()


def test_rebuild_reproduces_the_incremental_result(class_session, ada, grace, signal):
    signal("session_start", 0)
    signal("join", 0, participant="ada", registration=ada)
    signal("join", 5, participant="grace-phone", email="GRACE@example.com")
    signal("leave", 40, participant="ada", registration=ada)
    signal("join", 45, participant="ada", registration=ada)
    signal("join", 50, participant="guest", display_name="Guest")
    signal("session_end", 90)
    incremental = derived_snapshot(class_session)

    Participant.objects.update(intervals=[], seconds_present=0, registration=None, match_method="", open_since=None)
    AttendanceRecord.objects.all().delete()
    services.attendance_rebuild(class_session=class_session)

    assert derived_snapshot(class_session) == incremental
    assert incremental["records"]  # the comparison is not between two empty states


def test_one_signal_costs_the_same_whatever_the_class_size(class_session, signal):
    def queries_for_one_leave():
        registration = RegistrationFactory(class_session=class_session)
        signal("join", 0, participant=f"p{registration.pk}", registration=registration)
        with CaptureQueriesContext(connection) as captured:
            signal("leave", 60, participant=f"p{registration.pk}", registration=registration)
        return len(captured)

    small = queries_for_one_leave()
    for index in range(40):
        signal("join", index, participant=f"crowd-{index}", email=f"crowd{index}@example.com")
    assert queries_for_one_leave() == small


def test_occurred_at_in_another_zone_is_the_same_instant(class_session, ada, signal):
    berlin = class_session.zone
    signal("join", 0, participant="ada", registration=ada)
    services.presence_signal_record(
        class_session=class_session,
        source="test",
        external_id="berlin-leave",
        session_key="run-1",
        participant_key="ada",
        kind="leave",
        occurred_at=(class_session.starts_at + timedelta(minutes=30)).astimezone(berlin),
        registration=ada,
    )
    assert row_of(class_session, ada).minutes == 30
