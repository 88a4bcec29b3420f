from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from courses import services
from courses.models import ClassSession
from tests.factories import ClassSessionFactory, RegistrationFactory


def _class_starting_in(course, delta):
    class_session = ClassSessionFactory(course=course)
    ClassSession.objects.filter(pk=class_session.pk).update(starts_at=timezone.now() + delta)
    return class_session


@pytest.mark.django_db
def test_reminders_go_out_once_24h_and_1h_before(course, django_capture_on_commit_callbacks):
    tomorrow = _class_starting_in(course, timedelta(hours=23))
    soon = _class_starting_in(course, timedelta(minutes=50))
    later = _class_starting_in(course, timedelta(days=3))
    day_student = RegistrationFactory(class_session=tomorrow)
    hour_student = RegistrationFactory(class_session=soon)
    RegistrationFactory(class_session=later)
    RegistrationFactory(class_session=tomorrow, status="cancelled")

    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send_due() == 2
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[day_student.email].startswith("Tomorrow")
    assert subjects[hour_student.email].startswith("Starting soon")
    assert services.reminders_send_due() == 0
    assert len(mail.outbox) == 2

    # 22 hours later the tomorrow class is within the hour: its 1-hour reminder follows.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send_due(now=timezone.now() + timedelta(hours=22, minutes=30)) == 1
    assert mail.outbox[-1].to == [day_student.email] and mail.outbox[-1].subject.startswith("Starting soon")


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
