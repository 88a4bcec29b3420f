"""Operator actions behind the `manage.py zoom_*` commands: status, forced refresh, sync, purge."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
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
    ZoomConnection,
    ZoomMeeting,
    ZoomRegistrant,
)
from .scheduling import registrants

# Refreshing "now" means: even a token that still has its full hour left.
FORCE_REFRESH = timedelta(days=3650)


@dataclass
class OrganizationZoomStatus:
    organization: Organization
    state: str
    zoom_email: str = ""
    token_expires_at: object = None
    last_webhook_at: object = None
    pending: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)


def zoom_status_list(*, organization=None):
    """Per organization: connection state, token expiry, last webhook, and work waiting or failed."""
    organizations = Organization.objects.order_by("name")
    if organization is not None:
        organizations = organizations.filter(pk=organization.pk)
    connections = {connection.organization_id: connection for connection in ZoomConnection.objects.filter(user=None)}
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
        state = connection.status if connection else "not_connected"
        if state == ConnectionStatus.DISCONNECTED:
            state = "not_connected"
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
            )
        )
    return statuses


def tokens_refresh_now(*, organization=None, dry_run=False):
    """Refresh the access tokens of every connected organization (or one) now. Returns (organization, outcome) pairs."""
    connections = ZoomConnection.objects.filter(status=ConnectionStatus.CONNECTED).select_related("organization")
    if organization is not None:
        connections = connections.filter(organization=organization)
    results = []
    for connection in connections:
        if dry_run:
            results.append((connection.organization, "would refresh"))
            continue
        try:
            refreshed = connection_refresh(connection_id=connection.pk, min_validity=FORCE_REFRESH)
        except ZoomError as error:
            results.append((connection.organization, f"failed: {error.user_message}"))
        else:
            results.append((connection.organization, f"refreshed, expires {refreshed.expires_at:%Y-%m-%d %H:%M} UTC"))
    return results


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
    Zoom attendance signals and participants, and stored webhook events. Tokens are not touched here:
    disconnecting deletes those.
    """
    meetings = ZoomMeeting.objects.filter(organization=organization)
    counts = {
        "meetings": meetings.count(),
        "registrant links": ZoomRegistrant.objects.filter(organization=organization).count(),
        "webhook events": WebhookEvent.objects.filter(organization=organization).count(),
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
    return counts


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
