"""Both install paths (Option A from CohortStudio, Option B from the Marketplace) and every error on the way."""

import base64
import hashlib
import json
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from django.contrib.messages import get_messages

from tests.factories import MembershipFactory, OrganizationFactory
from zoom_integration.connection.selectors import SESSION_OAUTH_ATTEMPTS
from zoom_integration.models import PendingZoomGrant, ZoomConnection

from .conftest import API, REVOKE_URL, TOKEN_URL, basic_auth_ok, calls_to, fixture_json, form_of, token_body
from .factories import ZoomConnectionFactory

CALLBACK = "/settings/zoom/callback/"
REDIRECT_URI = "https://app.cohortstudio.io/settings/zoom/callback/"


def start_connect(client):
    response = client.post("/settings/zoom/connect/")
    assert response.status_code == 302
    return urlparse(response["Location"]), parse_qs(urlparse(response["Location"]).query)


def add_token_exchange(
    zoom, *, access="zat-new-access-AAA111", refresh="zrt-new-refresh-BBB222", expect_verifier_for=None
):
    seen = {}

    def exchange(request):
        form = form_of(request)
        seen.update(form)
        assert basic_auth_ok(request)
        assert form["grant_type"] == "authorization_code"
        assert form["redirect_uri"] == REDIRECT_URI
        assert "client_secret" not in form
        if expect_verifier_for is not None:
            challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=")
            assert challenge.decode() == expect_verifier_for
        return 200, {}, json.dumps(token_body(access, refresh))

    zoom.add_callback(responses.POST, TOKEN_URL, callback=exchange, content_type="application/json")
    return seen


def add_users_me(zoom, *, user_id=None, email=None, expect_token="zat-new-access-AAA111"):
    me = fixture_json("users_me.json")
    if user_id:
        me["id"] = user_id
    if email:
        me["email"] = email
    zoom.get(
        f"{API}/users/me",
        json=me,
        match=[responses.matchers.header_matcher({"Authorization": f"Bearer {expect_token}"})],
    )
    return me


def message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


# Option A --------------------------------------------------------------------


def test_option_a_connects_with_state_and_pkce(owner_client, organization, zoom):
    authorize, query = start_connect(owner_client)
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == "https://zoom.us/oauth/authorize"
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["testClientId123"]
    assert query["redirect_uri"] == [REDIRECT_URI]
    assert query["code_challenge_method"] == ["S256"]
    assert "scope" not in query
    seen = add_token_exchange(zoom, expect_verifier_for=query["code_challenge"][0])
    add_users_me(zoom)

    response = owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    assert seen["code"] == "zoomAuthCode1"
    assert response.redirect_chain[-1][0] == "/settings/zoom/"
    page = response.content.decode()
    assert "Connected as jchill@example.com" in page
    assert 'badge text-bg-success">Connected<' in page
    assert "Licensed" in page
    connection = ZoomConnection.objects.get(organization=organization)
    assert connection.zoom_user_id == "KDcuGIm1QgePTO8WbOqwIQ"
    assert connection.zoom_account_id == "q6gBJVO5TzexKYTb_I2rpg"
    assert connection.access_token() == "zat-new-access-AAA111"
    assert connection.refresh_token() == "zrt-new-refresh-BBB222"
    assert "meeting:read:summary" in connection.scopes
    assert connection.status == "connected"


def test_state_is_single_use(owner_client, organization, zoom):
    _, query = start_connect(owner_client)
    add_token_exchange(zoom)
    add_users_me(zoom)
    owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]})

    response = owner_client.get(CALLBACK, {"code": "zoomAuthCode2", "state": query["state"][0]}, follow=True)

    assert any("already used" in text for text in message_texts(response))
    assert len(calls_to(zoom, TOKEN_URL)) == 1


def test_expired_state_is_refused(owner_client, organization, zoom):
    _, query = start_connect(owner_client)
    session = owner_client.session
    session[SESSION_OAUTH_ATTEMPTS][query["state"][0]]["expires"] = time.time() - 1
    session.save()

    response = owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    assert any("expired" in text for text in message_texts(response))
    assert not calls_to(zoom, TOKEN_URL)
    assert not ZoomConnection.objects.exists()


def test_missing_state_is_refused_when_a_connection_was_started_here(owner_client, organization, zoom):
    start_connect(owner_client)

    response = owner_client.get(CALLBACK, {"code": "zoomAuthCode1"}, follow=True)

    assert any("did not carry the security code" in text for text in message_texts(response))
    assert not calls_to(zoom, TOKEN_URL)
    assert not ZoomConnection.objects.exists()
    assert not PendingZoomGrant.objects.exists()


def test_foreign_state_is_refused(owner_client, organization, other_owner, client_factory, zoom):
    _, query = start_connect(owner_client)
    other_client = client_factory()
    other_client.force_login(other_owner)

    response = other_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    assert any("another browser or by another CohortStudio user" in text for text in message_texts(response))
    assert not calls_to(zoom, TOKEN_URL)
    assert not ZoomConnection.objects.exists()


def test_consent_denied(owner_client, organization, zoom):
    _, query = start_connect(owner_client)

    response = owner_client.get(CALLBACK, {"error": "access_denied", "state": query["state"][0]}, follow=True)

    assert response.redirect_chain[-1][0] == "/settings/zoom/"
    assert any("You did not allow CohortStudio" in text for text in message_texts(response))
    assert "Not connected" in response.content.decode()
    assert not owner_client.session[SESSION_OAUTH_ATTEMPTS]
    assert not zoom.calls


def test_failed_code_exchange_stores_nothing(owner_client, organization, zoom):
    _, query = start_connect(owner_client)
    zoom.post(
        TOKEN_URL, status=400, json={"reason": "Invalid authorization code zoomAuthCode1", "error": "invalid_request"}
    )

    response = owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    texts = message_texts(response)
    assert any("Zoom did not accept the authorization (Invalid authorization code" in text for text in texts)
    assert not ZoomConnection.objects.exists()


@pytest.mark.parametrize(
    "token_answer",
    [
        {"status": 503, "body": "<html>Service Unavailable</html>"},
        {"body": requests.ConnectionError("connection refused")},
        {"body": requests.Timeout("read timed out")},
    ],
    ids=["503", "connection-error", "timeout"],
)
def test_zoom_down_during_exchange(owner_client, organization, zoom, token_answer):
    _, query = start_connect(owner_client)
    zoom.post(TOKEN_URL, **token_answer)

    response = owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    assert any("Zoom is not responding right now" in text for text in message_texts(response))
    assert not ZoomConnection.objects.exists()


def test_zoom_down_after_exchange_stores_nothing(owner_client, organization, zoom):
    _, query = start_connect(owner_client)
    add_token_exchange(zoom)
    zoom.get(f"{API}/users/me", status=502, body="Bad gateway")

    response = owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    assert any("Zoom is not responding right now" in text for text in message_texts(response))
    assert len(calls_to(zoom, f"{API}/users/me")) == 3
    assert not ZoomConnection.objects.exists()


def test_reconnect_replaces_tokens(owner_client, organization, zoom):
    ZoomConnectionFactory(
        organization=organization,
        zoom_user_id="KDcuGIm1QgePTO8WbOqwIQ",
        access_token="zat-old-access",
        refresh_token="zrt-old-refresh",
    )
    _, query = start_connect(owner_client)
    add_token_exchange(zoom)
    add_users_me(zoom)

    owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]})

    connection = ZoomConnection.objects.get(organization=organization)
    assert connection.access_token() == "zat-new-access-AAA111"
    assert connection.refresh_token() == "zrt-new-refresh-BBB222"
    assert ZoomConnection.objects.count() == 1
    assert not calls_to(zoom, REVOKE_URL)


def test_reconnect_as_another_zoom_user_revokes_the_previous_grant(
    owner_client, organization, zoom, django_capture_on_commit_callbacks
):
    ZoomConnectionFactory(organization=organization, zoom_user_id="previousZoomUser", access_token="zat-previous-user")
    _, query = start_connect(owner_client)
    add_token_exchange(zoom)
    add_users_me(zoom)
    zoom.post(REVOKE_URL, json={"status": "success"})

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]})

    assert ZoomConnection.objects.get(organization=organization).zoom_user_id == "KDcuGIm1QgePTO8WbOqwIQ"
    (revoke,) = calls_to(zoom, REVOKE_URL)
    assert parse_qs(urlparse(revoke.request.url).query)["token"] == ["zat-previous-user"]


def test_one_zoom_user_serves_one_organization(client, organization, other_organization, other_owner, zoom):
    first = ZoomConnectionFactory(
        organization=organization, zoom_user_id="KDcuGIm1QgePTO8WbOqwIQ", access_token="zat-first-org"
    )
    client.force_login(other_owner)
    _, query = start_connect(client)
    add_token_exchange(zoom)
    add_users_me(zoom)

    response = client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    texts = message_texts(response)
    assert any("already connected to the CohortStudio organization “Acme Training”" in text for text in texts)
    assert not ZoomConnection.objects.filter(organization=other_organization).exists()
    first.refresh_from_db()
    # Zoom now honours only the newest grant; the first organization keeps working on it.
    assert first.access_token() == "zat-new-access-AAA111"
    assert first.status == "connected"


# Option B --------------------------------------------------------------------


def test_option_b_signed_out_user_signs_in_and_connection_completes(client, organization, owner, zoom):
    seen = add_token_exchange(zoom)
    add_users_me(zoom)

    response = client.get(CALLBACK, {"code": "marketplaceCode1"})

    assert "code_verifier" not in seen
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/settings/zoom/complete/")
    assert PendingZoomGrant.objects.count() == 1
    assert not ZoomConnection.objects.exists()

    client.force_login(owner)
    response = client.get("/settings/zoom/complete/", follow=True)

    assert "Connected as jchill@example.com" in response.content.decode()
    connection = ZoomConnection.objects.get(organization=organization)
    assert connection.access_token() == "zat-new-access-AAA111"
    assert connection.connected_by == owner
    assert not PendingZoomGrant.objects.exists()


def test_option_b_signed_in_owner_connects_current_organization(owner_client, organization, zoom):
    add_token_exchange(zoom)
    add_users_me(zoom)

    response = owner_client.get(CALLBACK, {"code": "marketplaceCode1"}, follow=True)

    assert "Connected as jchill@example.com" in response.content.decode()
    assert ZoomConnection.objects.get(organization=organization).zoom_email == "jchill@example.com"


def test_option_b_owner_of_several_chooses(client, organization, owner, other_organization, zoom):
    MembershipFactory(organization=other_organization, user=owner, role="owner")
    add_token_exchange(zoom)
    add_users_me(zoom)
    client.get(CALLBACK, {"code": "marketplaceCode1"})
    client.force_login(owner)

    chooser = client.get("/settings/zoom/complete/")
    assert "Which organization should use this Zoom account?" in chooser.content.decode()
    assert "Other Org" in chooser.content.decode() and "Acme Training" in chooser.content.decode()
    assert not ZoomConnection.objects.exists()

    response = client.post("/settings/zoom/complete/", {"organization_id": other_organization.pk}, follow=True)

    assert "Connected as jchill@example.com" in response.content.decode()
    assert ZoomConnection.objects.get().organization == other_organization


def test_option_b_chooser_refuses_an_organization_not_owned(client, organization, owner, zoom):
    stranger_org = OrganizationFactory(name="Stranger Org")
    MembershipFactory(organization=OrganizationFactory(name="Second Org"), user=owner, role="owner")
    add_token_exchange(zoom)
    add_users_me(zoom)
    client.get(CALLBACK, {"code": "marketplaceCode1"})
    client.force_login(owner)

    response = client.post("/settings/zoom/complete/", {"organization_id": stranger_org.pk})

    assert response.status_code == 404
    assert not ZoomConnection.objects.exists()


def test_option_b_user_owning_nothing_is_refused_and_nothing_is_stored(
    client, organization, trainer, zoom, django_capture_on_commit_callbacks
):
    add_token_exchange(zoom)
    add_users_me(zoom)
    zoom.post(REVOKE_URL, json={"status": "success"})
    client.get(CALLBACK, {"code": "marketplaceCode1"})
    client.force_login(trainer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/settings/zoom/complete/", follow=True)

    assert any("not an owner of any organization" in text for text in message_texts(response))
    assert not ZoomConnection.objects.exists()
    assert not PendingZoomGrant.objects.exists()
    (revoke,) = calls_to(zoom, REVOKE_URL)
    assert parse_qs(urlparse(revoke.request.url).query)["token"] == ["zat-new-access-AAA111"]


def test_option_b_pending_grant_is_bound_to_the_browser_session(client, client_factory, organization, owner, zoom):
    add_token_exchange(zoom)
    add_users_me(zoom)
    client.get(CALLBACK, {"code": "marketplaceCode1"})
    other_browser = client_factory()
    other_browser.force_login(owner)

    response = other_browser.get("/settings/zoom/complete/", follow=True)

    assert any("No Zoom installation is waiting" in text for text in message_texts(response))
    assert not ZoomConnection.objects.exists()


def test_option_b_of_a_zoom_user_connected_elsewhere_is_refused_naming_it(client, organization, other_owner, zoom):
    first = ZoomConnectionFactory(organization=organization, zoom_user_id="KDcuGIm1QgePTO8WbOqwIQ")
    add_token_exchange(zoom)
    add_users_me(zoom)
    client.force_login(other_owner)

    response = client.get(CALLBACK, {"code": "marketplaceCode1"}, follow=True)

    assert any("“Acme Training”" in text for text in message_texts(response))
    assert ZoomConnection.objects.get() == first
    first.refresh_from_db()
    assert first.access_token() == "zat-new-access-AAA111"


# Access ----------------------------------------------------------------------


def test_trainer_gets_403_on_the_organizations_disconnect_page(trainer_client):
    assert trainer_client.get("/settings/zoom/disconnect/").status_code == 403


def test_trainer_opening_settings_zoom_is_shown_their_own_zoom(trainer_client):
    response = trainer_client.get("/settings/zoom/")
    assert response.status_code == 302
    assert response["Location"] == "/settings/zoom/mine/"


def test_trainer_cannot_start_a_connection(trainer_client, zoom):
    assert trainer_client.post("/settings/zoom/connect/").status_code == 403


def test_settings_menu_has_zoom_for_owners(owner_client):
    page = owner_client.get("/settings/organization/").content.decode()
    assert 'href="/settings/zoom/"' in page


def test_settings_times_are_in_the_organizations_zone_and_name_it(owner_client, organization):
    ZoomConnectionFactory(
        organization=organization,
        connected_at=datetime(2026, 12, 3, 17, 5, tzinfo=UTC),
        last_webhook_at=datetime(2026, 7, 1, 8, 30, tzinfo=UTC),
    )
    page = owner_client.get("/settings/zoom/").content.decode()
    # Berlin is UTC+1 in December and UTC+2 in July.
    assert "Dec 3, 2026, 18:05 (Europe/Berlin)" in page
    assert "Jul 1, 2026, 10:30 (Europe/Berlin)" in page
