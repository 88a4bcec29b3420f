"""No token string is found in the database, the logs, any page, the admin or a repr."""

import json
import logging
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.db import connection as db_connection

from tests.factories import UserFactory
from zoom_integration.connection import oauth
from zoom_integration.connection.client import StaticToken, ZoomClient
from zoom_integration.connection.selectors import connection_of
from zoom_integration.connection.tokens import connection_client
from zoom_integration.models import PendingZoomGrant, ZoomConnection

from .conftest import API, TOKEN_URL, fixture_json, token_body

TOKENS = [
    "zat-secret-access-one-7Hq2",
    "zrt-secret-refresh-one-9Kd4",
    "zat-secret-access-two-3Pz8",
    "zrt-secret-refresh-two-5Lm1",
    "zat-secret-access-three-8Wx6",
    "zrt-secret-refresh-three-2Vb7",
]


def text_columns_containing(needle):
    found = []
    with db_connection.cursor() as cursor:
        for table in db_connection.introspection.table_names(cursor):
            for column in db_connection.introspection.get_table_description(cursor, table):
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column.name}"::text LIKE %s', [f"%{needle}%"])
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column.name}")
    return found


@pytest.fixture
def zoom_with_tokens(zoom):
    answers = iter(
        [token_body(TOKENS[0], TOKENS[1]), token_body(TOKENS[2], TOKENS[3]), token_body(TOKENS[4], TOKENS[5])]
    )

    def token_endpoint(request):
        return 200, {}, json.dumps(next(answers))

    def users_me(request):
        if request.headers["Authorization"] == f"Bearer {TOKENS[0]}" and token_rejection["rejected_once"] is False:
            token_rejection["rejected_once"] = True
            return 401, {}, json.dumps({"code": 124, "message": "Access token has expired."})
        me = fixture_json("users_me.json")
        if request.headers["Authorization"] == f"Bearer {TOKENS[4]}":
            me.update(id="anotherZoomUser42", email="second@example.com")
        return 200, {}, json.dumps(me)

    token_rejection = {"rejected_once": None}
    zoom.add_callback(responses.POST, TOKEN_URL, callback=token_endpoint, content_type="application/json")
    zoom.add_callback(responses.GET, f"{API}/users/me", callback=users_me, content_type="application/json")
    return token_rejection


def test_tokens_never_leak(owner_client, organization, client_factory, zoom_with_tokens, caplog):
    caplog.set_level(logging.DEBUG)
    # Option A connect (first pair), then a 401 code 124 forces a refresh (second pair).
    authorize = urlparse(owner_client.post("/settings/zoom/connect/")["Location"])
    state = parse_qs(authorize.query)["state"][0]
    owner_client.get("/settings/zoom/callback/", {"code": "codeA", "state": state})
    zoom_with_tokens["rejected_once"] = False
    connection_client(connection=connection_of(organization=organization)).users_me()
    # Option B held for a signed-out browser (third pair).
    client_factory().get("/settings/zoom/callback/", {"code": "codeB"})

    connection = ZoomConnection.objects.get()
    assert connection.access_token() == TOKENS[2]
    pending = PendingZoomGrant.objects.get()
    assert pending.access_token() == TOKENS[4]

    pages = [
        owner_client.get("/settings/zoom/").content.decode(),
        owner_client.get("/settings/zoom/disconnect/").content.decode(),
    ]
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    owner_client.force_login(admin_user)
    pages += [
        owner_client.get("/admin/zoom_integration/zoomconnection/").content.decode(),
        owner_client.get(f"/admin/zoom_integration/zoomconnection/{connection.pk}/change/").content.decode(),
    ]
    reprs = [
        repr(connection),
        str(connection),
        repr(pending),
        str(pending),
        repr(connection_client(connection=connection_of(organization=organization))),
    ]
    reprs.append(repr(ZoomClient(tokens=StaticToken(TOKENS[0]))))
    reprs.append(
        repr(
            oauth.TokenGrant(
                access_token=TOKENS[0], refresh_token=TOKENS[1], expires_at=connection.expires_at, scopes=()
            )
        )
    )
    log_text = "\n".join(record.getMessage() for record in caplog.records)

    assert "Connected as jchill@example.com" in pages[0]
    assert caplog.records, "the flows above log their Zoom calls"
    for token in TOKENS:
        assert text_columns_containing(token) == [], token
        assert token not in log_text, token
        for page in pages:
            assert token not in page, token
        for text in reprs:
            assert token not in text, token
