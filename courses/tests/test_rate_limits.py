"""The public registration page sends email to whatever address is typed: limited per IP and per address."""

import pytest
from django.core import mail

from cohortstudio.ratelimits import PUBLIC_REGISTRATION_LIMIT
from courses.models import Registration
from tests.factories import ClassSessionFactory


def _register(client, class_session, email, ip="198.51.100.7"):
    return client.post(
        f"/register/{class_session.public_token}/", {"first_name": "Ada", "email": email}, REMOTE_ADDR=ip
    )


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.django_db
def test_one_ip_is_limited_across_addresses_and_nothing_is_stored_or_sent(client, course):
    class_session = ClassSessionFactory(course=course, capacity=100)
    for number in range(PUBLIC_REGISTRATION_LIMIT.per_ip):
        assert _register(client, class_session, f"student{number}@example.com").status_code == 200
    sent = len(mail.outbox)

    response = _register(client, class_session, "one-more@example.com")

    page = response.content.decode()
    assert "Too many requests from 198.51.100.7; try again in " in page and " minute" in page
    assert not Registration.objects.filter(email="one-more@example.com").exists()
    assert len(mail.outbox) == sent
    # Another network is not affected.
    assert (
        "Too many requests"
        not in _register(client, class_session, "other@example.com", ip="203.0.113.9").content.decode()
    )
    assert Registration.objects.filter(email="other@example.com").exists()


@pytest.mark.django_db
def test_one_address_is_limited_across_ips_and_classes(client, course):
    classes = ClassSessionFactory.create_batch(PUBLIC_REGISTRATION_LIMIT.per_address + 1, course=course)
    for number, class_session in enumerate(classes[:-1]):
        _register(client, class_session, "Victim@Example.com", ip=f"192.0.2.{number + 1}")
    assert Registration.objects.filter(email="victim@example.com").count() == PUBLIC_REGISTRATION_LIMIT.per_address
    sent = len(mail.outbox)

    page = _register(client, classes[-1], "victim@example.com", ip="192.0.2.200").content.decode()

    assert "Too many requests for victim@example.com; try again in " in page
    assert not Registration.objects.filter(class_session=classes[-1]).exists()
    assert len(mail.outbox) == sent
