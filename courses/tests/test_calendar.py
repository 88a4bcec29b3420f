from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from courses import services
from courses.models import ClassSession
from tests.factories import ClassSessionFactory, RegistrationFactory

BERLIN = ZoneInfo("Europe/Berlin")


def _class_starting_at(course, starts_at):
    class_session = ClassSessionFactory(course=course, timezone="Europe/Berlin")
    ClassSession.objects.filter(pk=class_session.pk).update(starts_at=starts_at)
    return class_session


@pytest.mark.django_db
def test_reminders_go_out_once_24h_and_1h_before_worded_from_the_time_left(course, django_capture_on_commit_callbacks):
    now = datetime(2026, 12, 3, 20, 0, tzinfo=BERLIN)
    tomorrow = _class_starting_at(course, now + timedelta(hours=23))
    soon = _class_starting_at(course, now + timedelta(minutes=50))
    later = _class_starting_at(course, now + timedelta(days=3))
    day_student = RegistrationFactory(class_session=tomorrow)
    hour_student = RegistrationFactory(class_session=soon)
    RegistrationFactory(class_session=later)
    RegistrationFactory(class_session=tomorrow, status="cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send_due(now=now) == 2
    messages = {message.to[0]: message for message in mail.outbox}
    assert messages[day_student.email].subject == f"Starts tomorrow at 19:00 CET: {tomorrow.title}"
    assert "your class with Acme Training starts tomorrow at 19:00 CET." in messages[day_student.email].body
    assert messages[hour_student.email].subject == f"Starts in 50 minutes: {soon.title}"
    assert services.reminders_send_due(now=now) == 0
    assert len(mail.outbox) == 2

    # 22 hours 20 minutes later the tomorrow class is within the hour: its 1-hour reminder follows.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send_due(now=now + timedelta(hours=22, minutes=20)) == 1
    assert mail.outbox[-1].to == [day_student.email]
    assert mail.outbox[-1].subject == f"Starts in 40 minutes: {tomorrow.title}"


@pytest.mark.django_db
def test_the_24_hour_reminder_of_a_class_later_the_same_day_says_today(course, django_capture_on_commit_callbacks):
    now = datetime(2026, 12, 3, 0, 30, tzinfo=BERLIN)
    late = _class_starting_at(course, datetime(2026, 12, 3, 23, 0, tzinfo=BERLIN))
    RegistrationFactory(class_session=late)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send_due(now=now) == 1
    assert mail.outbox[-1].subject == f"Starts today at 23:00 CET: {late.title}"
    assert "starts today at 23:00 CET." in mail.outbox[-1].body
    assert "tomorrow" not in mail.outbox[-1].body.lower()


@pytest.mark.django_db
def test_student_feed_holds_only_their_confirmed_classes(client, course):
    mine = RegistrationFactory(class_session=ClassSessionFactory(course=course, title="Mine"))
    RegistrationFactory(
        class_session=ClassSessionFactory(course=course, title="Cancelled one"),
        email=mine.email,
        student=mine.student,
        status="cancelled",
    )
    RegistrationFactory(class_session=ClassSessionFactory(course=course, title="Someone else's"))
    feed = services.calendar_feed_get_or_create(user=mine.student)
    response = client.get(f"/calendar/{feed.token}.ics")
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "Mine" in body and "Cancelled one" not in body and "Someone else" not in body


@pytest.mark.django_db
def test_trainer_feed_has_the_orgs_classes_without_student_details(client, organization, course, trainer):
    class_session = ClassSessionFactory(course=course, title="Org class")
    registration = RegistrationFactory(class_session=class_session)
    feed = services.calendar_feed_get_or_create(user=trainer, organization=organization)
    body = client.get(f"/calendar/{feed.token}.ics").content.decode()
    assert "Org class" in body
    assert registration.email not in body and registration.first_name not in body
    assert "ATTENDEE" not in body


@pytest.mark.django_db
def test_unknown_feed_token_is_404(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404


@pytest.mark.django_db
def test_feed_urls_are_shown_to_students_and_trainers(client, registration, trainer):
    client.force_login(registration.student)
    assert b"/calendar/" in client.get("/portal/").content
    client.force_login(trainer)
    assert b"/calendar/" in client.get("/courses/").content
