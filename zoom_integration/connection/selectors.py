"""Reads of Zoom connections; each takes the organization (or Zoom's ids, or the browser session) explicitly."""

import hashlib
import hmac
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from ..constants import FEATURES
from ..models import ConnectionStatus, PendingZoomGrant, ZoomConnection

SESSION_OAUTH_ATTEMPTS = "zoom_oauth_attempts"
SESSION_PENDING_GRANT = "zoom_pending_grant"


@dataclass(frozen=True)
class FeatureStatus:
    key: str
    label: str
    enabled: bool
    needed: list
    missing: list


def connection_of(*, organization):
    return ZoomConnection.objects.filter(organization=organization).select_related("organization").first()


def connection_of_request(*, request, organization):
    """`connection_of`, read once per request: each section of a page asks for it."""
    read = request.__dict__.setdefault("_zoom_connections", {})
    if organization.pk not in read:
        read[organization.pk] = connection_of(organization=organization)
    return read[organization.pk]


def connection_for_zoom_user(*, zoom_account_id, zoom_user_id):
    """The active connection of a Zoom user, as webhook payloads name it.

    With only the account known, the connection is returned when the account
    has exactly one connected user; otherwise None.
    """
    connections = ZoomConnection.objects.exclude(status=ConnectionStatus.DISCONNECTED).select_related("organization")
    if zoom_user_id:
        connections = connections.filter(zoom_user_id=zoom_user_id)
        if zoom_account_id:
            connections = connections.filter(zoom_account_id=zoom_account_id)
        return connections.first()
    if not zoom_account_id:
        return None
    matches = list(connections.filter(zoom_account_id=zoom_account_id)[:2])
    return matches[0] if len(matches) == 1 else None


def connections_for_zoom_users(*, keys):
    """{(zoom_account_id, zoom_user_id): connection or None} of each key, as `connection_for_zoom_user` finds it,
    every key's in one query (a drain's batch names a hundred Zoom users at the top of the hour)."""
    keys = set(keys)
    found = dict.fromkeys(keys)
    user_ids = {zoom_user_id for _, zoom_user_id in keys if zoom_user_id}
    accounts = {zoom_account_id for zoom_account_id, zoom_user_id in keys if zoom_account_id and not zoom_user_id}
    if not user_ids and not accounts:
        return found
    condition = Q(pk__in=[])
    if user_ids:
        condition |= Q(zoom_user_id__in=user_ids)
    if accounts:
        condition |= Q(zoom_account_id__in=accounts)
    connections = list(
        ZoomConnection.objects.exclude(status=ConnectionStatus.DISCONNECTED)
        .filter(condition)
        .select_related("organization")
        .order_by("pk")
    )
    for zoom_account_id, zoom_user_id in keys:
        if zoom_user_id:
            matches = [
                candidate
                for candidate in connections
                if candidate.zoom_user_id == zoom_user_id
                and (not zoom_account_id or candidate.zoom_account_id == zoom_account_id)
            ]
            found[(zoom_account_id, zoom_user_id)] = matches[0] if matches else None
        elif zoom_account_id:
            matches = [candidate for candidate in connections if candidate.zoom_account_id == zoom_account_id]
            found[(zoom_account_id, zoom_user_id)] = matches[0] if len(matches) == 1 else None
    return found


def connection_features(*, connection):
    granted = set(connection.scopes) if connection else set()
    return [
        FeatureStatus(
            key=feature.key,
            label=feature.label,
            enabled=feature.is_enabled(granted),
            needed=sorted(feature.granular),
            missing=feature.missing(granted),
        )
        for feature in FEATURES
    ]


def connection_has_feature(*, connection, feature):
    return (
        connection is not None
        and connection.status == ConnectionStatus.CONNECTED
        and feature.is_enabled(connection.scopes)
    )


def connection_attempts_open(*, session):
    """True when this browser session started a connection from CohortStudio (Option A) not yet finished."""
    return bool(session.get(SESSION_OAUTH_ATTEMPTS))


def pending_grant_for_session(*, session):
    """The Marketplace install (Option B) waiting in this browser session, if still valid."""
    held = session.get(SESSION_PENDING_GRANT)
    if not held:
        return None
    pending = PendingZoomGrant.objects.filter(pk=held.get("id"), hold_until__gt=timezone.now()).first()
    if pending is None:
        return None
    binding = hashlib.sha256(str(held.get("nonce", "")).encode()).hexdigest()
    if not hmac.compare_digest(binding, pending.session_binding):
        return None
    return pending
