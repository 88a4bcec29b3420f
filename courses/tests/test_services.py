from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses import extensions, services
from courses.models import ClassSession, Registration
from tests.factories import ClassSessionFactory, RegistrationFactory


def _register(class_session, email="ada@example.com", first="Ada", last="Lovelace"):
    return services.registration_create(class_session=class_session, first_name=first, last_name=last, email=email)


@pytest.mark.django_db(transaction=True)
def test_registration_sends_confirmation_with_time_in_class_zone_and_ics(class_session):
    class_session.starts_at = timezone.now().replace(microsecond=0) + timedelta(days=2)
    class_session.timezone = "Asia/Tokyo"
    class_session.save()
    registration = _register(class_session, email="Ada@Example.com ")
    assert registration.email == "ada@example.com"
    assert registration.student.email == "ada@example.com"
    assert not registration.student.has_usable_password()
    message = mail.outbox[-1]
    assert message.to == ["ada@example.com"]
    local = class_session.local_starts_at
    assert local.strftime("%H:%M") in message.body and "Asia/Tokyo" in message.body
    assert registration.cancel_token in message.body
    html = message.alternatives[0][0]
    assert "Asia/Tokyo" in html
    filename, ics, mimetype = message.attachments[0]
    assert filename == "invite.ics" and mimetype.startswith("text/calendar")
    assert "BEGIN:VEVENT" in ics and f"class-{class_session.pk}@cohortstudio.io" in ics
    assert "METHOD:REQUEST" in ics


@pytest.mark.django_db
def test_duplicate_email_is_refused_case_insensitively(class_session):
    _register(class_session)
    with pytest.raises(ValidationError) as error:
        _register(class_session, email="ADA@example.com")
    assert "already registered" in str(error.value)
    assert Registration.objects.count() == 1


@pytest.mark.django_db
def test_full_class_is_refused(class_session):
    class_session.capacity = 1
    class_session.save()
    _register(class_session)
    with pytest.raises(ValidationError, match="full"):
        _register(class_session, email="grace@example.com")


@pytest.mark.django_db
def test_started_or_cancelled_class_refuses_registration(class_session):
    ClassSession.objects.filter(pk=class_session.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    class_session.refresh_from_db()
    with pytest.raises(ValidationError, match="already started"):
        _register(class_session)
    future = ClassSessionFactory(status="cancelled")
    with pytest.raises(ValidationError, match="cancelled"):
        _register(future)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first,email,field",
    [("", "ok@example.com", "first_name"), ("Ada", "not-an-email", "email"), ("Ada", "", "email")],
)
def test_bad_person_data_is_refused(class_session, first, email, field):
    with pytest.raises(ValidationError) as error:
        _register(class_session, email=email, first=first)
    assert field in error.value.error_dict
    assert Registration.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_cancel_then_register_again_reinstates_the_same_registration(class_session):
    registration = _register(class_session)
    services.registration_cancel(registration=registration, by="student")
    registration.refresh_from_db()
    assert registration.status == "cancelled" and registration.cancelled_at
    cancellation = mail.outbox[-1]
    assert "cancelled" in cancellation.subject.lower()
    assert "METHOD:CANCEL" in cancellation.attachments[0][1]
    again = _register(class_session)
    assert again.pk == registration.pk and again.is_confirmed and again.cancelled_at is None


@pytest.mark.django_db
def test_bulk_add_parses_lines_and_reports_bad_ones(class_session):
    text = "first,last,email\nAda Lovelace <ada@example.com>\nGrace,Hopper,grace@example.com\n\nbroken line\nalan@example.com\nAda L <ADA@example.com>\n"
    result = services.registrations_bulk_create(class_session=class_session, text=text)
    assert sorted(r.email for r in result.created) == ["ada@example.com", "alan@example.com", "grace@example.com"]
    assert [number for number, _, _ in result.errors] == [5, 7]
    assert "already registered" in result.errors[1][2]


@pytest.mark.django_db
def test_class_in_the_past_is_refused(course):
    with pytest.raises(ValidationError) as error:
        services.class_session_create(
            course=course,
            title="Late",
            starts_at=timezone.now() - timedelta(hours=1),
            duration_minutes=60,
            timezone_name="UTC",
            delivery_mode="virtual",
            capacity=10,
        )
    assert "future" in str(error.value)
    assert ClassSession.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_reschedule_emails_an_updated_invite_and_runs_hooks(class_session, monkeypatch):
    registration = RegistrationFactory(class_session=class_session)
    seen = []
    monkeypatch.setattr(extensions.class_session_hooks, "_providers", [lambda **kw: seen.append(kw)])
    new_start = class_session.starts_at + timedelta(hours=2)
    _, changes = services.class_session_update(
        class_session=class_session, starts_at=new_start, title=class_session.title
    )
    assert changes == ["starts_at"]
    assert seen[0]["event"] == "updated" and seen[0]["changes"] == ("starts_at",)
    message = mail.outbox[-1]
    assert message.to == [registration.email] and "New time" in message.subject
    assert "SEQUENCE:1" in message.attachments[0][1]


@pytest.mark.django_db
def test_capacity_below_registered_count_is_refused(class_session):
    RegistrationFactory.create_batch(3, class_session=class_session)
    with pytest.raises(ValidationError, match="3 students"):
        services.class_session_update(class_session=class_session, capacity=2)


@pytest.mark.django_db(transaction=True)
def test_cancel_class_emails_students(class_session):
    RegistrationFactory.create_batch(2, class_session=class_session)
    services.class_session_cancel(class_session=class_session)
    class_session.refresh_from_db()
    assert class_session.is_cancelled
    assert len([m for m in mail.outbox if m.subject.startswith("Cancelled")]) == 2


@pytest.mark.django_db(transaction=True)
def test_delete_upcoming_class_tells_students_and_removes_registrations(class_session):
    RegistrationFactory.create_batch(2, class_session=class_session)
    services.class_session_delete(class_session=class_session)
    assert not ClassSession.objects.exists() and not Registration.objects.exists()
    assert len([m for m in mail.outbox if m.subject.startswith("Cancelled")]) == 2


@pytest.mark.django_db(transaction=True)
def test_confirmation_deferrer_takes_over_the_email(class_session, monkeypatch):
    monkeypatch.setattr(extensions.confirmation_deferrers, "_providers", [lambda **kw: True])
    _register(class_session)
    assert mail.outbox == []
