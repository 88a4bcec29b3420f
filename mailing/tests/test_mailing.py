import json
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from courses import services as course_services
from mailing import queue, services
from mailing.tasks import emails_send_task
from tests.factories import RegistrationFactory

from . import backends


@pytest.fixture
def counting_mail(settings):
    settings.EMAIL_BACKEND = "mailing.tests.backends.CountingBackend"
    backends.opened.clear()
    backends.fail_on_subjects.clear()
    return backends


@pytest.fixture
def queued(monkeypatch):
    """What the request handed to the mail task, instead of running it."""
    calls = []
    monkeypatch.setattr(emails_send_task, "delay", lambda **kwargs: calls.append(kwargs))
    return calls


def _message(subject):
    return {"subject": subject, "body": "b", "html": "", "to": ["ada@example.com"], "reply_to": [], "attachments": []}


@pytest.mark.django_db
def test_a_registration_request_sends_no_email_itself_it_queues_one_for_the_task(
    client, class_session, queued, django_capture_on_commit_callbacks
):
    class_session.starts_at = timezone.now() + timedelta(days=3)
    class_session.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/register/{class_session.public_token}/",
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        )
    assert b"You're registered" in response.content
    assert mail.outbox == [], "the request itself sent an email"
    [call] = queued
    assert json.loads(json.dumps(call)) == call, "the task's arguments must survive the broker's JSON"
    [message] = call["messages"]
    assert message["to"] == ["ada@example.com"] and message["attachments"][0][0] == "invite.ics"

    emails_send_task.apply(kwargs=call)
    assert mail.outbox[0].to == ["ada@example.com"] and "BEGIN:VCALENDAR" in mail.outbox[0].attachments[0][1]


@pytest.mark.django_db
def test_a_rescheduled_class_emails_every_student_from_one_task_over_one_connection(
    class_session, counting_mail, queued, django_capture_on_commit_callbacks
):
    class_session.starts_at = timezone.now() + timedelta(days=3)
    class_session.save()
    RegistrationFactory.create_batch(12, class_session=class_session)
    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_update(
            class_session=class_session, starts_at=class_session.starts_at + timedelta(hours=2)
        )
    [call] = queued
    assert call == {
        "batch": {
            "name": course_services.CLASS_STUDENTS_EMAIL,
            "kwargs": {"class_session_id": class_session.pk, "template": "class_rescheduled"},
        }
    }
    assert mail.outbox == []

    emails_send_task.apply(kwargs=call)
    assert len(mail.outbox) == 12 and len(counting_mail.opened) == 1


def test_a_failed_send_is_retried_for_the_unsent_messages_only(counting_mail, settings):
    counting_mail.fail_on_subjects.add("two")
    result = emails_send_task.apply(kwargs={"messages": [_message("one"), _message("two"), _message("three")]})
    assert result.successful(), result.traceback
    assert [message.subject for message in mail.outbox] == ["one", "two", "three"]


def test_delivery_reports_what_was_not_sent(counting_mail):
    counting_mail.fail_on_subjects.add("two")
    with pytest.raises(services.EmailDeliveryFailed) as failure:
        services.emails_deliver([_message("one"), _message("two"), _message("three")])
    assert [message["subject"] for message in failure.value.remaining] == ["two", "three"]
    assert isinstance(failure.value.cause, ConnectionRefusedError)


@pytest.mark.django_db
def test_many_messages_are_queued_in_batches(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue.emails_queue(_message(str(number)) for number in range(250))
    assert [len(call["messages"]) for call in queued] == [100, 100, 50]


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_email_still_goes_out(monkeypatch, caplog):
    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(emails_send_task, "delay", broker_down)
    with caplog.at_level(logging.WARNING, logger="mailing.queue"):
        queue.emails_queue([_message("still sent")])
    assert [message.subject for message in mail.outbox] == ["still sent"]
    assert "broker unreachable" in caplog.text


@pytest.mark.django_db
def test_a_sign_in_code_email_goes_through_the_mail_task(client, queued, django_capture_on_commit_callbacks):
    RegistrationFactory(email="grace@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/code/", {"email": "grace@example.com"})
    assert mail.outbox == []
    [call] = queued
    [message] = call["messages"]
    assert message["to"] == ["grace@example.com"] and message["subject"]
