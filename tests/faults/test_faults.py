"""Fault injection: Zoom failing mid-sync, Redis down during a webhook burst, a worker dying mid-task,
two syncs at once, the database refusing a write. Each asserts nothing is lost and nothing duplicated."""

import json
import threading
from collections import Counter

import pytest
import requests
import responses
from django.db import OperationalError, close_old_connections
from django.test import Client

from attendance.selectors import attendance_for_class
from tests.factories import RegistrationFactory
from zoom_integration import jobs, tasks
from zoom_integration.exceptions import ZoomError
from zoom_integration.inbox import drain, store
from zoom_integration.models import RegistrantStatus, WebhookEvent, ZoomRegistrant
from zoom_integration.scheduling import registrants
from zoom_integration.tests.conftest import API, signed_headers
from zoom_integration.tests.factories import ZoomConnectionFactory
from zoom_integration.tests.test_meetings import MEETING_ID, ready_meeting

REGISTRANTS_URL = f"{API}/meetings/{MEETING_ID}/registrants"
BATCH_URL = f"{API}/meetings/{MEETING_ID}/batch_registrants"
STATUS_URL = f"{API}/meetings/{MEETING_ID}/registrants/status"
ALL_SCOPES = (
    "user:read:user meeting:write:meeting meeting:read:meeting meeting:update:meeting meeting:delete:meeting "
    "meeting:write:registrant meeting:write:batch_registrants meeting:read:list_registrants "
    "meeting:update:registrant_status meeting:read:participant meeting:read:list_past_participants"
)


class FakeZoomRegistrants:
    """Zoom's registrant endpoints with state: what was added stays added, even when the answer is lost."""

    def __init__(self, mock):
        self.registrants = {}
        self.adds = Counter()
        self.faults = []  # per batch call: None, or "500", "timeout", "429" (applied after Zoom stored them)
        self.lock = threading.Lock()
        mock.add_callback(responses.GET, REGISTRANTS_URL, callback=self.list)
        mock.add_callback(responses.POST, BATCH_URL, callback=self.batch)

    def list(self, request):
        with self.lock:
            items = [
                {
                    "id": registrant_id,
                    "email": email,
                    "first_name": "x",
                    "status": "approved",
                    "join_url": f"https://zoom.example/w/{registrant_id}",
                }
                for email, registrant_id in self.registrants.items()
            ]
        return (
            200,
            {},
            json.dumps({"page_size": 300, "total_records": len(items), "next_page_token": "", "registrants": items}),
        )

    def batch(self, request):
        body = json.loads(request.body)
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
            if fault == "429":
                return (
                    429,
                    {"X-RateLimit-Type": "Daily-limit", "Retry-After": "2030-01-02T00:00:00Z"},
                    json.dumps({"code": 429, "message": "You have reached the maximum daily rate limit for this API."}),
                )
            answered = []
            for person in body["registrants"]:
                email = person["email"].lower()
                self.adds[email] += 1
                registrant_id = self.registrants.setdefault(email, f"rg{len(self.registrants):04d}")
                answered.append(
                    {
                        "email": email,
                        "registrant_id": registrant_id,
                        "join_url": f"https://zoom.example/w/{registrant_id}",
                    }
                )
        if fault == "500":
            return 500, {}, json.dumps({"code": 500, "message": "Internal error"})
        if fault == "timeout":
            raise requests.exceptions.ReadTimeout("Zoom took too long")
        return 201, {}, json.dumps({"registrants": answered})


@pytest.fixture
def meeting(class_session):
    host = ZoomConnectionFactory(organization=class_session.organization, scopes=ALL_SCOPES.split())
    class_session.capacity = 500
    class_session.save()
    return ready_meeting(class_session, connection=host)


@pytest.fixture
def fake_zoom(zoom):
    return FakeZoomRegistrants(zoom)


def _assert_all_synced_once(meeting, fake_zoom, students):
    assert ZoomRegistrant.objects.filter(meeting=meeting, status=RegistrantStatus.SYNCED).count() == students
    assert set(fake_zoom.adds.values()) == {1}, "no student was added to Zoom twice"
    assert len(fake_zoom.registrants) == students


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["500", "timeout", "429"])
def test_zoom_failing_in_the_middle_of_a_sync_loses_nothing_and_duplicates_nothing(meeting, fake_zoom, fault):
    RegistrationFactory.create_batch(90, class_session=meeting.class_session)
    fake_zoom.faults = [None, fault]
    with pytest.raises(ZoomError):
        registrants.registrants_sync(meeting_pk=meeting.pk)
    meeting.refresh_from_db()
    assert meeting.sync_status == "failed" and meeting.error
    assert ZoomRegistrant.objects.filter(status=RegistrantStatus.SYNCED).count() == 30

    registrants.registrants_sync(meeting_pk=meeting.pk)
    _assert_all_synced_once(meeting, fake_zoom, 90)


@pytest.mark.django_db
def test_a_worker_dying_in_the_middle_of_a_sync_is_harmless_to_rerun(meeting, fake_zoom, monkeypatch):
    RegistrationFactory.create_batch(75, class_session=meeting.class_session)
    saves = {"count": 0}
    real_save = registrants._save_rows

    def dying_save(rows):
        saves["count"] += 1
        if saves["count"] == 2:
            raise SystemExit("worker killed")  # nothing after this point ran
        real_save(rows)

    monkeypatch.setattr(registrants, "_save_rows", dying_save)
    with pytest.raises(SystemExit):
        registrants.registrants_sync(meeting_pk=meeting.pk)
    monkeypatch.setattr(registrants, "_save_rows", real_save)
    registrants.registrants_sync(meeting_pk=meeting.pk)
    _assert_all_synced_once(meeting, fake_zoom, 75)


@pytest.mark.django_db(transaction=True)
def test_two_syncs_of_one_class_at_once_make_no_duplicate(meeting, fake_zoom):
    RegistrationFactory.create_batch(60, class_session=meeting.class_session)
    barrier = threading.Barrier(2)
    errors = []

    def sync():
        close_old_connections()
        try:
            barrier.wait()
            registrants.registrants_sync(meeting_pk=meeting.pk)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    _assert_all_synced_once(meeting, fake_zoom, 60)


def _participant_event(meeting, number, kind):
    participant = {
        "user_id": str(16778240 + number),
        "user_name": f"Student {number}",
        "id": f"zoomuser{number:04d}",
        "participant_uuid": f"puuid{number:04d}",
        "email": f"student{number}@example.com",
        "registrant_id": "",
        ("join_time" if kind == "joined" else "leave_time"): f"2030-03-04T17:{30 + number % 20:02d}:00Z",
    }
    host = meeting.connection  # as loaded: some tests drop the database connection before posting
    return {
        "event": f"meeting.participant_{kind}",
        "event_ts": 1900000000000 + number,
        "payload": {
            "account_id": host.zoom_account_id,
            "object": {
                "id": str(MEETING_ID),
                "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
                "host_id": host.zoom_user_id,
                "topic": "PMP Exam Prep",
                "type": 2,
                "start_time": "2030-03-04T17:30:00Z",
                "timezone": "Europe/Berlin",
                "duration": 90,
                "participant": participant,
            },
        },
    }


def _post(client, payload):
    body = json.dumps(payload).encode()
    return client.post("/zoom/webhook/", data=body, content_type="application/json", headers=signed_headers(body))


@pytest.fixture
def redis_down(monkeypatch):
    """The broker refuses connections (its port is closed); restored afterwards."""
    from cohortstudio.celery import app

    def use_broker(url):
        # The connection pools are bound to the broker they were made for: let the app pick them anew.
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = url

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    use_broker("redis://127.0.0.1:1/0")
    monkeypatch.setattr(jobs, "_broker_unavailable_until", 0.0)
    monkeypatch.setattr(jobs, "_drain_known_pending_until", 0.0)
    yield
    app.conf.task_always_eager = saved[0]
    use_broker(saved[1])


@pytest.mark.django_db(transaction=True)
def test_redis_down_during_a_webhook_burst_stores_every_event_and_processes_it_once_back(meeting, redis_down):
    from cohortstudio.celery import app

    students = [
        RegistrationFactory(class_session=meeting.class_session, email=f"student{n}@example.com") for n in range(20)
    ]
    client = Client()
    for number in range(20):
        assert _post(client, _participant_event(meeting, number, "joined")).status_code == 200
        assert _post(client, _participant_event(meeting, number, "joined")).status_code == 200  # Zoom's retry
    app.conf.task_always_eager = True
    assert WebhookEvent.objects.count() == 20
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"received"}

    WebhookEvent.objects.update(received_at=WebhookEvent.objects.first().received_at.replace(year=2000))
    drain.webhook_events_sweep(publish_drain=tasks.webhook_drain_publish)
    drain.webhook_events_sweep(publish_drain=tasks.webhook_drain_publish)
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"processed"}
    report = attendance_for_class(class_session=meeting.class_session)
    joined = {row.registration.email for row in report.rows if row.joined}
    assert joined == {student.email for student in students}


class RefusingDatabase:
    """Stands in for the database connection: every statement fails as on a full disk."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def ensure_connection(self):
        raise OperationalError("could not write: disk full")

    def cursor(self):
        raise OperationalError("could not write: disk full")


@pytest.mark.django_db(transaction=True)
def test_database_refusing_a_write_makes_zoom_retry_and_the_retry_is_stored_once(meeting, monkeypatch):
    client = Client(raise_request_exception=False)
    payload = _participant_event(meeting, 1, "joined")
    with monkeypatch.context() as patched:
        patched.setattr(store, "connection", RefusingDatabase(store.connection))
        assert _post(client, payload).status_code == 500, "Zoom retries a delivery we could not store"
    assert not WebhookEvent.objects.exists()
    assert _post(client, payload).status_code == 200
    assert _post(client, payload).status_code == 200
    assert WebhookEvent.objects.count() == 1 and WebhookEvent.objects.get().state == "processed"


@pytest.mark.django_db(transaction=True)
def test_a_kept_database_connection_the_server_dropped_is_replaced_and_the_webhook_stored(meeting):
    import psycopg
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    settings_dict = connection.settings_dict
    with psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])

    response = _post(Client(), _participant_event(meeting, 1, "joined"))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().state == "processed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != backend


@pytest.fixture
def drains(monkeypatch):
    """Tasks run by a worker (not in-process); drain tasks are recorded instead of published."""
    from django.core.cache import cache

    from cohortstudio.celery import app
    from zoom_integration.tuning import WEBHOOK_DRAIN_PENDING_KEY

    published = []
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.webhook_events_drain_task, "apply_async", lambda **kwargs: published.append(kwargs))
    monkeypatch.setattr(jobs, "_drain_known_pending_until", 0.0)
    monkeypatch.setattr(jobs, "_broker_unavailable_until", 0.0)
    cache.delete(WEBHOOK_DRAIN_PENDING_KEY)
    return published


def _kinds(published):
    return [(call["kwargs"]["kind"], call.get("countdown")) for call in published]


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_webhooks_shares_one_drain_task_and_every_event_is_processed_once(meeting, drains, monkeypatch):
    monkeypatch.setattr(drain, "WEBHOOK_DRAIN_BATCH", 20)  # a burst larger than a batch, kept small
    students = [
        RegistrationFactory(class_session=meeting.class_session, email=f"student{n}@example.com") for n in range(25)
    ]
    client = Client()
    for number in range(25):
        assert _post(client, _participant_event(meeting, number, "joined")).status_code == 200
    assert _kinds(drains) == [("first", None)], "one drain for the whole burst"

    assert drain.webhook_events_drain(publish_drain=tasks.webhook_drain_publish, kind="first") == 25
    assert Counter(WebhookEvent.objects.values_list("state", flat=True)) == {"processed": 25}
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}
    report = attendance_for_class(class_session=meeting.class_session)
    assert {row.registration.email for row in report.rows if row.joined} == {student.email for student in students}
    # 25 events are more than a batch: one helper was started; and one more look once the window has passed.
    assert _kinds(drains)[1:] == [("helper", None), ("look-again", 1.0)]

    assert drain.webhook_events_drain(publish_drain=tasks.webhook_drain_publish, kind="helper") == 0, (
        "the helper finds nothing left to do"
    )
    assert drain.webhook_events_drain(publish_drain=tasks.webhook_drain_publish, kind="look-again") == 0
    assert len(drains) == 3, "a look that found nothing asks for no other"


@pytest.mark.django_db(transaction=True)
def test_an_event_stored_while_a_drain_was_still_known_pending_is_picked_up_by_the_next_look(meeting, drains):
    client = Client()
    assert _post(client, _participant_event(meeting, 1, "joined")).status_code == 200
    assert drain.webhook_events_drain(publish_drain=tasks.webhook_drain_publish, kind="first") == 1
    # This process saw the flag a moment ago, so it does not ask for a drain again...
    assert _post(client, _participant_event(meeting, 2, "joined")).status_code == 200
    assert _kinds(drains) == [("first", None), ("look-again", 1.0)]
    # ...and the look the drain asked for finds the event, then asks for one more look.
    assert drain.webhook_events_drain(publish_drain=tasks.webhook_drain_publish, kind="look-again") == 1
    assert _kinds(drains)[2:] == [("look-again", 1.0)]
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"processed"}

    # Once the window has passed, a webhook asks Redis again and queues a new drain.
    jobs._drain_known_pending_until = 0.0
    assert _post(client, _participant_event(meeting, 3, "joined")).status_code == 200
    assert _kinds(drains)[-1] == ("first", None)


@pytest.mark.django_db(transaction=True)
def test_drains_side_by_side_never_claim_the_same_event(meeting, drains):
    client = Client()
    for number in range(30):
        assert _post(client, _participant_event(meeting, number, "joined")).status_code == 200
    first = drain.webhook_events_claim(limit=20)
    second = drain.webhook_events_claim(limit=20)
    assert (len(first), len(second)) == (20, 10)
    assert not {event.pk for event in first} & {event.pk for event in second}
    assert drain.webhook_events_claim(limit=20) == []


@pytest.mark.django_db(transaction=True)
def test_a_drain_out_of_time_leaves_the_rest_to_a_fresh_task(meeting, drains, monkeypatch):
    client = Client()
    for number in range(3):
        assert _post(client, _participant_event(meeting, number, "joined")).status_code == 200
    monkeypatch.setattr(drain, "WEBHOOK_DRAIN_SECONDS", 0)
    assert drain.webhook_events_drain(publish_drain=tasks.webhook_drain_publish, kind="first") == 0
    assert _kinds(drains)[-1] == ("look-again", None)
    assert set(WebhookEvent.objects.values_list("state", flat=True)) == {"received"}
