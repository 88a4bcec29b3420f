"""Refresh under concurrency against the real PostgreSQL: many workers, one refresh call."""

import json
import threading
from datetime import timedelta

import pytest
import responses
from django.db import connection as db_connection
from django.utils import timezone

from zoom_integration.connection.selectors import connection_of
from zoom_integration.connection.tokens import connection_client

from .conftest import API, TOKEN_URL, fixture_json, form_of, token_body
from .factories import ZoomConnectionFactory

WORKERS = 8


@pytest.mark.django_db(transaction=True)
def test_many_workers_make_exactly_one_refresh_and_all_use_the_new_token(zoom, organization):
    assert db_connection.vendor == "postgresql"
    connection = ZoomConnectionFactory(organization=organization, access_token="zat-expired-0", refresh_token="zrt-0")
    connection.expires_at = timezone.now() - timedelta(seconds=5)
    connection.save()

    lock = threading.Lock()
    zoom_state = {"access": "zat-expired-0", "refresh": "zrt-0", "generation": 0}
    spent_refresh_tokens = []
    refresh_requests = []
    bearer_tokens = []

    def refresh(request):
        presented = form_of(request)["refresh_token"]
        with lock:
            refresh_requests.append(presented)
            if presented != zoom_state["refresh"]:
                spent_refresh_tokens.append(presented)
                return 400, {}, json.dumps({"reason": "Invalid Token!", "error": "invalid_grant"})
            zoom_state["generation"] += 1
            generation = zoom_state["generation"]
            zoom_state["access"] = f"zat-fresh-{generation}"
            zoom_state["refresh"] = f"zrt-{generation}"
            answer = token_body(zoom_state["access"], zoom_state["refresh"])
        # A slow Zoom widens the window in which other workers would race.
        threading.Event().wait(0.3)
        return 200, {}, json.dumps(answer)

    def users_me(request):
        bearer = request.headers["Authorization"].removeprefix("Bearer ")
        with lock:
            bearer_tokens.append(bearer)
            valid = bearer == zoom_state["access"]
        if not valid:
            return 401, {}, json.dumps({"code": 124, "message": "Invalid access token."})
        return 200, {}, json.dumps(fixture_json("users_me.json"))

    zoom.add_callback(responses.POST, TOKEN_URL, callback=refresh, content_type="application/json")
    zoom.add_callback(responses.GET, f"{API}/users/me", callback=users_me, content_type="application/json")

    start = threading.Barrier(WORKERS)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(connection_client(connection=connection_of(organization=organization)).users_me()["id"])
        except Exception as error:
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == WORKERS
    assert refresh_requests == ["zrt-0"]
    assert spent_refresh_tokens == []
    assert set(bearer_tokens) == {"zat-fresh-1"}
    connection.refresh_from_db()
    assert connection.status == "connected"
    assert connection.access_token() == "zat-fresh-1"
    assert connection.refresh_token() == "zrt-1"
