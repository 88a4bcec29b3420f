import base64
import datetime
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from zoom_simulator import services
from zoom_simulator.models import AuthorizationCode, SimUser

TOKEN_KEYS = {"access_token", "token_type", "refresh_token", "expires_in", "scope", "api_url"}


def basic_auth(client_id=None, client_secret=None):
    raw = f"{client_id or settings.ZOOM_CLIENT_ID}:{client_secret or settings.ZOOM_CLIENT_SECRET}"
    return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}


def callback_uri():
    return f"{settings.SITE_URL}/settings/zoom/callback/"


def authorize_params(**extra):
    return {"response_type": "code", "client_id": settings.ZOOM_CLIENT_ID, "redirect_uri": callback_uri(), **extra}


def consent(client, *, decision="allow", **params):
    form = {
        **authorize_params(**params),
        "decision": decision,
        "email": "Owner@Example.com",
        "first_name": "Olga",
        "last_name": "Owner",
        "account_type": "2",
    }
    return client.post("/zoomsim/oauth/authorize", form)


def exchange(client, code, **extra):
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": callback_uri(), **extra}
    return client.post("/zoomsim/oauth/token", body, headers=basic_auth())


@pytest.mark.django_db
def test_consent_page_lists_the_guides_permissions(client):
    response = client.get("/zoomsim/oauth/authorize", authorize_params(state="abc"))

    assert response.status_code == 200
    page = response.content.decode()
    for permission in ["Read your Zoom user profile", "Create and manage meetings", "Read your cloud recordings"]:
        assert permission in page
    assert "Allow" in page and "Deny" in page


@pytest.mark.django_db
def test_authorize_refuses_unknown_client_and_foreign_redirect(client):
    bad_client = client.get("/zoomsim/oauth/authorize", authorize_params(client_id="nope"))
    bad_redirect = client.get("/zoomsim/oauth/authorize", authorize_params(redirect_uri="https://evil.example/cb"))

    assert bad_client.status_code == 400 and b"4702" in bad_client.content
    assert bad_redirect.status_code == 400 and b"4709" in bad_redirect.content


@pytest.mark.django_db
def test_allow_redirects_with_code_and_state_then_code_exchanges_once(client):
    response = consent(client, state="state-123")

    query = parse_qs(urlsplit(response["Location"]).query)
    assert response["Location"].startswith(callback_uri())
    assert query["state"] == ["state-123"]
    tokens = exchange(client, query["code"][0])
    assert tokens.status_code == 200
    body = tokens.json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert "meeting:write:meeting" in body["scope"].split(" ")
    assert body["api_url"] == f"{settings.SITE_URL}/zoomsim"
    assert len(body["access_token"]) > 300
    assert SimUser.objects.get().email == "owner@example.com"
    reused = exchange(client, query["code"][0])
    assert reused.status_code == 400
    assert reused.json() == {"reason": "Invalid authorization code", "error": "invalid_request"}


@pytest.mark.django_db
def test_deny_redirects_with_access_denied_and_state(client):
    response = consent(client, decision="deny", state="s1")

    assert parse_qs(urlsplit(response["Location"]).query) == {"error": ["access_denied"], "state": ["s1"]}


@pytest.mark.django_db
def test_marketplace_add_starts_option_b_without_state(client):
    page = client.get("/zoomsim/marketplace/").content.decode()
    assert "state=" not in page and ">Add<" in page

    response = consent(client)

    query = parse_qs(urlsplit(response["Location"]).query)
    assert set(query) == {"code"}


@pytest.mark.django_db
def test_pkce_s256_is_checked(client):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    first = consent(client, code_challenge=challenge, code_challenge_method="S256")
    second = consent(client, code_challenge=challenge, code_challenge_method="S256")

    wrong = exchange(client, parse_qs(urlsplit(first["Location"]).query)["code"][0], code_verifier="w" * 50)
    right = exchange(client, parse_qs(urlsplit(second["Location"]).query)["code"][0], code_verifier=verifier)

    assert wrong.status_code == 400 and wrong.json()["reason"] == "Invalid code_verifier"
    assert right.status_code == 200


@pytest.mark.django_db
def test_expired_code_and_redirect_mismatch_are_refused(client):
    expired = parse_qs(urlsplit(consent(client)["Location"]).query)["code"][0]
    AuthorizationCode.objects.filter(code=expired).update(created_at=timezone.now() - datetime.timedelta(minutes=6))
    mismatched = parse_qs(urlsplit(consent(client)["Location"]).query)["code"][0]

    assert exchange(client, expired).json()["reason"] == "Authorization code is expired"
    assert exchange(client, mismatched, redirect_uri="http://other/cb").json()["reason"] == "Redirect URI mismatch."


@pytest.mark.django_db
def test_bad_client_credentials_get_401(client, tokens):
    response = client.post(
        "/zoomsim/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic_auth(client_secret="wrong"),
    )
    missing = client.post("/zoomsim/oauth/token", {"grant_type": "refresh_token"})

    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert missing.status_code == 401


@pytest.mark.django_db
def test_refresh_rotates_and_a_spent_refresh_token_gets_invalid_grant(client, tokens):
    first = client.post(
        "/zoomsim/oauth/token?grant_type=refresh_token&refresh_token=" + tokens["refresh_token"], headers=basic_auth()
    )
    again = client.post(
        "/zoomsim/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic_auth(),
    )

    assert first.status_code == 200
    assert first.json()["refresh_token"] != tokens["refresh_token"]
    assert again.status_code == 400
    assert again.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}


@pytest.mark.django_db
def test_reauthorizing_revokes_earlier_tokens(client, zoom_user, tokens):
    services.grant_issue(user=zoom_user)

    response = client.get("/zoomsim/v2/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})

    assert response.status_code == 401 and response.json()["code"] == 124


@pytest.mark.django_db
def test_refresh_token_invalidate_acts_like_a_password_change(client, zoom_user, tokens):
    services.refresh_token_invalidate(user=zoom_user)

    refresh = client.post(
        "/zoomsim/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic_auth(),
    )
    still_valid = client.get("/zoomsim/v2/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})

    assert refresh.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    assert still_valid.status_code == 200


@pytest.mark.django_db
def test_revoke_uninstalls_and_sends_app_deauthorized(client, zoom_user, tokens, captured):
    response = client.post(f"/zoomsim/oauth/revoke?token={tokens['access_token']}", headers=basic_auth())

    assert response.json() == {"status": "success"}
    assert [request.event for request in captured] == ["app_deauthorized"]
    payload = captured[0].payload["payload"]
    assert payload["user_id"] == zoom_user.zoom_user_id and payload["account_id"] == zoom_user.account_id
    assert payload["client_id"] == settings.ZOOM_CLIENT_ID
    after = client.get("/zoomsim/v2/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert after.status_code == 401


@pytest.mark.django_db
def test_installed_apps_remove_uninstalls(client, zoom_user, tokens, captured):
    page = client.get("/zoomsim/marketplace/installed/").content.decode()
    grant = zoom_user.grants.get(revoked_at__isnull=True)
    assert zoom_user.email in page

    response = client.post(f"/zoomsim/marketplace/installed/{grant.pk}/remove/", follow=True)

    assert "CohortStudio was removed" in response.content.decode()
    assert [request.event for request in captured] == ["app_deauthorized"]
    refresh = client.post(
        "/zoomsim/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic_auth(),
    )
    assert refresh.json()["error"] == "invalid_grant"


@pytest.mark.django_db
def test_token_lifetime_setting_and_expiry(client, settings, zoom_user):
    settings.ZOOM_SIMULATOR_TOKEN_LIFETIME = 0
    tokens = services.grant_issue(user=zoom_user)

    response = client.get("/zoomsim/v2/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})

    assert tokens["expires_in"] == 0
    assert response.status_code == 401
    assert response.json() == {"code": 124, "message": "Access token has expired."}


@pytest.mark.django_db
def test_a_second_user_of_the_same_account_authorizes_and_uninstalls_only_their_own_grant(client, captured):
    first = exchange(client, parse_qs(urlsplit(consent(client)["Location"]).query)["code"][0]).json()
    owner = SimUser.objects.get()
    page = client.get("/zoomsim/oauth/authorize", authorize_params()).content.decode()
    assert "The account of owner@example.com" in page
    signed_in = client.post(
        "/zoomsim/oauth/authorize",
        {
            **authorize_params(),
            "decision": "allow",
            "email": "ana@example.com",
            "first_name": "Ana",
            "last_name": "Trainer",
            "account_type": "2",
            "account_of": str(owner.pk),
        },
    )
    second = exchange(client, parse_qs(urlsplit(signed_in["Location"]).query)["code"][0]).json()

    ana = SimUser.objects.get(email="ana@example.com")
    assert ana.account_id == owner.account_id and ana.zoom_user_id != owner.zoom_user_id
    me = client.get("/zoomsim/v2/users/me", headers={"Authorization": f"Bearer {second['access_token']}"}).json()
    assert (me["id"], me["account_id"]) == (ana.zoom_user_id, owner.account_id)

    services.app_uninstall(user=ana)

    assert [request.payload["payload"]["user_id"] for request in captured] == [ana.zoom_user_id]
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    assert client.get("/zoomsim/v2/users/me", headers=headers).status_code == 200
    gone = {"Authorization": f"Bearer {second['access_token']}"}
    assert client.get("/zoomsim/v2/users/me", headers=gone).status_code == 401
