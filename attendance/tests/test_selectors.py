import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attendance import extensions, selectors, services
from attendance.models import AttendanceOverride, AttendanceRecord, Participant
from attendance.presence import intervals_to_json
from courses.models import ClassSession
from tests.factories import ClassSessionFactory, RegistrationFactory

from .conftest import at


def _populate(class_session, count, trainer):
    """A class of `count` students: half present an hour, a fifth marked by hand, some guests."""
    registrations = RegistrationFactory.create_batch(count, class_session=class_session)
    start, end = at(class_session, 0), at(class_session, 60)
    AttendanceRecord.objects.bulk_create(
        AttendanceRecord(
            organization=class_session.organization,
            class_session=class_session,
            registration=registration,
            intervals=intervals_to_json([(start, end)]),
            first_joined_at=start,
            last_left_at=end,
            seconds_present=3600,
        )
        for registration in registrations[::2]
    )
    AttendanceOverride.objects.bulk_create(
        AttendanceOverride(
            organization=class_session.organization,
            class_session=class_session,
            registration=registration,
            status="present",
            reason="Dialled in",
            set_by=trainer,
        )
        for registration in registrations[::5]
    )
    Participant.objects.bulk_create(
        Participant(
            organization=class_session.organization,
            class_session=class_session,
            source="test",
            session_key="run",
            participant_key=f"guest-{index}",
            display_name=f"Guest {index}",
        )
        for index in range(max(1, count // 10))
    )


def _queries(class_session, read):
    loaded = selectors.class_session_for_attendance(
        organization=class_session.organization, class_session_id=class_session.pk
    )
    with CaptureQueriesContext(connection) as captured:
        read(loaded)
    return len(captured)


@pytest.mark.parametrize(
    "read",
    [
        lambda class_session: selectors.attendance_for_class(class_session=class_session),
        lambda class_session: list(selectors.attendance_csv_lines(class_session=class_session)),
        lambda class_session: selectors.attendance_page_for_class(class_session=class_session, number=2).rows,
    ],
    ids=["section", "csv", "page"],
)
def test_fixed_number_of_queries_for_5_or_500_students(course, trainer, read, monkeypatch):
    # Attendance's own queries; what other apps add to the report is counted by their tests.
    monkeypatch.setattr(extensions.report_columns, "_providers", [])
    small, large = ClassSessionFactory(course=course), ClassSessionFactory(course=course)
    _populate(small, 5, trainer)
    _populate(large, 500, trainer)

    assert _queries(small, read) == _queries(large, read) <= 6


def test_section_rows_unmatched_and_counts(class_session, ada, grace, trainer, signal):
    signal("session_start", 0)
    signal("join", 1, participant="ada", registration=ada)
    signal("leave", 80, participant="ada", registration=ada)
    signal("join", 2, participant="guest", display_name="Guest")
    signal("session_end", 90)
    services.attendance_override_set(registration=grace, status="present", reason="Phone", by=trainer)
    RegistrationFactory(class_session=class_session, status="cancelled")

    attendance = selectors.attendance_for_class(class_session=class_session)

    assert [row.registration for row in attendance.rows] == [grace, ada]  # by last name
    assert (attendance.registered_count, attendance.joined_count, attendance.attended_count) == (2, 1, 2)
    assert [participant.display_name for participant in attendance.unmatched] == ["Guest"]
    assert attendance.has_data


def test_csv_has_the_section_columns_in_the_class_time_zone(class_session, ada, trainer, signal):
    signal("join", 0, participant="ada", registration=ada)
    signal("leave", 45, participant="ada", registration=ada)
    signal("join", 5, participant="guest", display_name='=HYPERLINK("http://evil")')
    services.attendance_override_set(registration=ada, status="present", reason="Stayed on the phone", by=trainer)

    rows = list(csv.reader(io.StringIO("".join(selectors.attendance_csv_lines(class_session=class_session)))))

    def local(minute):
        return at(class_session, minute).astimezone(class_session.zone).isoformat(timespec="seconds")

    assert rows[0] == selectors.CSV_HEADER
    assert rows[1] == [
        "Registered",
        "Lovelace",
        "Ada",
        "Ada@Example.com",
        "yes",
        local(0),
        local(45),
        "45",
        "50",
        "yes",
        "Present",
        "Stayed on the phone",
        trainer.email,
        rows[1][13],
    ]
    assert rows[2][:5] == ["Unmatched participant", "", '\'=HYPERLINK("http://evil")', "", "yes"]
    assert rows[2][5] == local(5)


def test_csv_times_are_iso_8601_with_the_class_zones_offset(course, trainer):
    class_session = ClassSessionFactory(course=course, timezone="Europe/Paris")
    ClassSession.objects.filter(pk=class_session.pk).update(starts_at=datetime(2026, 12, 3, 17, 0, tzinfo=UTC))
    class_session.refresh_from_db()
    ada = RegistrationFactory(class_session=class_session)
    record = services.presence_signal_record
    for kind, minute in (("join", 0), ("leave", 45)):
        record(
            class_session=class_session,
            source="test",
            external_id=f"iso-{kind}",
            session_key="run-1",
            participant_key="ada",
            kind=kind,
            occurred_at=at(class_session, minute),
            registration=ada,
        )

    rows = list(csv.reader(io.StringIO("".join(selectors.attendance_csv_lines(class_session=class_session)))))

    assert rows[1][5:7] == ["2026-12-03T18:00:00+01:00", "2026-12-03T18:45:00+01:00"]


def test_student_view_leaves_out_classes_without_any_data(class_session, ada, signal, course):
    quiet = RegistrationFactory(class_session=ClassSessionFactory(course=course))
    signal("join", 0, participant="ada", registration=ada)
    signal("leave", 75, participant="ada", registration=ada)
    others = RegistrationFactory(class_session=class_session)

    found = selectors.attendance_for_student(registrations=[ada, others, quiet])

    assert set(found) == {ada.pk, others.pk}
    assert (found[ada.pk].minutes, found[ada.pk].attended) == (75, True)
    assert not found[others.pk].joined


def test_open_presence_counts_up_to_now_in_the_section(course):
    class_session = ClassSessionFactory(course=course, starts_at=timezone.now() - timedelta(minutes=30))
    registration = RegistrationFactory(class_session=class_session)
    services.presence_signal_record(
        class_session=class_session,
        source="test",
        external_id="live-join",
        session_key="run",
        participant_key="p",
        kind="join",
        occurred_at=class_session.starts_at,
        registration=registration,
    )
    (row,) = selectors.attendance_for_class(class_session=class_session).rows
    assert row.in_meeting
    assert (row.minutes, row.share_percent) == (30, 33)


def test_presence_never_closed_stops_counting_at_the_scheduled_end(course):
    class_session = ClassSessionFactory(course=course, starts_at=timezone.now() - timedelta(days=1))
    registration = RegistrationFactory(class_session=class_session)
    services.presence_signal_record(
        class_session=class_session,
        source="test",
        external_id="join-without-end",
        session_key="run",
        participant_key="p",
        kind="join",
        occurred_at=class_session.starts_at + timedelta(minutes=30),
        registration=registration,
    )
    (row,) = selectors.attendance_for_class(class_session=class_session).rows
    assert (row.minutes, row.share_percent, row.attended) == (60, 66, False)


def test_columns_other_apps_add_appear_in_the_csv_and_are_read_once(class_session, ada, grace, monkeypatch):
    calls = []

    def answered(*, class_session, registrations):
        calls.append([registration.pk for registration in registrations])
        return [extensions.ReportColumn(header="Quiz", cells={ada.pk: "passed"}, empty="not taken")]

    monkeypatch.setattr(extensions.report_columns, "_providers", [answered])
    attendance = selectors.attendance_for_class(class_session=class_session)
    assert calls == []  # a report read for its numbers (the class panel, course progress) never asks

    rows = list(csv.reader(io.StringIO("".join(selectors.attendance_csv_lines(class_session=class_session)))))

    assert rows[0][-1] == "Quiz"
    assert {row[3]: row[-1] for row in rows[1:]} == {ada.email: "passed", grace.email: ""}
    assert attendance.columns[0].cell(grace.pk) == "not taken"
    assert len(calls) == 2 and sorted(calls[0]) == sorted([ada.pk, grace.pk])


def test_the_class_page_summary_counts_as_the_report_does(class_session, ada, grace, trainer, signal):
    signal("session_start", 0)
    signal("join", 1, participant="ada", registration=ada)
    signal("leave", 80, participant="ada", registration=ada)
    signal("join", 2, participant="guest", display_name="Guest")
    services.attendance_override_set(registration=grace, status="absent", reason="Left early", by=trainer)
    RegistrationFactory(class_session=class_session, status="cancelled")
    loaded = selectors.class_session_for_attendance(
        organization=class_session.organization, class_session_id=class_session.pk
    )

    report = selectors.attendance_for_class(class_session=loaded)
    summary = selectors.attendance_summary_for_class(class_session=loaded)

    assert (
        (summary.registered_count, summary.attended_count, summary.joined_count, summary.unmatched_count)
        == (
            report.registered_count,
            report.attended_count,
            report.joined_count,
            len(report.unmatched),
        )
        == (2, 1, 1, 1)
    )
    assert summary.threshold_percent == report.threshold_percent


def test_a_page_of_the_report_counts_the_whole_class_and_loads_only_its_rows(
    course, trainer, django_assert_num_queries
):
    class_session = ClassSessionFactory(course=course)
    _populate(class_session, 120, trainer)
    loaded = selectors.class_session_for_attendance(
        organization=class_session.organization, class_session_id=class_session.pk
    )
    report = selectors.attendance_for_class(class_session=loaded)

    for number, shown in (("2", slice(50, 100)), ("3", slice(100, 120)), ("9", slice(100, 120)), (None, slice(0, 50))):
        page = selectors.attendance_page_for_class(class_session=loaded, number=number)
        assert page.rows == report.rows[shown]
        assert (
            (page.registered_count, page.attended_count, page.joined_count, page.has_data)
            == (
                report.registered_count,
                report.attended_count,
                report.joined_count,
                report.has_data,
            )
            == (120, report.attended_count, 60, True)
        )
        assert [participant.pk for participant in page.unmatched] == [
            participant.pk for participant in report.unmatched
        ]
        assert page.runs == report.runs
        assert page.page.paginator.num_pages == 3
    with django_assert_num_queries(1):
        assert page.assignable == [row.registration for row in report.rows]
