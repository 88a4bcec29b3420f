"""Storing a verified webhook delivery: one statement on the hot path, a redelivery stores nothing."""

import hashlib
import json

import psycopg
from django.db import InterfaceError, connection
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone

from ..models import WebhookEvent, WebhookState
from ..payloads import event_time, payload_without_secrets

_WEBHOOK_INSERT = """
    INSERT INTO {table} (dedup_key, event_type, event_ts, raw_body, received_at, state, attempts, error)
    VALUES (%s, %s, %s, %s, %s, %s, 0, '')
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
"""


def webhook_event_store(*, raw_body, payload):
    """Store a verified delivery durably, once per distinct body (`jobs.webhook_event_accept` queues it).

    One statement on the hot path (PostgreSQL and SQLite both speak it): Zoom's retries
    repeat the body, so the unique dedup key turns a redelivery into "nothing inserted".
    Returns (event id, whether it is new).
    """
    dedup_key = hashlib.sha256(raw_body).hexdigest()
    params = [
        dedup_key,
        str(payload.get("event") or "")[:100],
        event_time(payload),
        _stored_text(raw_body, payload),
        timezone.now(),
        WebhookState.RECEIVED,
    ]
    row = _webhook_row_insert(params)
    if row is None:
        return WebhookEvent.objects.values_list("pk", flat=True).get(dedup_key=dedup_key), False
    return row[0], True


def _webhook_row_insert(params):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id; the new row's (id,), or None for a redelivery.

    On PostgreSQL the statement is bound on the server and prepared once per connection (no quoting
    of the body in Python, no planning per request), and it skips Django's per-request health check
    of a kept connection: a connection the server dropped (restart, failover) fails the statement,
    which is then sent once more on a new connection. Safe, as the insert is idempotent.
    """
    sql = _WEBHOOK_INSERT.format(table=WebhookEvent._meta.db_table)
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    try:
        return _prepared_fetchone(sql, params)
    except (DatabaseOperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return _prepared_fetchone(sql, params)


def _prepared_fetchone(sql, params):
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchone()


def _stored_text(raw_body, payload):
    """The body as stored: as Zoom sent it, less any bearer token (the dedup key is of the body as sent)."""
    kept = payload_without_secrets(payload)
    if kept is None:
        return raw_body.decode("utf-8")
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
