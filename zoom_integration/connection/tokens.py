"""A connection's tokens: the token source of its client, refreshing, and the refresh beat.

Zoom rotates the refresh token on every refresh, so a connection is refreshed by one caller at
a time (a lock outside any transaction: Zoom's answer is never awaited with a row locked), and
the new pair is saved before the lock is released.
"""

import logging
import threading
from collections import defaultdict
from contextlib import contextmanager

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from mailing.queue import email_queue
from orgs.selectors import owners_emails

from ..exceptions import ZoomError, ZoomNeedsReconnect
from ..models import ConnectionStatus, ZoomConnection
from ..tuning import ACCESS_TOKEN_MIN_VALIDITY, HTTP_MAX_ATTEMPTS, REFRESH_AHEAD_WINDOW
from . import oauth, selectors
from .client import ZoomClient

logger = logging.getLogger(__name__)

# pg_advisory_lock(class, id): the class tells this lock apart from any other advisory lock.
REFRESH_LOCK_CLASS = 7301
# Without PostgreSQL (the embedded default runs one process) a lock per connection in this process.
_local_refresh_locks = defaultdict(threading.Lock)


class ConnectionTokens:
    """The token source of a `ZoomClient` bound to a stored connection."""

    def __init__(self, *, connection_id):
        self.connection_id = connection_id

    def __repr__(self):
        return f"ConnectionTokens(connection_id={self.connection_id})"

    @sensitive_variables()
    def access_token(self):
        connection = ZoomConnection.objects.get(pk=self.connection_id)
        if connection.status != ConnectionStatus.CONNECTED or not connection.has_tokens:
            raise ZoomNeedsReconnect()
        token = connection.access_token()
        if connection.expires_at is None or connection.expires_at - timezone.now() <= ACCESS_TOKEN_MIN_VALIDITY:
            token = connection_refresh(connection_id=self.connection_id, stale_access_token=token).access_token()
        return token

    @sensitive_variables()
    def access_token_refreshed(self, *, stale_access_token):
        return connection_refresh(
            connection_id=self.connection_id, stale_access_token=stale_access_token
        ).access_token()


def connection_client(*, connection, for_page=False):
    """A ZoomClient acting as the connection's Zoom user; ZoomNeedsReconnect when it is not connected.

    `for_page`: the call serves a page someone is waiting for, so Zoom is asked once, without retries.
    """
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        raise ZoomNeedsReconnect(connection=connection)
    max_attempts = 1 if for_page else HTTP_MAX_ATTEMPTS
    return ZoomClient(tokens=ConnectionTokens(connection_id=connection.pk), max_attempts=max_attempts)


def meeting_client(*, meeting, for_page=False):
    """A ZoomClient acting as the Zoom user hosting the class meeting."""
    return connection_client(connection=selectors.connection_for_meeting(meeting=meeting), for_page=for_page)


def series_meeting_client(*, series_meeting):
    """A ZoomClient acting as the Zoom user hosting the series' recurring meeting."""
    return connection_client(connection=selectors.connection_for_series_meeting(series_meeting=series_meeting))


@contextmanager
def _refresh_lock(connection_id):
    """One refresher per connection across processes; a worker that dies lets go with its database session."""
    if db_connection.vendor != "postgresql":
        with _local_refresh_locks[connection_id]:
            yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [REFRESH_LOCK_CLASS, connection_id])
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [REFRESH_LOCK_CLASS, connection_id])


@sensitive_variables()
def connection_refresh(*, connection_id, stale_access_token=None, min_validity=ACCESS_TOKEN_MIN_VALIDITY):
    """Refresh the connection's tokens, at most once however many workers ask at the same moment.

    Under the refresh lock the row is re-read: a caller holding `stale_access_token` refreshes only
    if that is still the stored token; a caller without one refreshes only if the token expires
    within `min_validity`. Call it outside any transaction. A refresh Zoom refuses for good marks
    the connection "Reconnect needed" and emails the owners once.
    """
    with _refresh_lock(connection_id):
        connection = ZoomConnection.objects.get(pk=connection_id)
        if connection.status != ConnectionStatus.CONNECTED or not connection.has_tokens:
            raise ZoomNeedsReconnect()
        if stale_access_token is not None:
            if connection.access_token() != stale_access_token:
                return connection
        elif connection.expires_at is not None and connection.expires_at - timezone.now() > min_validity:
            return connection
        try:
            grant = oauth.token_refresh(refresh_token=connection.refresh_token())
        except ZoomNeedsReconnect:
            _connection_mark_reconnect_needed(connection)
            raise
        connection.set_tokens(
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
            scopes=grant.scopes or connection.scopes,
        )
        connection.refreshed_at = timezone.now()
        connection.save(update_fields=[*ZoomConnection.ENCRYPTED_FIELDS, "expires_at", "scopes", "refreshed_at"])
    logger.info("zoom tokens refreshed connection=%s", connection.pk)
    return connection


def _connection_mark_reconnect_needed(connection):
    with transaction.atomic():
        changed = ZoomConnection.objects.filter(pk=connection.pk, status=ConnectionStatus.CONNECTED).update(
            status=ConnectionStatus.RECONNECT_NEEDED, status_changed_at=timezone.now()
        )
        if changed:
            _reconnect_needed_email(connection)
    logger.warning(
        "zoom refresh refused, reconnect needed connection=%s org=%s", connection.pk, connection.organization_id
    )


def _reconnect_needed_email(connection):
    """The owners are told; for a trainer's own Zoom, that trainer (who alone can reconnect it) is told too."""
    organization = connection.organization
    settings_url = settings.SITE_URL + reverse("zoom:settings")
    recipients = list(owners_emails(organization=organization))
    if connection.user_id is not None and connection.user.email not in recipients:
        recipients.append(connection.user.email)
    for email in recipients:
        email_queue(
            template="zoom_reconnect_needed",
            to=email,
            context={"organization": organization, "settings_url": settings_url},
        )


def tokens_refresh_expiring():
    """Refresh every connection whose access token expires within the refresh window; how many were refreshed."""
    soon = timezone.now() + REFRESH_AHEAD_WINDOW
    connection_ids = ZoomConnection.objects.filter(status=ConnectionStatus.CONNECTED, expires_at__lte=soon).values_list(
        "pk", flat=True
    )
    refreshed = 0
    for connection_id in connection_ids:
        try:
            connection_refresh(connection_id=connection_id, min_validity=REFRESH_AHEAD_WINDOW)
        except ZoomNeedsReconnect:
            continue
        except ZoomError as error:
            logger.warning("zoom scheduled refresh failed connection=%s error=%s", connection_id, type(error).__name__)
            continue
        refreshed += 1
    return refreshed
