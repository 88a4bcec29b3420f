"""Writes of the Zoom connection layer: connecting, refreshing, disconnecting, webhooks.

Each state change runs in one transaction; emails, revocations and task
enqueues happen after commit.
"""

import contextlib
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, connection, transaction
from django.db import OperationalError as DatabaseOperationalError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables
from kombu.exceptions import OperationalError
import psycopg
from redis.exceptions import RedisError

from cohortstudio.mail import email_send
from orgs.models import Organization, Role
from orgs.selectors import owners_emails

from . import crypto, handlers, oauth, selectors, tasks
from .client import StaticToken, ZoomClient
from .constants import (
    ACCESS_TOKEN_MIN_VALIDITY,
    BROKER_RETRY_PAUSE_SECONDS,
    DRAIN_FIRST,
    DRAIN_HELPER,
    DRAIN_LOOK_AGAIN,
    HTTP_MAX_ATTEMPTS,
    OAUTH_STATES_KEPT,
    OAUTH_STATE_LIFETIME,
    PENDING_GRANT_LIFETIME,
    REFRESH_AHEAD_WINDOW,
    WEBHOOK_DRAIN_BATCH,
    WEBHOOK_DRAIN_HELPERS,
    WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS,
    WEBHOOK_DRAIN_SECONDS,
    WEBHOOK_EVENT_RETENTION,
    WEBHOOK_PRUNE_BATCH,
    WEBHOOK_DRAIN_PENDING_KEY,
    WEBHOOK_DRAIN_PENDING_TTL_SECONDS,
)
from .exceptions import (
    ZoomAccountInUse,
    ZoomAuthorizationFailed,
    ZoomError,
    ZoomNeedsReconnect,
    ZoomRateLimited,
    ZoomUnavailable,
)
from .models import (
    AccessRemovalReason,
    ConnectionStatus,
    PendingZoomGrant,
    WebhookEvent,
    WebhookState,
    ZoomAccessRemoval,
    ZoomConnection,
)
from .selectors import SESSION_OAUTH_ATTEMPTS, SESSION_PENDING_GRANT

logger = logging.getLogger(__name__)

TOKENS_DELETED = ["Zoom access token", "Zoom refresh token"]
WEBHOOK_MAX_ATTEMPTS = 5
WEBHOOK_CLAIM = timedelta(minutes=10)
LAST_WEBHOOK_RESOLUTION = timedelta(minutes=1)
WEBHOOK_RETRY_DELAY = timedelta(minutes=2)

MISSING_STATE = (
    "Zoom's answer did not carry the security code of the connection you started here, so nothing was "
    "connected. Click Connect Zoom account to start again."
)
UNKNOWN_STATE = (
    "This Zoom connection attempt is not valid: it was already used, or it was started in another browser "
    "or by another CohortStudio user. Nothing was connected. Click Connect Zoom account to start again."
)
EXPIRED_STATE = (
    "This Zoom connection attempt took longer than 10 minutes and expired, so nothing was connected. "
    "Click Connect Zoom account to start again."
)
NOT_OWNER_ANY_MORE = (
    "You are no longer an owner of the organization this Zoom connection was started for, so nothing was connected."
)
NO_PENDING_GRANT = (
    "No Zoom installation is waiting to be completed here (it expires after 15 minutes). "
    "Click Connect Zoom account to connect."
)


@dataclass(frozen=True)
class ZoomIdentity:
    user_id: str
    account_id: str
    email: str
    account_type: int | None


@dataclass(frozen=True)
class MarketplaceInstall:
    """Outcome of a Marketplace install: tokens held for this session, or given to the Zoom user's existing connection."""

    pending: PendingZoomGrant | None = None
    existing: ZoomConnection | None = None


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
        return connection_refresh(connection_id=self.connection_id, stale_access_token=stale_access_token).access_token()


def connection_client(*, organization, for_page=False):
    """A ZoomClient acting as the organization's connected Zoom user; ZoomNeedsReconnect when there is none.

    `for_page`: the call serves a page someone is waiting for, so Zoom is asked once, without retries.
    """
    connection = selectors.connection_of(organization=organization)
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        raise ZoomNeedsReconnect()
    return ZoomClient(tokens=ConnectionTokens(connection_id=connection.pk), max_attempts=1 if for_page else HTTP_MAX_ATTEMPTS)


# Connecting ------------------------------------------------------------------


def connection_start(*, session, user, organization):
    """Begin Option A: remember a single-use state and PKCE verifier in the session; return Zoom's authorize URL."""
    state = secrets.token_urlsafe(32)
    verifier = oauth.pkce_verifier_create()
    attempts = dict(session.get(SESSION_OAUTH_ATTEMPTS) or {})
    attempts[state] = {
        "user_id": user.pk,
        "organization_id": organization.pk,
        "verifier": verifier,
        "expires": time.time() + OAUTH_STATE_LIFETIME.total_seconds(),
    }
    newest = sorted(attempts.items(), key=lambda item: item[1]["expires"])[-OAUTH_STATES_KEPT:]
    session[SESSION_OAUTH_ATTEMPTS] = dict(newest)
    return oauth.authorize_url_build(state=state, code_verifier=verifier)


def connection_attempt_cancel(*, session, state):
    """Forget the attempt Zoom answered with an error (consent refused): states are single-use."""
    attempts = dict(session.get(SESSION_OAUTH_ATTEMPTS) or {})
    if attempts.pop(state, None) is not None:
        session[SESSION_OAUTH_ATTEMPTS] = attempts


def connection_complete(*, session, user, state, code):
    """Finish Option A: check the state, exchange the code with its PKCE verifier, store the connection."""
    attempts = dict(session.get(SESSION_OAUTH_ATTEMPTS) or {})
    if not state:
        session[SESSION_OAUTH_ATTEMPTS] = {}
        raise ZoomAuthorizationFailed(MISSING_STATE)
    attempt = attempts.pop(state, None)
    session[SESSION_OAUTH_ATTEMPTS] = attempts
    if attempt is None or attempt["user_id"] != user.pk:
        raise ZoomAuthorizationFailed(UNKNOWN_STATE)
    if attempt["expires"] < time.time():
        raise ZoomAuthorizationFailed(EXPIRED_STATE)
    organization = Organization.objects.filter(
        pk=attempt["organization_id"], memberships__user=user, memberships__role=Role.OWNER
    ).first()
    if organization is None:
        raise ZoomAuthorizationFailed(NOT_OWNER_ANY_MORE)
    grant = oauth.token_exchange(code=code, code_verifier=attempt["verifier"])
    identity = _identity_fetch(grant)
    return _connection_save_or_refuse(grant=grant, identity=identity, organization=organization, user=user)


def connection_connect_with_code(*, organization, user, code, code_verifier=None):
    """Exchange an authorization code and store the connection (no browser session involved: demo data, support)."""
    grant = oauth.token_exchange(code=code, code_verifier=code_verifier)
    identity = _identity_fetch(grant)
    return _connection_save_or_refuse(grant=grant, identity=identity, organization=organization, user=user)


def connection_hold_pending(*, session, code):
    """Option B, first half: exchange the Marketplace code at once (it lives 5 minutes) and hold the tokens.

    When the Zoom user already serves an organization, Zoom has just
    invalidated that connection's tokens in favour of these, so they go to it.
    """
    grant = oauth.token_exchange(code=code)
    identity = _identity_fetch(grant)
    nonce = secrets.token_urlsafe(32)
    with transaction.atomic():
        existing = (
            ZoomConnection.objects.select_for_update()
            .filter(zoom_user_id=identity.user_id)
            .exclude(status=ConnectionStatus.DISCONNECTED)
            .select_related("organization")
            .first()
        )
        if existing is not None:
            _connection_fill(existing, grant=grant, identity=identity)
            existing.save()
            return MarketplaceInstall(existing=existing)
        PendingZoomGrant.objects.filter(hold_until__lte=timezone.now()).delete()
        pending = PendingZoomGrant(
            session_binding=hashlib.sha256(nonce.encode()).hexdigest(),
            zoom_user_id=identity.user_id,
            zoom_account_id=identity.account_id,
            zoom_email=identity.email,
            account_type=identity.account_type,
            hold_until=timezone.now() + PENDING_GRANT_LIFETIME,
        )
        pending.set_tokens(
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.expires_at,
            scopes=grant.scopes,
        )
        pending.save()
    session[SESSION_PENDING_GRANT] = {"id": pending.pk, "nonce": nonce}
    return MarketplaceInstall(pending=pending)


def connection_complete_pending(*, session, user, organization):
    """Option B, second half: the held tokens become `organization`'s connection (the caller checked ownership)."""
    pending = selectors.pending_grant_for_session(session=session)
    session.pop(SESSION_PENDING_GRANT, None)
    if pending is None:
        raise ZoomAuthorizationFailed(NO_PENDING_GRANT)
    with transaction.atomic():
        pending = PendingZoomGrant.objects.select_for_update().filter(pk=pending.pk).first()
        if pending is None:
            raise ZoomAuthorizationFailed(NO_PENDING_GRANT)
        grant = oauth.TokenGrant(
            access_token=pending.access_token(),
            refresh_token=pending.refresh_token(),
            expires_at=pending.expires_at,
            scopes=tuple(pending.scopes),
        )
        identity = ZoomIdentity(
            user_id=pending.zoom_user_id,
            account_id=pending.zoom_account_id,
            email=pending.zoom_email,
            account_type=pending.account_type,
        )
        pending.delete()
        connection, in_use = _connection_save(grant=grant, identity=identity, organization=organization, user=user)
    if in_use is not None:
        raise ZoomAccountInUse(zoom_email=identity.email, organization_name=in_use.organization.name)
    return connection


def connection_refuse_pending(*, session):
    """Option B for a user who owns no organization: delete the held tokens and give the grant back to Zoom."""
    pending = selectors.pending_grant_for_session(session=session)
    session.pop(SESSION_PENDING_GRANT, None)
    if pending is None:
        return
    access_token = pending.access_token()
    pending.delete()
    transaction.on_commit(lambda: _token_revoke_best_effort(access_token))


def pending_grants_purge():
    """Delete held Marketplace tokens nobody claimed in time, and give their grants back to Zoom."""
    expired = list(PendingZoomGrant.objects.filter(hold_until__lte=timezone.now()))
    for pending in expired:
        access_token = pending.access_token()
        pending.delete()
        _token_revoke_best_effort(access_token)
    return len(expired)


def _identity_fetch(grant):
    me = ZoomClient(tokens=StaticToken(grant.access_token)).users_me()
    account_type = me.get("type")
    return ZoomIdentity(
        user_id=str(me["id"]),
        account_id=str(me.get("account_id") or ""),
        email=me.get("email") or "",
        account_type=int(account_type) if account_type is not None else None,
    )


def _connection_save_or_refuse(*, grant, identity, organization, user):
    with transaction.atomic():
        connection, in_use = _connection_save(grant=grant, identity=identity, organization=organization, user=user)
    if in_use is not None:
        raise ZoomAccountInUse(zoom_email=identity.email, organization_name=in_use.organization.name)
    return connection


def _connection_save(*, grant, identity, organization, user):
    """Store (or replace) `organization`'s connection; returns (connection, None) or (None, the other org's connection)."""
    in_use = (
        ZoomConnection.objects.select_for_update()
        .filter(zoom_user_id=identity.user_id)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .exclude(organization=organization)
        .select_related("organization")
        .first()
    )
    if in_use is not None:
        # Zoom honours only a Zoom user's newest grant, so the first organization keeps working on it.
        _connection_fill(in_use, grant=grant, identity=identity)
        in_use.save()
        logger.info("zoom connect refused org=%s zoom user already serves org=%s", organization.pk, in_use.organization_id)
        return None, in_use
    connection = ZoomConnection.objects.select_for_update().filter(organization=organization).first()
    if connection is None:
        connection = ZoomConnection(organization=organization)
    elif connection.is_active and connection.has_tokens and connection.zoom_user_id != identity.user_id:
        previous_token = connection.access_token()
        transaction.on_commit(lambda: _token_revoke_best_effort(previous_token))
    _connection_fill(connection, grant=grant, identity=identity)
    connection.connected_at = timezone.now()
    connection.connected_by = user
    connection.notice = ""
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError:
        # Another organization connected the same Zoom user a moment ago.
        in_use = ZoomConnection.objects.exclude(status=ConnectionStatus.DISCONNECTED).get(zoom_user_id=identity.user_id)
        return None, in_use
    logger.info("zoom connected org=%s connection=%s", organization.pk, connection.pk)
    return connection, None


def _connection_fill(connection, *, grant, identity):
    connection.zoom_user_id = identity.user_id
    connection.zoom_account_id = identity.account_id
    connection.zoom_email = identity.email
    connection.account_type = identity.account_type
    connection.set_tokens(
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_at=grant.expires_at,
        scopes=grant.scopes,
    )
    if connection.status != ConnectionStatus.CONNECTED:
        connection.status = ConnectionStatus.CONNECTED
        connection.status_changed_at = timezone.now()
    connection.refreshed_at = timezone.now()


# Refreshing ------------------------------------------------------------------


@sensitive_variables()
def connection_refresh(*, connection_id, stale_access_token=None, min_validity=ACCESS_TOKEN_MIN_VALIDITY):
    """Refresh the connection's tokens, at most once however many workers ask at the same moment.

    The row is locked and re-read: a caller holding `stale_access_token`
    refreshes only if that is still the stored token; a caller without one
    refreshes only if the token expires within `min_validity`. Zoom rotates
    refresh tokens, so the new pair is saved before the lock is released.
    Call it outside any transaction, so the new pair commits with the lock.
    A refresh Zoom refuses for good marks the connection "Reconnect needed"
    and emails the owners once.
    """
    with transaction.atomic():
        connection = ZoomConnection.objects.select_for_update().get(pk=connection_id)
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
            lapsed = True
        else:
            connection.set_tokens(
                access_token=grant.access_token,
                refresh_token=grant.refresh_token,
                expires_at=grant.expires_at,
                scopes=grant.scopes or connection.scopes,
            )
            connection.refreshed_at = timezone.now()
            connection.save(update_fields=[*ZoomConnection.ENCRYPTED_FIELDS, "expires_at", "scopes", "refreshed_at"])
            lapsed = False
    if lapsed:
        raise ZoomNeedsReconnect()
    logger.info("zoom tokens refreshed connection=%s", connection.pk)
    return connection


def _connection_mark_reconnect_needed(connection):
    connection.status = ConnectionStatus.RECONNECT_NEEDED
    connection.status_changed_at = timezone.now()
    connection.save(update_fields=["status", "status_changed_at"])
    logger.warning("zoom refresh refused, reconnect needed connection=%s org=%s", connection.pk, connection.organization_id)
    organization = connection.organization
    transaction.on_commit(lambda: _reconnect_needed_email(organization))


def _reconnect_needed_email(organization):
    settings_url = settings.SITE_URL + reverse("zoom:settings")
    for email in owners_emails(organization=organization):
        email_send(
            template="zoom_reconnect_needed",
            to=email,
            context={"organization": organization, "settings_url": settings_url},
        )


def tokens_refresh_expiring():
    """Refresh every connection whose access token expires within the refresh window; returns how many were refreshed."""
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


# Ending ----------------------------------------------------------------------


def connection_disconnect(*, organization, user):
    """Delete the organization's Zoom tokens at once, then revoke them at Zoom (best effort, after commit)."""
    with transaction.atomic():
        connection = ZoomConnection.objects.select_for_update().filter(organization=organization).first()
        if connection is None or not connection.is_active:
            return None
        access_token = connection.access_token() if connection.has_tokens else None
        _access_remove(connection, reason=AccessRemovalReason.DISCONNECTED, removed_by=user)
        if access_token:
            transaction.on_commit(lambda: _token_revoke_best_effort(access_token))
    return connection


def connection_deauthorize(*, zoom_account_id, zoom_user_id, zoom_reported_at, webhook_event):
    """Zoom says the app was removed: delete that Zoom user's tokens and tell the owners once, on the settings page.

    Returns the connection, or None when no active connection matches (after
    a disconnect in CohortStudio there is nothing left to do).
    """
    with transaction.atomic():
        connection = (
            ZoomConnection.objects.select_for_update()
            .filter(zoom_user_id=zoom_user_id, zoom_account_id=zoom_account_id)
            .exclude(status=ConnectionStatus.DISCONNECTED)
            .first()
        )
        if connection is None:
            return None
        _access_remove(
            connection,
            reason=AccessRemovalReason.DEAUTHORIZED,
            zoom_reported_at=zoom_reported_at,
            webhook_event=webhook_event,
        )
        when = timezone.localtime(zoom_reported_at or timezone.now()).strftime("%B %-d, %Y at %H:%M %Z")
        connection.notice = (
            f"On {when}, Zoom reported that the CohortStudio app was removed from the Zoom account "
            f"{connection.zoom_email or connection.zoom_user_id}. CohortStudio deleted its encrypted Zoom access and "
            "refresh tokens at once. Meeting details on your classes and attendance records are kept; meetings, "
            "recordings, AI summaries and registrants stay on your Zoom account. Click Connect Zoom account to "
            "connect again."
        )
        connection.save(update_fields=["notice"])
    return connection


def connection_notice_take(*, connection):
    """Return the connection's notice and clear it, so it is shown once."""
    if connection is None or not connection.notice:
        return ""
    notice = connection.notice
    ZoomConnection.objects.filter(pk=connection.pk).update(notice="")
    connection.notice = ""
    return notice


def _access_remove(connection, *, reason, removed_by=None, zoom_reported_at=None, webhook_event=None):
    now = timezone.now()
    connection.clear_tokens()
    connection.status = ConnectionStatus.DISCONNECTED
    connection.status_changed_at = now
    connection.save()
    ZoomAccessRemoval.objects.create(
        organization_id=connection.organization_id,
        reason=reason,
        zoom_user_id=connection.zoom_user_id,
        zoom_account_id=connection.zoom_account_id,
        zoom_email=connection.zoom_email,
        deleted=TOKENS_DELETED,
        removed_at=now,
        removed_by=removed_by,
        zoom_reported_at=zoom_reported_at,
        webhook_event=webhook_event,
    )
    logger.info("zoom access removed connection=%s org=%s reason=%s", connection.pk, connection.organization_id, reason)


def _token_revoke_best_effort(access_token):
    try:
        oauth.token_revoke(access_token=access_token)
    except ZoomError as error:
        logger.warning("zoom revoke failed (tokens already deleted here) error=%s", type(error).__name__)


# Keys ------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRotationReport:
    checked: int
    rotated: int
    undecryptable: int


def encryption_keys_rotate(*, dry_run=False):
    """Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS."""
    checked = rotated = undecryptable = 0
    with transaction.atomic():
        for model in (ZoomConnection, PendingZoomGrant):
            for row in model.objects.select_for_update().order_by("pk"):
                changed = []
                for field in model.ENCRYPTED_FIELDS:
                    ciphertext = getattr(row, field)
                    if not ciphertext:
                        continue
                    checked += 1
                    if crypto.is_current(ciphertext):
                        continue
                    try:
                        setattr(row, field, crypto.rotate(ciphertext))
                    except crypto.DecryptionFailed:
                        undecryptable += 1
                        logger.error("%s %s: %s cannot be decrypted by any key", model.__name__, row.pk, field)
                        continue
                    rotated += 1
                    changed.append(field)
                if changed and not dry_run:
                    row.save(update_fields=changed)
    return KeyRotationReport(checked=checked, rotated=rotated, undecryptable=undecryptable)


# Webhooks --------------------------------------------------------------------


_WEBHOOK_INSERT = """
    INSERT INTO {table} (dedup_key, event_type, event_ts, raw_body, received_at, state, attempts, error)
    VALUES (%s, %s, %s, %s, %s, %s, 0, '')
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
"""


def webhook_event_store(*, raw_body, payload):
    """Store a verified delivery durably (once per distinct body) and queue its processing.

    One statement on the hot path (PostgreSQL and SQLite both speak it): Zoom's retries
    repeat the body, so the unique dedup key turns a redelivery into "nothing inserted".
    Returns (event id, whether it is new).
    """
    dedup_key = hashlib.sha256(raw_body).hexdigest()
    params = [
        dedup_key,
        str(payload.get("event") or "")[:100],
        _event_time(payload),
        raw_body.decode("utf-8"),
        timezone.now(),
        WebhookState.RECEIVED,
    ]
    row = _webhook_row_insert(params)
    if row is None:
        return WebhookEvent.objects.values_list("pk", flat=True).get(dedup_key=dedup_key), False
    event_id = row[0]
    transaction.on_commit(lambda: _webhook_event_enqueue(event_id))
    return event_id, True


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


def webhook_event_process(*, event_id):
    """Run the handler of a stored event once; safe to call twice or concurrently."""
    claimed = webhook_events_claim(limit=1, event_ids=[event_id])
    if not claimed:  # processed already, or another worker holds it
        return WebhookEvent.objects.filter(pk=event_id).first()
    return _webhook_event_handle(claimed[0])


def webhook_events_claim(*, limit, event_ids=None):
    """Claim up to `limit` waiting events (of `event_ids` when given), oldest first, for this worker alone.

    Rows another worker is claiming are skipped rather than waited for, so drains run side by side.
    """
    now = timezone.now()
    waiting = WebhookEvent.objects.filter(selectors.webhook_events_waiting_filter(now=now))
    if event_ids is not None:
        waiting = waiting.filter(pk__in=event_ids)
    with transaction.atomic():
        events = list(waiting.select_for_update(skip_locked=True).order_by("received_at", "pk")[:limit])
        WebhookEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            attempts=F("attempts") + 1, claimed_until=now + WEBHOOK_CLAIM
        )
    for event in events:
        event.attempts += 1
        event.claimed_until = now + WEBHOOK_CLAIM
    return events


def _webhook_event_handle(event):
    """Dispatch a claimed event to its handler and record the outcome."""
    payload = json.loads(event.raw_body)
    context = handlers.context_build(event=event, payload=payload)
    if context.connection is not None and _last_webhook_is_stale(context.connection, event.received_at):
        ZoomConnection.objects.filter(pk=context.connection.pk).exclude(last_webhook_at__gte=event.received_at).update(
            last_webhook_at=event.received_at
        )
    event.organization = context.organization
    event.error = ""
    try:
        handlers.dispatch(context)
    except handlers.EventIgnored as ignored:
        event.state = WebhookState.IGNORED
        event.error = ignored.reason
    except (ZoomUnavailable, ZoomRateLimited) as error:
        retry_at = getattr(error, "retry_at", None) or timezone.now() + WEBHOOK_RETRY_DELAY
        event.error = error.user_message
        if event.attempts >= WEBHOOK_MAX_ATTEMPTS:
            event.state = WebhookState.FAILED
        else:
            event.claimed_until = retry_at
            event.save(update_fields=["organization", "error", "claimed_until"])
            return event
    except Exception as error:
        logger.exception("zoom webhook event %s (%s) failed", event.pk, event.event_type)
        event.state = WebhookState.FAILED
        event.error = f"{type(error).__name__}: {error}"
    else:
        event.state = WebhookState.PROCESSED
    event.processed_at = timezone.now()
    event.claimed_until = None
    event.save(update_fields=["organization", "state", "error", "processed_at", "claimed_until"])
    logger.info("zoom webhook event %s %s -> %s", event.pk, event.event_type, event.state)
    return event


def _last_webhook_is_stale(connection, received_at):
    """Whether the connection's "last webhook" is older than this event by more than it is shown with.

    Operators read it to the minute, so a burst of events writes it about once a minute, not once an event.
    """
    last = connection.last_webhook_at
    return last is None or last < received_at - LAST_WEBHOOK_RESOLUTION


def webhook_events_sweep():
    """Queue a drain when stored events wait that no drain took (broker down, worker lost) or a retry is due."""
    overdue = selectors.webhook_events_overdue_exist()
    if overdue:
        _webhook_drain_publish(kind=DRAIN_LOOK_AGAIN)
    return overdue


def webhook_events_prune(*, now=None):
    """Delete deliveries received more than WEBHOOK_EVENT_RETENTION ago that are finished (not waiting or retrying).

    In batches, so a large table never holds one long transaction. Returns how many were deleted.
    """
    cutoff = (now or timezone.now()) - WEBHOOK_EVENT_RETENTION
    finished = WebhookEvent.objects.filter(received_at__lt=cutoff).exclude(state=WebhookState.RECEIVED)
    deleted = 0
    while batch := list(finished.order_by().values_list("pk", flat=True)[:WEBHOOK_PRUNE_BATCH]):
        deleted += WebhookEvent.objects.filter(pk__in=batch).delete()[1].get(WebhookEvent._meta.label, 0)
    if deleted:
        logger.info("zoom webhook events pruned: %s received before %s", deleted, cutoff.isoformat())
    return deleted


def webhook_events_reprocess(*, event_ids):
    """Put events back to "received" and queue them (admin action)."""
    WebhookEvent.objects.filter(pk__in=event_ids).update(
        state=WebhookState.RECEIVED, claimed_until=None, processed_at=None, error=""
    )
    for event_id in event_ids:
        transaction.on_commit(lambda event_id=event_id: _webhook_event_enqueue(event_id))


# How a stored event reaches a worker. The web process stores it and makes sure a drain task is on
# its way: under a burst most requests neither publish to the broker nor ask Redis, because this
# process already knows a drain is pending. Drains process events themselves, in claimed batches.

# After the broker refused a publish, webhook answers stop trying it for a while: Zoom
# wants an answer within 3 seconds, and the sweeper runs whatever was stored meanwhile.
_broker_unavailable_until = 0.0
# Until then this process knows a drain is pending and does not ask Redis again.
_drain_known_pending_until = 0.0


def _webhook_event_enqueue(event_id):
    """After a webhook is stored: run it (tasks in-process) or make sure a drain task is on its way."""
    if tasks.webhook_event_process_task.app.conf.task_always_eager:
        try:
            tasks.webhook_event_process_task.apply_async(args=[event_id], retry=False)
        except OperationalError:
            logger.warning("zoom webhook event %s not queued (broker unavailable); the sweeper will run it", event_id)
        return
    global _broker_unavailable_until, _drain_known_pending_until
    now = time.monotonic()
    if now < _broker_unavailable_until or now < _drain_known_pending_until:
        return
    try:
        if cache.add(WEBHOOK_DRAIN_PENDING_KEY, 1, timeout=WEBHOOK_DRAIN_PENDING_TTL_SECONDS):
            tasks.webhook_events_drain_task.apply_async(kwargs={"kind": DRAIN_FIRST}, retry=False)
        _drain_known_pending_until = now + WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS
    except (OperationalError, RedisError):
        _broker_unavailable_until = now + BROKER_RETRY_PAUSE_SECONDS
        cache_delete_quietly(WEBHOOK_DRAIN_PENDING_KEY)
        logger.warning("zoom webhook event %s stored but not queued (broker unavailable); the sweeper will run it", event_id)


def cache_delete_quietly(key):
    with contextlib.suppress(RedisError):
        cache.delete(key)


def _webhook_drain_publish(*, kind, countdown=None):
    try:
        tasks.webhook_events_drain_task.apply_async(kwargs={"kind": kind}, countdown=countdown, retry=False)
    except OperationalError:
        logger.warning("zoom webhook drain (%s) not queued (broker unavailable); the sweeper will queue one", kind)


def webhook_events_drain(*, kind=DRAIN_FIRST):
    """Process stored events waiting for a worker, oldest first, batch by batch, until none is left.

    A first drain lets go of the pending flag before its first batch, so an event stored after
    that asks for a new drain; a web process that saw the flag may still skip asking for up to
    WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS, hence one more look that long after this drain ends.
    A backlog larger than a batch brings helpers, up to WEBHOOK_DRAIN_HELPERS at once.
    Returns how many events were processed.
    """
    if kind == DRAIN_FIRST:
        cache_delete_quietly(WEBHOOK_DRAIN_PENDING_KEY)
    processed, helpers = 0, 0
    deadline = time.monotonic() + WEBHOOK_DRAIN_SECONDS
    while True:
        if time.monotonic() >= deadline:
            # Work may be left and a task has a time limit: a fresh drain carries on.
            _webhook_drain_publish(kind=DRAIN_LOOK_AGAIN)
            return processed
        events = webhook_events_claim(limit=WEBHOOK_DRAIN_BATCH)
        if not events:
            break
        if kind != DRAIN_HELPER and len(events) == WEBHOOK_DRAIN_BATCH and helpers < WEBHOOK_DRAIN_HELPERS:
            helpers += 1
            _webhook_drain_publish(kind=DRAIN_HELPER)
        for event in events:
            _webhook_event_handle(event)
        processed += len(events)
    if kind == DRAIN_FIRST or (kind == DRAIN_LOOK_AGAIN and processed):
        _webhook_drain_publish(kind=DRAIN_LOOK_AGAIN, countdown=WEBHOOK_DRAIN_KNOWN_PENDING_SECONDS * 2)
    return processed


def _event_time(payload):
    """Zoom's event time: top-level epoch milliseconds, or a string inside `payload` (app_deauthorized)."""
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    value = payload.get("event_ts", inner.get("event_ts"))
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, tz=dt_timezone.utc)
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, dt_timezone.utc)
        return parsed
    return None
