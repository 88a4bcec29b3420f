"""Operator actions behind the `manage.py zoom_*` commands: status, forced refresh, sync, purge."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from attendance.services import attendance_source_purge
from evidence.services import poll_results_purge
from orgs.models import Organization

from .connection.tokens import connection_refresh
from .exceptions import ZoomError
from .models import (
    ConnectionStatus,
    MeetingStatus,
    RegistrantStatus,
    WebhookEvent,
    WebhookState,
    ZoomAccessRemoval,
    ZoomConnection,
    ZoomHostPlan,
    ZoomMeeting,
    ZoomRegistrant,
)
from .scheduling import registrants

# Refreshing "now" means: even a token that still has its full hour left.
FORCE_REFRESH = timedelta(days=3650)


@dataclass
class HostZoomStatus:
    """One connection of an organization: whose it is, its state, tokens, webhooks and its meetings' work."""

    connection: ZoomConnection
    whose: str
    state: str
    meetings_creating: int = 0
    meetings_failed: int = 0

    @property
    def token_expires_at(self):
        return self.connection.expires_at if self.connection.has_tokens else None


@dataclass
class OrganizationZoomStatus:
    organization: Organization
    state: str
    zoom_email: str = ""
    token_expires_at: object = None
    last_webhook_at: object = None
    pending: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    hosts: list = field(default_factory=list)


def _state(connection):
    state = connection.status if connection else "not_connected"
    return "not_connected" if state == ConnectionStatus.DISCONNECTED else state


def zoom_status_list(*, organization=None):
    """Per organization: its connection's state, token expiry, last webhook, work waiting or failed, and the
    same per connection (the organization's and each trainer's own)."""
    organizations = Organization.objects.order_by("name")
    if organization is not None:
        organizations = organizations.filter(pk=organization.pk)
    all_connections = list(
        ZoomConnection.objects.select_related("user")
        .annotate(
            meetings_creating=Count("hosted_meetings", filter=Q(hosted_meetings__status=MeetingStatus.CREATING)),
            meetings_failed=Count("hosted_meetings", filter=Q(hosted_meetings__status=MeetingStatus.FAILED)),
        )
        .order_by(F("user").asc(nulls_first=True), "user__email")
    )
    connections = {connection.organization_id: connection for connection in all_connections if not connection.user_id}
    hosts = {}
    for connection in all_connections:
        hosts.setdefault(connection.organization_id, []).append(
            HostZoomStatus(
                connection=connection,
                whose=f"{connection.user.email}'s own" if connection.user_id else "organization's",
                state=_state(connection),
                meetings_creating=connection.meetings_creating,
                meetings_failed=connection.meetings_failed,
            )
        )
    events = {
        row["organization_id"]: row
        for row in WebhookEvent.objects.values("organization_id").annotate(
            received=Count("pk", filter=Q(state=WebhookState.RECEIVED)),
            failed=Count("pk", filter=Q(state=WebhookState.FAILED)),
        )
    }
    meetings = {
        row["organization_id"]: row
        for row in ZoomMeeting.objects.values("organization_id").annotate(
            creating=Count("pk", filter=Q(status=MeetingStatus.CREATING)),
            failed=Count("pk", filter=Q(status=MeetingStatus.FAILED)),
        )
    }
    registrant_rows = {
        row["organization_id"]: row
        for row in ZoomRegistrant.objects.values("organization_id").annotate(
            syncing=Count("pk", filter=Q(status=RegistrantStatus.SYNCING)),
            failed=Count("pk", filter=Q(status=RegistrantStatus.FAILED)),
        )
    }
    statuses = []
    for org in organizations:
        connection = connections.get(org.pk)
        state = _state(connection)
        event_row = events.get(org.pk, {})
        meeting_row = meetings.get(org.pk, {})
        registrant_row = registrant_rows.get(org.pk, {})
        statuses.append(
            OrganizationZoomStatus(
                organization=org,
                state=state,
                zoom_email=connection.zoom_email if connection else "",
                token_expires_at=connection.expires_at if connection and connection.has_tokens else None,
                last_webhook_at=connection.last_webhook_at if connection else None,
                pending={
                    "webhook events": event_row.get("received", 0),
                    "meetings being created": meeting_row.get("creating", 0),
                    "registrants syncing": registrant_row.get("syncing", 0),
                },
                failed={
                    "webhook events": event_row.get("failed", 0),
                    "meetings": meeting_row.get("failed", 0),
                    "registrants": registrant_row.get("failed", 0),
                },
                hosts=hosts.get(org.pk, []),
            )
        )
    return statuses


def tokens_refresh_now(*, organization=None, dry_run=False):
    """Refresh the access tokens of every connection (or one organization's) now. Returns (connection, outcome)."""
    connections = (
        ZoomConnection.objects.filter(status=ConnectionStatus.CONNECTED)
        .select_related("organization", "user")
        .order_by("organization__name", F("user").asc(nulls_first=True), "user__email")
    )
    if organization is not None:
        connections = connections.filter(organization=organization)
    results = []
    for connection in connections:
        if dry_run:
            results.append((connection, "would refresh"))
            continue
        try:
            refreshed = connection_refresh(connection_id=connection.pk, min_validity=FORCE_REFRESH)
        except ZoomError as error:
            results.append((connection, f"failed: {error.user_message}"))
        else:
            results.append((connection, f"refreshed, expires {refreshed.expires_at:%Y-%m-%d %H:%M} UTC"))
    return results


def connection_label(connection):
    """How operator commands name a connection: the organization, whose, and its Zoom user."""
    whose = f"{connection.user.email}'s own Zoom" if connection.user_id else "organization's Zoom"
    return f"{connection.organization.name}, {whose} ({connection.zoom_email or connection.zoom_user_id})"


def upcoming_meetings(*, organization=None):
    meetings = ZoomMeeting.objects.filter(
        status=MeetingStatus.READY, registration_enabled=True, class_session__starts_at__gt=timezone.now()
    ).select_related("class_session", "organization")
    if organization is not None:
        meetings = meetings.filter(organization=organization)
    return list(meetings.order_by("class_session__starts_at"))


def registrants_sync_now(*, meeting):
    """Run Sync now in this process; returns the meeting's registrant counts afterwards."""
    try:
        registrants.registrants_sync(meeting_pk=meeting.pk)
        outcome = "done"
    except ZoomError as error:
        outcome = f"stopped: {error.user_message}"
    counts = ZoomRegistrant.objects.filter(meeting=meeting).aggregate(
        synced=Count("pk", filter=Q(status=RegistrantStatus.SYNCED)),
        failed=Count("pk", filter=Q(status=RegistrantStatus.FAILED)),
    )
    return outcome, counts


def zoom_data_purge(*, organization, dry_run=False):
    """Delete every Zoom-derived record of an organization (a support deletion request) and report counts.

    Meeting metadata and registrant links, AI summaries and recording references (with their meetings),
    Zoom attendance signals and participants, stored webhook events, and what Zoom said of its hosts' plans
    (unless another organization's connection uses that Zoom user). Tokens are not touched here: disconnecting
    deletes those.
    """
    meetings = ZoomMeeting.objects.filter(organization=organization)
    host_plans = _host_plans_of(organization)
    counts = {
        "meetings": meetings.count(),
        "registrant links": ZoomRegistrant.objects.filter(organization=organization).count(),
        "webhook events": WebhookEvent.objects.filter(organization=organization).count(),
        "host plans": host_plans.count(),
    }
    counts.update(_related_counts(meetings))
    counts.update(attendance_source_purge(organization=organization, source="zoom", dry_run=True))
    counts.update(poll_results_purge(organization=organization, source="zoom", dry_run=True))
    if dry_run:
        return counts
    with transaction.atomic():
        attendance_source_purge(organization=organization, source="zoom")
        poll_results_purge(organization=organization, source="zoom")
        ZoomRegistrant.objects.filter(organization=organization).delete()
        meetings.delete()
        WebhookEvent.objects.filter(organization=organization).delete()
        host_plans.delete()
    return counts


def _host_plans_of(organization):
    """The plans of Zoom users this organization connected (now or before) that no other organization connects."""
    zoom_users = set(ZoomConnection.objects.filter(organization=organization).values_list("zoom_user_id", flat=True))
    zoom_users |= set(
        ZoomAccessRemoval.objects.filter(organization=organization).values_list("zoom_user_id", flat=True)
    )
    elsewhere = ZoomConnection.objects.filter(zoom_user_id__in=zoom_users).exclude(organization=organization)
    return ZoomHostPlan.objects.filter(zoom_user_id__in=zoom_users).exclude(
        zoom_user_id__in=elsewhere.values("zoom_user_id")
    )


def _related_counts(meetings):
    """Rows hanging off the meetings (summaries, recording references), counted by model name."""
    counts = {}
    for relation in ZoomMeeting._meta.related_objects:
        model = relation.related_model
        if model is ZoomRegistrant or not relation.one_to_many:
            continue
        label = str(model._meta.verbose_name_plural)
        counts[label] = model.objects.filter(**{f"{relation.field.name}__in": meetings}).count()
    return counts
