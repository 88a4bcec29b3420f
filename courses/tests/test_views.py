from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import ClassSession, Course, Registration
from tests.factories import ClassSessionFactory, RegistrationFactory


def _class_form(**overrides):
    start = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "Week 1: Integration",
        "starts_at_local": start,
        "duration_minutes": 90,
        "timezone": "America/Chicago",
        "delivery_mode": "virtual",
        "location": "",
        "capacity": 25,
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_course_create_and_list(trainer_client, organization):
    response = trainer_client.post("/courses/new/", {"title": "CAPM Prep", "certification": "CAPM", "description": ""})
    course = Course.objects.get(title="CAPM Prep")
    assert course.organization == organization
    assert response.url == f"/courses/{course.pk}/"
    assert b"CAPM Prep" in trainer_client.get("/courses/").content


@pytest.mark.django_db
def test_empty_course_list_shows_an_empty_state(trainer_client):
    assert b"No courses yet" in trainer_client.get("/courses/").content


@pytest.mark.django_db
def test_new_class_session_stores_utc_and_shows_class_zone(trainer_client, course):
    local = (timezone.now() + timedelta(days=10)).replace(hour=9, minute=30, second=0, microsecond=0)
    response = trainer_client.post(
        f"/courses/{course.pk}/classes/new/", _class_form(starts_at_local=local.strftime("%Y-%m-%dT%H:%M"))
    )
    class_session = ClassSession.objects.get()
    assert response.url == f"/courses/classes/{class_session.pk}/"
    assert class_session.local_starts_at.strftime("%H:%M") == "09:30"
    assert class_session.starts_at.utcoffset() == timedelta(0)
    assert class_session.starts_at.hour != 9  # Chicago is never UTC
    page = trainer_client.get(response.url)
    assert b"09:30" in page.content and b"America/Chicago" in page.content


@pytest.mark.django_db
def test_new_class_defaults_to_org_timezone(trainer_client, course):
    page = trainer_client.get(f"/courses/{course.pk}/classes/new/")
    assert page.context["form"].fields["timezone"].initial == "Europe/Berlin"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides,field,message",
    [
        (
            {"starts_at_local": (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")},
            "starts_at_local",
            b"must start in the future",
        ),
        ({"capacity": 0}, "capacity", b"greater than or equal to 1"),
        ({"title": ""}, "title", b"This field is required"),
        ({"duration_minutes": 2000}, "duration_minutes", b"less than or equal to 1440"),
        ({"starts_at_local": "9999-12-31T23:00"}, "starts_at_local", b"Choose a date between the year 2000"),
        ({"starts_at_local": "1999-12-31T23:00"}, "starts_at_local", b"Choose a date between the year 2000"),
    ],
)
def test_bad_class_input_shows_field_error_and_stores_nothing(trainer_client, course, overrides, field, message):
    response = trainer_client.post(f"/courses/{course.pk}/classes/new/", _class_form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content
    assert not ClassSession.objects.exists()


@pytest.mark.django_db
def test_edit_class_keeps_times_in_its_zone(trainer_client, class_session):
    page = trainer_client.get(f"/courses/classes/{class_session.pk}/edit/")
    assert page.context["form"].initial["starts_at_local"] == class_session.local_starts_at.replace(tzinfo=None)
    data = _class_form(
        title="Renamed",
        timezone=class_session.timezone,
        starts_at_local=class_session.local_starts_at.strftime("%Y-%m-%dT%H:%M"),
        duration_minutes=class_session.duration_minutes,
    )
    trainer_client.post(f"/courses/classes/{class_session.pk}/edit/", data)
    class_session.refresh_from_db()
    assert class_session.title == "Renamed"


@pytest.mark.django_db
def test_cancel_asks_for_confirmation_first(trainer_client, class_session):
    page = trainer_client.get(f"/courses/classes/{class_session.pk}/cancel/")
    assert b"Cancel class" in page.content
    class_session.refresh_from_db()
    assert not class_session.is_cancelled
    trainer_client.post(f"/courses/classes/{class_session.pk}/cancel/")
    class_session.refresh_from_db()
    assert class_session.is_cancelled


@pytest.mark.django_db
def test_trainer_adds_student_and_sees_errors(trainer_client, class_session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        trainer_client.post(
            f"/courses/classes/{class_session.pk}/registrations/add/",
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        )
    assert Registration.objects.get().email == "ada@example.com"
    assert mail.outbox[0].to == ["ada@example.com"]
    response = trainer_client.post(
        f"/courses/classes/{class_session.pk}/registrations/add/",
        {"first_name": "Ada", "last_name": "", "email": "ada@example.com"},
        follow=True,
    )
    assert b"already registered" in response.content
    response = trainer_client.post(
        f"/courses/classes/{class_session.pk}/registrations/add/", {"first_name": "", "email": "bad"}, follow=True
    )
    assert b"Enter a valid email address" in response.content
    assert Registration.objects.count() == 1


@pytest.mark.django_db
def test_bulk_page_keeps_failed_lines_for_fixing(trainer_client, class_session):
    response = trainer_client.post(
        f"/courses/classes/{class_session.pk}/registrations/bulk/",
        {"lines": "Ada Lovelace <ada@example.com>\nnot valid at all"},
    )
    assert response.status_code == 200
    assert response.context["form"].initial["lines"] == "not valid at all"
    assert Registration.objects.count() == 1


@pytest.mark.django_db
def test_public_registration_page(client, class_session, django_capture_on_commit_callbacks):
    url = f"/register/{class_session.public_token}/"
    assert b"seats left" in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"})
    assert b"You're registered" in response.content
    assert mail.outbox[0].to == ["grace@example.com"]
    again = client.post(url, {"first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com"})
    assert b"already registered" in again.content


@pytest.mark.django_db
def test_public_registration_closed_when_full_started_or_cancelled(client, course):
    full = ClassSessionFactory(course=course, capacity=1)
    RegistrationFactory(class_session=full)
    assert b"This class is full" in client.get(f"/register/{full.public_token}/").content
    started = ClassSessionFactory(course=course)
    ClassSession.objects.filter(pk=started.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    response = client.post(f"/register/{started.public_token}/", {"first_name": "A", "email": "a@example.com"})
    assert b"already started" in response.content
    assert not Registration.objects.filter(class_session=started).exists()
    cancelled = ClassSessionFactory(course=course, status="cancelled")
    assert b"was cancelled" in client.get(f"/register/{cancelled.public_token}/").content


@pytest.mark.django_db
def test_cancel_from_email_link(client, registration, django_capture_on_commit_callbacks):
    url = f"/registrations/cancel/{registration.cancel_token}/"
    assert b"Cancel your registration?" in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    registration.refresh_from_db()
    assert registration.status == "cancelled"
    assert "cancelled" in mail.outbox[-1].subject.lower()


@pytest.mark.django_db
def test_portal_shows_only_own_registrations_across_orgs(client, registration, other_organization):
    from tests.factories import ClassSessionFactory, CourseFactory

    elsewhere = ClassSessionFactory(course=CourseFactory(organization=other_organization), title="Elsewhere class")
    RegistrationFactory(class_session=elsewhere, email=registration.email, student=registration.student)
    RegistrationFactory(class_session=registration.class_session, email="someone.else@example.com")
    client.force_login(registration.student)
    page = client.get("/portal/")
    assert registration.class_session.title.encode() in page.content
    assert b"Elsewhere class" in page.content
    assert b"someone.else@example.com" not in page.content
    assert len(page.context["upcoming"]) == 2


@pytest.mark.django_db
def test_student_cancels_from_portal(client, registration):
    client.force_login(registration.student)
    client.post(f"/portal/registrations/{registration.pk}/cancel/")
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def _queries_for(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_class_page_query_count_is_the_same_at_5_and_500_students(trainer_client, course):
    small = ClassSessionFactory(course=course, capacity=600)
    big = ClassSessionFactory(course=course, capacity=600)
    RegistrationFactory.create_batch(5, class_session=small)
    RegistrationFactory.create_batch(500, class_session=big)
    assert _queries_for(trainer_client, f"/courses/classes/{big.pk}/") == _queries_for(
        trainer_client, f"/courses/classes/{small.pk}/"
    )


@pytest.mark.django_db
def test_portal_query_count_is_the_same_for_1_and_20_registrations(client, course):
    one = RegistrationFactory(class_session=ClassSessionFactory(course=course))
    many = RegistrationFactory(class_session=ClassSessionFactory(course=course))
    for _ in range(19):
        RegistrationFactory(class_session=ClassSessionFactory(course=course), email=many.email, student=many.student)
    client.force_login(one.student)
    few_queries = _queries_for(client, "/portal/")
    client.force_login(many.student)
    assert _queries_for(client, "/portal/") == few_queries
