"""A NUL in the address answers 404: PostgreSQL refuses NUL in a text lookup, which was a 500."""

import pytest
from django.db import connection
from django.test import Client

NUL_URLS = [
    "/calendar/%00.ics",
    "/register/%00/",
    "/invitations/%00/",
    "/registrations/cancel/%00/",
    "/register/abc%00def/",
    "/portal/?next=%00",
    "/accounts/login/?next=/courses/%00/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_in_the_address_is_not_found(url, registration):
    assert connection.vendor == "postgresql", "the 500 only shows on PostgreSQL: run with DATABASE_URL"
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_nul_urls_answer_404_to_signed_in_members_too(trainer_client):
    for url in NUL_URLS:
        assert trainer_client.get(url).status_code == 404, url
