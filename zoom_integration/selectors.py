"""Reads for the Zoom pages and panels; each takes the organization or the class explicitly."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q

from courses.models import Registration

from .connection.selectors import connection_features, connection_has_feature, connection_of
from .constants import FEATURE_MEETINGS
from .models import ConnectionStatus, RegistrantStatus, ZoomConnection, ZoomMeeting, ZoomSeriesMeeting
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
    connection = connection_of(organization=organization)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return ZoomOverview(state="not_connected", connection=connection, features=[])
    return ZoomOverview(
        state=connection.status,
        connection=connection,
        features=connection_features(connection=connection),
        webinar_plan=host_plan_of(connection=connection),
        webinar_unavailable=webinar_unavailable_reason(connection=connection),
    )


def meeting_of_class(*, class_session):
    return ZoomMeeting.objects.filter(class_session=class_session).select_related("organization").first()


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
