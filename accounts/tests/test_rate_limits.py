"""allauth's forms that email a typed address: sign-in by code, password reset, sign-up; limited per IP and address."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from cohortstudio.ratelimits import PASSWORD_RESET_LIMIT, SIGN_IN_CODE_LIMIT
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _student(email):
    student = UserFactory(email=email)
    EmailAddress.objects.create(user=student, email=email, primary=True, verified=True)
    return student


def _request_code(email, ip):
    # A fresh browser each time: a pending sign-in in the session would send the form elsewhere.
    return Client().post("/accounts/login/code/", {"email": email}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_sign_in_codes_are_limited_per_address():
    _student("ada@example.com")
    for number in range(SIGN_IN_CODE_LIMIT.per_address):
        assert _request_code("ada@example.com", f"192.0.2.{number + 1}").status_code == 302
    sent = len(mail.outbox)

    response = _request_code("ADA@example.com", "192.0.2.200")

    assert response.status_code == 200
    assert "Too many requests for ada@example.com; try again in " in response.content.decode()
    assert len(mail.outbox) == sent


@pytest.mark.django_db
def test_sign_in_codes_are_limited_per_ip():
    for number in range(SIGN_IN_CODE_LIMIT.per_ip):
        _student(f"student{number}@example.com")
        assert _request_code(f"student{number}@example.com", "198.51.100.7").status_code == 302
    _student("late@example.com")
    sent = len(mail.outbox)

    response = _request_code("late@example.com", "198.51.100.7")

    assert "Too many requests from 198.51.100.7; try again in " in response.content.decode()
    assert len(mail.outbox) == sent


@pytest.mark.django_db
def test_password_resets_are_limited_per_address(client):
    UserFactory(email="trainer@example.com")
    for _ in range(PASSWORD_RESET_LIMIT.per_address):
        client.post("/accounts/password/reset/", {"email": "trainer@example.com"}, REMOTE_ADDR="192.0.2.1")
    sent = len(mail.outbox)

    response = client.post("/accounts/password/reset/", {"email": "trainer@example.com"}, REMOTE_ADDR="192.0.2.2")

    assert "Too many requests for trainer@example.com; try again in " in response.content.decode()
    assert len(mail.outbox) == sent
