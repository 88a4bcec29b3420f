"""Writes of a Zoom connection: connecting (both installs), disconnecting, deauthorizing, key rotation.

Each state change runs in one transaction; revocations happen after commit, and Zoom is asked
before or after a transaction, never inside one.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from orgs.models import Organization, Role

from .. import crypto
from ..exceptions import ZoomAccountInUse, ZoomAccountInUseHere, ZoomAuthorizationFailed, ZoomError
from ..models import AccessRemovalReason, ConnectionStatus, PendingZoomGrant, ZoomAccessRemoval, ZoomConnection
from ..tuning import OAUTH_STATE_LIFETIME, OAUTH_STATES_KEPT, PENDING_GRANT_LIFETIME
from . import oauth, selectors
from .client import StaticToken, ZoomClient
from .selectors import SESSION_OAUTH_ATTEMPTS, SESSION_PENDING_GRANT

logger = logging.getLogger(__name__)

TOKENS_DELETED = ["Zoom access token", "Zoom refresh token"]

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
NOT_MEMBER_ANY_MORE = (
    "You are no longer a member of the organization this Zoom connection was started for, so nothing was connected."
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
    """A Marketplace install: its tokens held for this session, or given to the Zoom user's existing connection."""

    pending: PendingZoomGrant | None = None
    existing: ZoomConnection | None = None


# Connecting ------------------------------------------------------------------


def connection_start(*, session, user, organization, own=False):
    """Begin Option A: remember a single-use state and PKCE verifier in the session; return Zoom's authorize URL.

    `own`: the grant is the user's own Zoom (a trainer hosting their classes), not the organization's. The
    callback is the same for both, so whose grant it is travels with the state.
    """
    state = secrets.token_urlsafe(32)
    verifier = oauth.pkce_verifier_create()
    attempts = dict(session.get(SESSION_OAUTH_ATTEMPTS) or {})
    attempts[state] = {
        "user_id": user.pk,
        "organization_id": organization.pk,
        "own": bool(own),
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
    own = bool(attempt.get("own"))
    members = Organization.objects.filter(pk=attempt["organization_id"], memberships__user=user)
    if not own:
        members = members.filter(memberships__role=Role.OWNER)
    organization = members.first()
    if organization is None:
        raise ZoomAuthorizationFailed(NOT_MEMBER_ANY_MORE if own else NOT_OWNER_ANY_MORE)
    grant = oauth.token_exchange(code=code, code_verifier=attempt["verifier"])
    identity = _identity_fetch(grant)
    return _connection_save_or_refuse(
        grant=grant, identity=identity, organization=organization, user=user, host=user if own else None
    )


def connection_connect_with_code(*, organization, user, code, code_verifier=None, host=None):
    """Exchange an authorization code and store the connection (no browser session involved: demo data, support).

    `host`: the trainer whose own Zoom this is; None for the organization's connection.
    """
    grant = oauth.token_exchange(code=code, code_verifier=code_verifier)
    identity = _identity_fetch(grant)
    return _connection_save_or_refuse(grant=grant, identity=identity, organization=organization, user=user, host=host)


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
        _refuse_in_use(in_use, zoom_email=identity.email, organization=organization)
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


def _connection_save_or_refuse(*, grant, identity, organization, user, host=None):
    with transaction.atomic():
        connection, in_use = _connection_save(
            grant=grant, identity=identity, organization=organization, user=user, host=host
        )
    if in_use is not None:
        _refuse_in_use(in_use, zoom_email=identity.email, organization=organization)
    return connection


def _refuse_in_use(in_use, *, zoom_email, organization):
    if in_use.organization_id != organization.pk:
        raise ZoomAccountInUse(zoom_email=zoom_email, organization_name=in_use.organization.name)
    whose = f"the own Zoom of {in_use.user.email}" if in_use.user_id else "the organization's Zoom"
    raise ZoomAccountInUseHere(zoom_email=zoom_email, whose=whose)


def _connection_save(*, grant, identity, organization, user, host=None):
    """Store (or replace) the connection of `organization` (or of its trainer `host`).

    Returns (connection, None), or (None, the connection the Zoom user already serves).
    """
    in_use = (
        ZoomConnection.objects.select_for_update()
        .filter(zoom_user_id=identity.user_id)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .exclude(organization=organization, user=host)
        .select_related("organization")
        .first()
    )
    if in_use is not None:
        # Zoom honours only a Zoom user's newest grant, so the first connection keeps working on it.
        _connection_fill(in_use, grant=grant, identity=identity)
        in_use.save()
        logger.info(
            "zoom connect refused org=%s zoom user already serves connection=%s org=%s",
            organization.pk,
            in_use.pk,
            in_use.organization_id,
        )
        return None, in_use
    connection = ZoomConnection.objects.select_for_update().filter(organization=organization, user=host).first()
    if connection is None:
        connection = ZoomConnection(organization=organization, user=host)
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
        # Another connection took the same Zoom user a moment ago.
        in_use = (
            ZoomConnection.objects.exclude(status=ConnectionStatus.DISCONNECTED)
            .select_related("organization", "user")
            .get(zoom_user_id=identity.user_id)
        )
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


# Ending ----------------------------------------------------------------------


def connection_disconnect(*, connection, user):
    """Delete this connection's Zoom tokens at once, then revoke them at Zoom (best effort, after commit).

    Only this connection's: the organization's other connections (its own, its trainers') are untouched.
    """
    with transaction.atomic():
        connection = ZoomConnection.objects.select_for_update().filter(pk=connection.pk).first()
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
            + (
                f" Classes hosted on this Zoom account say Reconnect needed until {connection.user.email} connects it."
                if connection.user_id
                else ""
            )
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
