"""`make run` has no Celery beat: the dev server's thread sends the reminders as they fall due."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from courses import embedded
from courses.models import ClassSession, Registration
from tests.factories import ClassSessionFactory, RegistrationFactory


class _StopAfter:
    """A stop event that lets the loop make `passes` passes, recording the waits asked for."""

    def __init__(self, passes):
        self.passes, self.waits = passes, []

    def wait(self, timeout):
        self.waits.append(timeout)
        return len(self.waits) >= self.passes


def _class_starting_in(course, delta):
    class_session = ClassSessionFactory(course=course)
    ClassSession.objects.filter(pk=class_session.pk).update(starts_at=timezone.now() + delta)
    return class_session


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_each_pass_sends_the_reminders_due_then_waits_a_minute(course, django_capture_on_commit_callbacks):
    soon = RegistrationFactory(class_session=_class_starting_in(course, timedelta(minutes=40)))
    RegistrationFactory(class_session=_class_starting_in(course, timedelta(days=3)))
    stop = _StopAfter(passes=2)

    with django_capture_on_commit_callbacks(execute=True):
        embedded.embedded_reminders_loop(stop=stop)

    assert [message.to for message in mail.outbox] == [[soon.email]]
    assert mail.outbox[0].subject.startswith("Starts in 40 minutes")
    assert stop.waits == [60.0, 60.0]
    assert Registration.objects.get(pk=soon.pk).reminder_hour_sent_at is not None


@pytest.mark.django_db
def test_a_failing_pass_does_not_stop_the_loop(monkeypatch):
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return 1

    monkeypatch.setattr(embedded, "reminders_send_due", flaky)
    embedded.embedded_reminders_loop(stop=_StopAfter(passes=2))
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)
def test_the_thread_sends_a_reminder_that_falls_due_while_the_server_runs(course):
    registration = RegistrationFactory(class_session=_class_starting_in(course, timedelta(minutes=30)))
    stop, thread = embedded.embedded_reminders_start(every=timedelta(milliseconds=50))
    try:
        for _ in range(100):
            if mail.outbox:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert [message.to for message in mail.outbox] == [[registration.email]]


def test_run_embedded_refuses_outside_the_embedded_default(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with pytest.raises(CommandError, match="run Celery beat"):
        call_command("run_embedded")


def test_run_embedded_starts_the_reminders_in_the_serving_process_only(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    started, served = [], []
    monkeypatch.setattr("courses.management.commands.run_embedded.embedded_reminders_start", lambda: started.append(1))
    monkeypatch.setattr(
        "courses.management.commands.run_embedded.call_command", lambda name, addrport: served.append(addrport)
    )
    monkeypatch.delenv("RUN_MAIN", raising=False)
    call_command("run_embedded", "127.0.0.1:8123")
    assert (started, served) == ([], ["127.0.0.1:8123"])  # the autoreloader's watcher process
    monkeypatch.setenv("RUN_MAIN", "true")
    call_command("run_embedded", "127.0.0.1:8123")
    assert started == [1]
