"""Reads for the Zoom pages and panels; each takes the organization or the class explicitly."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from courses.models import Registration

from .connection.selectors import connection_features, connection_for_class, connection_has_feature, connection_of
from .constants import FEATURE_MEETINGS
from .exceptions import reconnect_needed_message
from .models import ConnectionStatus, MeetingStatus, RegistrantStatus, ZoomConnection, ZoomMeeting, ZoomSeriesMeeting
from .scheduling.host_plans import host_plan_of, webinar_unavailable_reason


@dataclass(frozen=True)
class ZoomOverview:
    """What Settings → Zoom shows: state is "not_connected", "connected" or "reconnect_needed"."""

    state: str
    connection: ZoomConnection | None
    features: list
    webinar_plan: object = None  # the host's ZoomHostPlan, when Zoom said
    webinar_unavailable: str = ""


def zoom_overview(*, organization):
    """The organization's own connection."""
    return connection_overview(connection=connection_of(organization=organization))


def connection_overview(*, connection):
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return ZoomOverview(state="not_connected", connection=connection, features=[])
    return ZoomOverview(
        state=connection.status,
        connection=connection,
        features=connection_features(connection=connection),
        webinar_plan=host_plan_of(connection=connection),
        webinar_unavailable=webinar_unavailable_reason(connection=connection),
    )


@dataclass(frozen=True)
class HostHealth:
    """One connection on the owner's Settings → Zoom: whose it is, its state and how many upcoming classes it hosts."""

    connection: ZoomConnection
    upcoming_classes: int

    @property
    def whose(self):
        return f"{self.connection.user.email}'s own Zoom" if self.connection.user_id else "The organization's Zoom"


def connections_health(*, organization):
    """Every connection of the organization with its health, in one query (the organization's first)."""
    rows = (
        ZoomConnection.objects.filter(organization=organization)
        .select_related("user", "connected_by")
        .annotate(
            upcoming_classes=Count(
                "hosted_meetings",
                filter=Q(
                    hosted_meetings__class_session__starts_at__gte=timezone.now(),
                    hosted_meetings__status=MeetingStatus.READY,
                ),
            )
        )
        .order_by(F("user").asc(nulls_first=True), "user__email")
    )
    return [HostHealth(connection=row, upcoming_classes=row.upcoming_classes) for row in rows]


def classes_hosted_count(*, connection):
    """How many upcoming classes have their Zoom meeting on this connection."""
    if connection is None:
        return 0
    return ZoomMeeting.objects.filter(
        connection=connection, status=MeetingStatus.READY, class_session__starts_at__gte=timezone.now()
    ).count()


def meeting_of_class(*, class_session):
    return (
        ZoomMeeting.objects.filter(class_session=class_session)
        .select_related("organization", "connection__user")
        .first()
    )


def registrant_counts(*, class_session):
    """Confirmed students, how many have their unique link, and how many wait for Sync now."""
    counts = Registration.objects.filter(class_session=class_session, status="confirmed").aggregate(
        confirmed=Count("pk"),
        synced=Count("pk", filter=Q(zoom_registrant__status=RegistrantStatus.SYNCED)),
        failed=Count("pk", filter=Q(zoom_registrant__status=RegistrantStatus.FAILED)),
    )
    counts["waiting"] = counts["confirmed"] - counts["synced"]
    return counts


def zoom_panel_for_class(*, class_session, membership):
    """The class page's Zoom panel: its meeting, its host (the connection it is or will be made with) and who may
    start it (the host's trainer and the owners)."""
    meeting = meeting_of_class(class_session=class_session)
    if meeting is not None and meeting.connection_id:
        connection = meeting.connection
    else:
        connection = connection_for_class(class_session=class_session)
    connected = connection_has_feature(connection=connection, feature=FEATURE_MEETINGS)
    is_owner = membership is not None and membership.is_owner
    context = {
        "host": connection,
        "may_start": is_owner
        or (membership is not None and connection is not None and connection.user_id == membership.user_id),
        "reconnect_message": (
            reconnect_needed_message(connection)
            if connection is not None and connection.user_id and connection.status != ConnectionStatus.CONNECTED
            else ""
        ),
        "class_session": class_session,
        "meeting": meeting,
        "connected": connected,
        "connection_state": (
            "not_connected"
            if connection is None or connection.status == ConnectionStatus.DISCONNECTED
            else connection.status
        ),
        "is_owner": is_owner,
        "own_meeting_in_series": bool(
            meeting
            and not meeting.is_occurrence
            and class_session.series_id
            and ZoomSeriesMeeting.objects.filter(class_series_id=class_session.series_id).exists()
        ),
        "counts": registrant_counts(class_session=class_session) if meeting and meeting.is_ready else None,
        "webinar_unavailable": webinar_unavailable_reason(connection=connection) if connected else "",
        "simulator_control_url": (
            f"/zoomsim/control/meetings/{meeting.zoom_meeting_id}/"
            if settings.ZOOM_SIMULATOR and meeting and meeting.zoom_meeting_id
            else ""
        ),
    }
    return context


def registrants_for_meeting_page(*, class_session):
    """Per-student results of pre-registration, for the Zoom management page."""
    return (
        Registration.objects.filter(class_session=class_session, status="confirmed")
        .select_related("zoom_registrant")
        .order_by("last_name", "first_name", "email")
    )
