"""Cohorts: series of classes, course enrolment, waitlists and copying a course."""

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from courses import cohorts, services
from courses.models import ClassSession, Enrolment, Registration, RegistrationStatus
from courses.recurrence import WEEKLY, RepeatRule
from tests.factories import ClassSessionFactory, RegistrationFactory

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _next(weekday):
    """The next date (at least 3 days ahead) falling on `weekday` (Monday 0)."""
    day = timezone.now().date() + timedelta(days=3)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _series(course, *, count=8, capacity=30, first=None, weekdays=(1,), zone="America/New_York"):
    rule = RepeatRule(first or _next(1), time(18, 30), zone, WEEKLY, weekdays=weekdays, count=count)
    return cohorts.class_series_create(
        course=course,
        title_pattern="Week {n}: PMP prep",
        rule=rule,
        duration_minutes=90,
        delivery_mode="virtual",
        capacity=capacity,
    )


def _enrol(course, email, first="Ada", **kwargs):
    return cohorts.enrolment_create(course=course, first_name=first, last_name="Lovelace", email=email, **kwargs)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run after-commit work (emails, hooks) as a real request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.django_db
def test_a_series_makes_every_class_at_the_same_local_time_each_editable(course):
    series = _series(course, count=8)
    classes = list(series.class_sessions.order_by("starts_at"))
    assert [c.title for c in classes] == [f"Week {n}: PMP prep" for n in range(1, 9)]
    assert [c.series_number for c in classes] == list(range(1, 9))
    assert {(c.starts_at.astimezone(NEW_YORK).hour, c.starts_at.astimezone(NEW_YORK).minute) for c in classes} == {
        (18, 30)
    }
    assert {c.starts_at.astimezone(NEW_YORK).weekday() for c in classes} == {1}
    # Each class stays its own: moving one leaves the others.
    starts = [c.starts_at for c in classes]
    moved, _ = services.class_session_update(class_session=classes[4], starts_at=starts[4] + timedelta(hours=1))
    assert ClassSession.objects.filter(series=series, starts_at__in=starts).count() == 7
    assert moved.series_id == series.pk


@pytest.mark.django_db
def test_a_series_in_the_past_or_beyond_zoom_limits_is_refused(course):
    with pytest.raises(ValidationError, match="must start in the future"):
        _series(course, first=timezone.now().date() - timedelta(days=7))
    with pytest.raises(ValidationError, match="between 1 and 60"):
        _series(course, count=61)
    assert ClassSession.objects.count() == 0


@pytest.mark.django_db
def test_enrolment_registers_for_every_upcoming_class_with_one_email_and_one_ics(course, commit):
    _series(course, count=8)
    ClassSessionFactory(course=course, starts_at=timezone.now() - timedelta(days=1))  # already held
    ClassSessionFactory(course=course, status="cancelled")

    with commit():
        enrolment = _enrol(course, "ada@example.com")

    assert enrolment.is_confirmed
    registrations = Registration.objects.filter(enrolment=enrolment, status=RegistrationStatus.CONFIRMED)
    assert registrations.count() == 8
    assert len(mail.outbox) == 1, "one email for the enrolment, not one per class"
    message = mail.outbox[0]
    assert message.subject == f"You're enrolled: {course.title}"
    assert "Week 8: PMP prep" in message.body and "(America/New_York)" in message.body
    filename, ics, _ = message.attachments[0]
    events = list(Calendar.from_ical(ics).walk("VEVENT"))
    assert filename == "course.ics" and len(events) == 8
    assert {str(event["uid"]) for event in events} == {
        f"class-{r.class_session_id}@cohortstudio.io" for r in registrations
    }


@pytest.mark.django_db
def test_a_class_added_later_registers_everyone_enrolled_and_tells_them_once(course, commit):
    _series(course, count=2)
    with commit():
        ada, grace = _enrol(course, "ada@example.com"), _enrol(course, "grace@example.com", first="Grace")
    mail.outbox.clear()

    with commit():
        added = services.class_session_create(
            course=course,
            title="Exam review",
            starts_at=timezone.now() + timedelta(days=60),
            duration_minutes=60,
            timezone_name="America/New_York",
            delivery_mode="virtual",
            capacity=30,
        )

    assert set(Registration.objects.filter(class_session=added).values_list("enrolment", flat=True)) == {
        ada.pk,
        grace.pk,
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "grace@example.com"]
    assert mail.outbox[0].subject == f"A class was added to {course.title}: Exam review"


@pytest.mark.django_db
def test_cancelling_an_enrolment_cancels_future_classes_and_keeps_the_past(course, commit):
    series = _series(course, count=3)
    with commit():
        enrolment = _enrol(course, "ada@example.com")
    first = series.class_sessions.order_by("starts_at").first()
    ClassSession.objects.filter(pk=first.pk).update(starts_at=timezone.now() - timedelta(hours=3))  # held already

    with commit():
        cohorts.enrolment_cancel(enrolment=enrolment, by="student")

    statuses = dict(Registration.objects.filter(enrolment=enrolment).values_list("class_session_id", "status"))
    assert statuses.pop(first.pk) == RegistrationStatus.CONFIRMED, "past attendance stays"
    assert set(statuses.values()) == {RegistrationStatus.CANCELLED}
    assert mail.outbox[-1].subject == f"Enrolment cancelled: {course.title}"


@pytest.mark.django_db
def test_a_full_class_offers_its_waitlist_and_a_freed_seat_goes_to_the_first_in_line(course, commit):
    class_session = ClassSessionFactory(course=course, capacity=1)
    seated = RegistrationFactory(class_session=class_session)
    with commit():
        first = services.registration_create(
            class_session=class_session, first_name="Grace", last_name="", email="grace@example.com", waitlist=True
        )
        second = services.registration_create(
            class_session=class_session, first_name="Alan", last_name="", email="alan@example.com", waitlist=True
        )
    assert (first.status, second.status) == (RegistrationStatus.WAITLISTED, RegistrationStatus.WAITLISTED)
    assert "number 2 in line" in mail.outbox[-1].body
    with pytest.raises(ValidationError, match="full"):
        services.registration_create(class_session=class_session, first_name="X", last_name="", email="x@example.com")
    mail.outbox.clear()

    with commit():
        services.registration_cancel(registration=seated, by="student")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_confirmed and second.is_waitlisted
    promoted = next(m for m in mail.outbox if m.to == ["grace@example.com"])
    assert promoted.subject.startswith("A seat opened up")
    with pytest.raises(ValidationError, match="The class is full"):
        services.registration_promote(registration=second)


@pytest.mark.django_db
def test_a_full_course_puts_enrolments_on_its_waitlist_in_order(course, commit):
    series = _series(course, count=4, capacity=1)
    with commit():
        seated = _enrol(course, "ada@example.com")
        waiting = _enrol(course, "grace@example.com", first="Grace")
        later = _enrol(course, "alan@example.com", first="Alan")
    assert (waiting.status, later.status) == (RegistrationStatus.WAITLISTED, RegistrationStatus.WAITLISTED)
    assert "number 2 in line" in next(m for m in mail.outbox if m.to == ["alan@example.com"]).body
    assert not Registration.objects.filter(email="grace@example.com").exists()
    with pytest.raises(ValidationError, match="already on this course's waitlist"):
        _enrol(course, "GRACE@example.com")

    with commit():
        cohorts.enrolment_cancel(enrolment=seated, by="trainer")

    waiting.refresh_from_db()
    later.refresh_from_db()
    assert waiting.is_confirmed and later.is_waitlisted
    assert Registration.objects.filter(enrolment=waiting, status="confirmed").count() == 4
    assert series.class_sessions.count() == 4
    assert any(m.subject.startswith("A seat opened up") and m.to == ["grace@example.com"] for m in mail.outbox)


@pytest.mark.django_db
def test_copying_a_course_shifts_the_schedule_keeping_local_times_and_copies_no_students(course, commit):
    series = _series(course, count=3, first=_next(1))
    with commit():
        _enrol(course, "ada@example.com")
    start = series.class_sessions.order_by("starts_at").first().starts_at.astimezone(NEW_YORK).date()
    # Across a clock change: a start in the other half of the year.
    new_start = start + timedelta(weeks=26)

    copy = cohorts.course_copy(course=course, title="PMP prep, spring cohort", first_starts_on=new_start)

    classes = list(copy.class_sessions.order_by("starts_at"))
    assert [c.starts_at.astimezone(NEW_YORK).date() for c in classes] == [
        new_start + timedelta(weeks=n) for n in range(3)
    ]
    assert {(c.starts_at.astimezone(NEW_YORK).hour, c.starts_at.astimezone(NEW_YORK).minute) for c in classes} == {
        (18, 30)
    }
    assert {c.series.course_id for c in classes} == {copy.pk} and classes[0].series_id != series.pk
    assert not Registration.objects.filter(class_session__course=copy).exists()
    assert not Enrolment.objects.filter(course=copy).exists()
    assert copy.certification == course.certification


@pytest.mark.django_db
def test_a_copy_that_would_start_in_the_past_is_refused(course):
    _series(course, count=2)
    with pytest.raises(ValidationError):
        cohorts.course_copy(course=course, title="Too early", first_starts_on=date(2020, 1, 7))
    assert course.organization.courses.count() == 1


# Pages -------------------------------------------------------------------------


@pytest.mark.django_db
def test_schedule_a_series_page_creates_the_classes(trainer_client, course):
    first = datetime.combine(_next(0), time(9, 0))
    response = trainer_client.post(
        f"/courses/{course.pk}/series/new/",
        {
            "title_pattern": "Day {n}",
            "first_starts_at_local": first.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Berlin",
            "duration_minutes": 120,
            "frequency": "weekly",
            "interval": 1,
            "weekdays": ["0", "2"],
            "count": 6,
            "delivery_mode": "in_person",
            "location": "Room 4",
            "capacity": 12,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    classes = list(ClassSession.objects.filter(course=course).order_by("starts_at"))
    assert len(classes) == 6 and {c.local_starts_at.weekday() for c in classes} == {0, 2}
    page = trainer_client.get(f"/courses/{course.pk}/").content.decode()
    assert "Day 6" in page and "(series, #6)" in page


@pytest.mark.django_db
def test_schedule_a_series_with_both_a_count_and_an_end_date_is_a_field_error(trainer_client, course):
    response = trainer_client.post(
        f"/courses/{course.pk}/series/new/",
        {
            "title_pattern": "Day {n}",
            "first_starts_at_local": datetime.combine(_next(0), time(9)).strftime("%Y-%m-%dT%H:%M"),
            "timezone": "Europe/Berlin",
            "duration_minutes": 60,
            "frequency": "weekly",
            "interval": 1,
            "count": 6,
            "until": (_next(0) + timedelta(weeks=4)).isoformat(),
            "delivery_mode": "virtual",
            "capacity": 12,
        },
    )
    assert response.status_code == 200
    assert "not both" in response.context["form"].errors["until"][0]
    assert not ClassSession.objects.exists()


@pytest.mark.django_db
def test_public_course_page_enrols_then_offers_the_waitlist_when_full(client, course, commit):
    _series(course, count=2, capacity=1)
    url = f"/enrol/{course.public_token}/"
    page = client.get(url).content.decode()
    assert "Enrol in the course" in page and "Week 2: PMP prep" in page and "America/New_York" in page
    with commit():
        done = client.post(url, {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"})
    assert "You're enrolled" in done.content.decode()

    page = client.get(url).content.decode()
    assert "Join the waitlist" in page
    with commit():
        waiting = client.post(url, {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"})
    assert "number 1 in line" in waiting.content.decode()


@pytest.mark.django_db
def test_roster_page_does_a_fixed_number_of_queries_whatever_the_size(
    trainer_client, course, django_assert_max_num_queries
):
    _series(course, count=8, capacity=100)
    for number in range(3):
        _enrol(course, f"s{number}@example.com")
    with django_assert_max_num_queries(20) as few:
        trainer_client.get(f"/courses/{course.pk}/roster/")
    for number in range(3, 40):
        _enrol(course, f"s{number}@example.com")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = trainer_client.get(f"/courses/{course.pk}/roster/")
    assert page.content.decode().count("Registered</span>") == 8 * 40


@pytest.mark.django_db
def test_student_portal_shows_enrolment_and_waitlist_places(client, course, commit):
    _series(course, count=2, capacity=1)
    with commit():
        _enrol(course, "ada@example.com")
        grace = _enrol(course, "grace@example.com", first="Grace")
    client.force_login(grace.student)
    page = client.get("/portal/").content.decode()
    assert course.title in page and "Waitlist #1" in page and "Leave the waitlist" in page


@pytest.mark.django_db
def test_public_enrolment_cancel_link(client, course, commit):
    _series(course, count=2)
    with commit():
        enrolment = _enrol(course, "ada@example.com")
    url = f"/enrolments/cancel/{enrolment.cancel_token}/"
    assert "Cancel your enrolment?" in client.get(url).content.decode()
    with commit():
        done = client.post(url)
    assert "Your enrolment is cancelled" in done.content.decode()
    assert not Registration.objects.filter(enrolment=enrolment, status="confirmed").exists()
