import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from tests.factories import UserFactory


@pytest.mark.django_db
def test_sign_in_code_email_names_cohortstudio_not_the_host(client, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    student = UserFactory(email="ada@example.com")
    EmailAddress.objects.create(user=student, email=student.email, primary=True, verified=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/code/", {"email": "ada@example.com"}, HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["ada@example.com"]
    assert message.subject == "[CohortStudio] Your sign-in code"
    assert message.body.startswith("Hello,\n")
    assert "CohortStudio" in message.body and "support@cohortstudio.io" in message.body
    assert "127.0.0.1" not in message.subject + message.body
