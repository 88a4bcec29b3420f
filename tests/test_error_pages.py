"""403, 404 and 500 answer inside the app's layout, with the real reason and a way back."""

import pytest
from django.test import RequestFactory
from django.urls import get_resolver


def _in_layout(html):
    return 'aria-label="Main"' in html and "<footer" in html and "Privacy policy" in html


@pytest.mark.django_db
def test_trainer_on_an_owner_only_page_sees_why_and_a_way_back(trainer_client):
    response = trainer_client.get("/settings/zoom/disconnect/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Only organization owners can open this page." in html
    assert _in_layout(html)
    assert 'href="/">Back to your dashboard</a>' in html
    # The trainer's own navigation still shows: this is their app, not a bare error.
    assert 'href="/courses/">Courses</a>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [True, False])
def test_unknown_url_gives_the_styled_404(client, trainer, signed_in):
    if signed_in:
        client.force_login(trainer)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html
    assert _in_layout(html)
    assert "Back to your dashboard" in html


def test_500_page_renders_without_the_database(django_db_blocker, settings):
    settings.SUPPORT_EMAIL = "support@cohortstudio.io"
    handler = get_resolver().resolve_error_handler(500)
    request = RequestFactory().get("/courses/")
    # Blocked, any query would raise instead of rendering.
    with django_db_blocker.block():
        response = handler(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert _in_layout(html)
    assert "mailto:support@cohortstudio.io" in html
    assert 'href="/">Back to your dashboard</a>' in html


def test_favicon_is_linked_and_favicon_ico_answers(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.url == "/static/img/favicon.svg"
    assert finders.find("img/favicon.svg")
    assert b'<link rel="icon" href="/static/img/favicon.svg"' in client.get("/privacy/").content
