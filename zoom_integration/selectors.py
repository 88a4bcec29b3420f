"""Reads of the Zoom connection layer; each takes the organization (or Zoom's ids) explicitly."""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from .constants import FEATURE_MEETINGS, FEATURES, WEBHOOK_SWEEP_AFTER
from .models import (
    ConnectionStatus,
    PendingZoomGrant,
    RegistrantStatus,
    WebhookEvent,
    WebhookState,
    ZoomConnection,
    ZoomMeeting,
)

SESSION_OAUTH_ATTEMPTS = "zoom_oauth_attempts"
SESSION_PENDING_GRANT = "zoom_pending_grant"


@dataclass(frozen=True)
class FeatureStatus:
    key: str
    label: str
    enabled: bool
    needed: list
    missing: list


@dataclass(frozen=True)
class ZoomOverview:
    """What Settings → Zoom shows: state is "not_connected", "connected" or "reconnect_needed"."""

    state: str
    connection: ZoomConnection | None
    features: list


def connection_of(*, organization):
    return ZoomConnection.objects.filter(organization=organization).select_related("organization").first()


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
    return connection is not None and connection.status == ConnectionStatus.CONNECTED and feature.is_enabled(connection.scopes)


def zoom_overview(*, organization):
    connection = connection_of(organization=organization)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return ZoomOverview(state="not_connected", connection=connection, features=[])
    return ZoomOverview(state=connection.status, connection=connection, features=connection_features(connection=connection))


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


def webhook_events_overdue_exist(*, now=None):
    """Whether a stored event waits that no drain took in time, or whose retry time has come."""
    now = now or timezone.now()
    return (
        WebhookEvent.objects.filter(state=WebhookState.RECEIVED)
        .filter(Q(claimed_until__isnull=True, received_at__lt=now - WEBHOOK_SWEEP_AFTER) | Q(claimed_until__lt=now))
        .exists()
    )


def webhook_events_waiting_filter(*, now):
    """Stored events not processed and not claimed by a worker (or whose retry time has come)."""
    return Q(state=WebhookState.RECEIVED) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


# Meetings and registrants ------------------------------------------------------


def meeting_of_class(*, class_session):
    return ZoomMeeting.objects.filter(class_session=class_session).select_related("organization").first()


def registrant_counts(*, class_session):
    """Confirmed students, how many have their unique link, and how many wait for Sync now."""
    from courses.models import Registration

    counts = Registration.objects.filter(class_session=class_session, status="confirmed").aggregate(
        confirmed=Count("pk"),
        synced=Count("pk", filter=Q(zoom_registrant__status=RegistrantStatus.SYNCED)),
        failed=Count("pk", filter=Q(zoom_registrant__status=RegistrantStatus.FAILED)),
    )
    counts["waiting"] = counts["confirmed"] - counts["synced"]
    return counts


def zoom_panel_for_class(*, class_session, membership):
    connection = connection_of(organization=class_session.organization)
    connected = connection_has_feature(connection=connection, feature=FEATURE_MEETINGS)
    meeting = meeting_of_class(class_session=class_session)
    context = {
        "class_session": class_session,
        "meeting": meeting,
        "connected": connected,
        "connection_state": (
            "not_connected"
            if connection is None or connection.status == ConnectionStatus.DISCONNECTED
            else connection.status
        ),
        "is_owner": membership is not None and membership.is_owner,
        "counts": registrant_counts(class_session=class_session) if meeting and meeting.is_ready else None,
        "simulator_control_url": (
            f"/zoomsim/control/meetings/{meeting.zoom_meeting_id}/"
            if settings.ZOOM_SIMULATOR and meeting and meeting.zoom_meeting_id
            else ""
        ),
    }
    return context


def registrants_for_meeting_page(*, class_session):
    """Per-student results of pre-registration, for the Zoom management page."""
    from courses.models import Registration

    return (
        Registration.objects.filter(class_session=class_session, status="confirmed")
        .select_related("zoom_registrant")
        .order_by("last_name", "first_name", "email")
    )


def webhook_backlog():
    """(number of stored events not processed yet, age in seconds of the oldest), for /healthz."""
    from django.db.models import Min

    row = WebhookEvent.objects.filter(state=WebhookState.RECEIVED).aggregate(count=Count("pk"), oldest=Min("received_at"))
    age = (timezone.now() - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return row["count"], age
