"""Reads of Zoom connections; each takes the organization (or Zoom's ids, or the browser session) explicitly."""

import hashlib
import hmac
from dataclasses import dataclass

from django.db.models import F, Q
from django.shortcuts import get_object_or_404
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
    """The organization's own connection (an owner connects it in Settings → Zoom), or None."""
    return (
        ZoomConnection.objects.filter(organization=organization, user__isnull=True)
        .select_related("organization")
        .first()
    )


def connection_of_user(*, organization, user):
    """`user`'s own Zoom connection at `organization` (a trainer's), or None."""
    return (
        ZoomConnection.objects.filter(organization=organization, user=user)
        .select_related("organization", "user")
        .first()
    )


def connections_of(*, organization):
    """Every connection of the organization: its own first, then the trainers' by email."""
    return list(
        ZoomConnection.objects.filter(organization=organization)
        .select_related("organization", "user", "connected_by")
        .order_by(F("user").asc(nulls_first=True), "user__email")
    )


def connection_get(*, organization, connection_id):
    """One of the organization's connections by id; 404 alike for missing and another organization's."""
    return get_object_or_404(
        ZoomConnection.objects.select_related("organization", "user"), organization=organization, pk=connection_id
    )


def connection_for_class(*, class_session):
    """The class's host: its trainer's own connected Zoom when they have one, else the organization's (one query)."""
    return connection_for_trainer(organization_id=class_session.organization_id, trainer_id=class_session.trainer_id)


def connection_for_trainer(*, organization_id, trainer_id):
    """Who hosts a class `trainer_id` teaches: their own connected Zoom, else the organization's (one query)."""
    wanted = Q(user__isnull=True)
    if trainer_id:
        wanted |= Q(user_id=trainer_id, status=ConnectionStatus.CONNECTED)
    found = list(
        ZoomConnection.objects.filter(wanted, organization_id=organization_id).select_related("organization", "user")
    )
    own = [connection for connection in found if connection.user_id]
    return own[0] if own else next(iter(found), None)


def connection_for_meeting(*, meeting):
    """The connection hosting a meeting: the one it was made with, else (not made yet) its class's host.

    The meeting's own `connection` is used as loaded (select_related it where many are read); a class's host is
    looked up once per meeting object, however many sections of a page ask.
    """
    if meeting.connection_id:
        return meeting.connection
    if "_class_host" not in meeting.__dict__:
        meeting.__dict__["_class_host"] = connection_for_class(class_session=meeting.class_session)
    return meeting.__dict__["_class_host"]


def connection_for_series_meeting(*, series_meeting, first_class=None):
    """The connection hosting a series' recurring meeting: the one it was made with, else its first class's host."""
    if series_meeting.connection_id:
        return (
            ZoomConnection.objects.select_related("organization", "user")
            .filter(pk=series_meeting.connection_id)
            .first()
        )
    if first_class is None:
        first_class = series_meeting.class_series.class_sessions.order_by("starts_at").first()
    if first_class is None:
        return connection_of(organization=series_meeting.organization)
    return connection_for_class(class_session=first_class)


def connections_for_events(*, named):
    """The active connection each webhook event is about, for a whole batch in one query.

    `named` holds (zoom meeting id or None, account id, user id) triples as events name them; the answer maps
    each triple to its connection (or None). An event goes to the connection hosting the meeting it names
    (`ZoomMeeting.connection`, within the event's account), else to the connection of the Zoom user it names
    (within the account): never by the account alone, since several users of one Zoom account may each connect.
    """
    named = set(named)
    meeting_ids = {meeting_id for meeting_id, _, _ in named if meeting_id is not None}
    user_ids = {user_id for _, _, user_id in named if user_id}
    if not meeting_ids and not user_ids:
        return dict.fromkeys(named)
    rows = (
        ZoomConnection.objects.exclude(status=ConnectionStatus.DISCONNECTED)
        .filter(Q(hosted_meetings__zoom_meeting_id__in=meeting_ids) | Q(zoom_user_id__in=user_ids))
        .annotate(named_meeting_id=F("hosted_meetings__zoom_meeting_id"))
        .select_related("organization")
        .order_by("pk")
    )
    hosting, of_user = {}, {}
    for connection in rows:
        if connection.named_meeting_id in meeting_ids:
            hosting.setdefault(connection.named_meeting_id, []).append(connection)
        if connection.zoom_user_id in user_ids:
            of_user.setdefault(connection.zoom_user_id, connection)
    found = {}
    for meeting_id, account_id, user_id in named:
        in_account = sorted(
            (
                connection
                for connection in hosting.get(meeting_id, [])
                if not account_id or connection.zoom_account_id == account_id
            ),
            key=lambda connection: connection.zoom_user_id != user_id,  # the host it names first
        )
        user_connection = of_user.get(user_id)
        if user_connection is not None and account_id and user_connection.zoom_account_id != account_id:
            user_connection = None
        found[(meeting_id, account_id, user_id)] = in_account[0] if in_account else user_connection
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
