"""`make run`'s demo data: loaded once through the product and the simulator over HTTP, every feature to show."""

import socket
from io import StringIO

import pytest
from django.core.management import call_command

from attendance.models import AttendanceRecord
from bookings.models import Booking, BookingOffer
from certificates.models import Certificate
from courses.models import ClassSession, Course, Registration
from evidence.models import CourseOutcome
from orgs.models import Organization
from zoom_integration.models import ZoomConnection, ZoomMeeting, ZoomRegistrant, ZoomSeriesRegistrant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def free_site(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = f"http://127.0.0.1:{port}"
    settings.SITE_URL = site
    settings.ZOOM_OAUTH_URL = f"{site}/zoomsim"
    settings.ZOOM_API_URL = f"{site}/zoomsim/v2"
    settings.ZOOM_SIMULATOR_WEBHOOK_URL = f"{site}/zoom/webhook/"
    return site


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_demo_data_shows_every_feature_and_loads_once(free_site):
    output = run("load_demo_data")
    assert "owner@demo.cohortstudio.io" in output and "connected to the Zoom simulator" in output
    organization = Organization.objects.get(slug="demo-training-co")
    assert ZoomConnection.objects.get(organization=organization, user=None).status == "connected"
    # A second host: the demo trainer's own Zoom hosts a class at the same time as the owner's upcoming one.
    trainers = ZoomConnection.objects.get(organization=organization, user__email="trainer@demo.cohortstudio.io")
    second = ZoomMeeting.objects.get(class_session__title__startswith="Agile Practice Lab")
    assert trainers.status == "connected" and second.is_ready and second.connection == trainers
    assert "trainer@demo.cohortstudio.io hosts" in output
    upcoming, past = (
        ClassSession.objects.filter(organization=organization, delivery_mode="virtual", course__title="PMP Exam Prep")
        .exclude(title__startswith="Agile Practice Lab")
        .order_by("-starts_at")
    )
    assert ZoomMeeting.objects.get(class_session=upcoming).is_ready
    assert ZoomRegistrant.objects.filter(meeting__class_session=upcoming, status="synced").count() == 25
    assert AttendanceRecord.objects.filter(class_session=past).exclude(seconds_present=0).count() >= 15

    cohort = Course.objects.get(organization=organization, title="PMP Evening Cohort")
    assert cohort.class_sessions.filter(series__isnull=False).count() == 8
    statuses = sorted(cohort.enrolments.values_list("status", flat=True))
    assert statuses == ["confirmed"] * 8 + ["waitlisted"] * 2
    assert Registration.objects.filter(class_session__course=cohort, status="confirmed").count() == 8 * 8
    # The series is one recurring Zoom meeting: every class on it, each student one registrant with one link.
    assert ZoomMeeting.objects.filter(class_session__course=cohort).values("zoom_meeting_id").distinct().count() == 1
    assert (
        ZoomSeriesRegistrant.objects.filter(series_meeting__class_series__course=cohort).exclude(join_url="").count()
        == 8
    )

    completed = Course.objects.get(organization=organization, title="CAPM Weekend Cohort (completed)")
    outcomes = dict(
        CourseOutcome.objects.filter(enrolment__course=completed).values_list("enrolment__first_name", "status")
    )
    assert outcomes == {
        "Ada": "completed",
        "Alan": "completed",
        "Grace": "completed",
        "Katherine": "completed",
        "Edsger": "not_completed",
    }
    certificates = dict(
        Certificate.objects.filter(enrolment__course=completed).values_list("enrolment__first_name", "status")
    )
    assert certificates == {"Ada": "valid", "Alan": "valid", "Grace": "revoked", "Katherine": "valid"}

    oral, clinic = BookingOffer.objects.filter(organization=organization).order_by("capacity")
    assert oral.bookings.count() == 3 and clinic.bookings.count() == 2
    booked = [booking.slot.class_session for booking in Booking.objects.filter(offer__organization=organization)]
    assert len({class_session.pk for class_session in booked}) == 4  # the clinic's two share one meeting
    assert all(ZoomMeeting.objects.get(class_session=class_session).is_ready for class_session in booked)
    assert ZoomRegistrant.objects.filter(meeting__class_session__in=booked, status="synced").count() == 5
    # A free information session is a Zoom webinar, its prospects registered with their own links.
    webinar = ZoomMeeting.objects.get(class_session__course__title="Free information sessions")
    assert (webinar.kind, webinar.status, webinar.meeting_type) == ("webinar", "ready", 5)
    assert ZoomRegistrant.objects.filter(meeting=webinar, status="synced").exclude(join_url="").count() == 6

    counts = (Registration.objects.count(), ZoomMeeting.objects.count(), AttendanceRecord.objects.count())
    assert "nothing changed" in run("load_demo_data")
    assert (Registration.objects.count(), ZoomMeeting.objects.count(), AttendanceRecord.objects.count()) == counts

    # The operators' commands run on the demo data without a traceback.
    assert "Demo Training Co" in run("zoom_status")
    assert "would refresh" in run("zoom_refresh_tokens", "--dry-run")
    assert "would sync" in run("zoom_sync_registrants", "--upcoming", "--dry-run")
    assert "meetings" in run("zoom_purge_org_data", "--org", "demo-training-co", "--dry-run")
