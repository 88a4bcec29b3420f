"""Zoom demo data for `make run`: Demo Training Co comes connected to the built-in Zoom simulator.

Everything goes through the product's own services and the simulator's, over real
HTTP, exactly as a user clicking through the guide would cause it: the upcoming
class gets a meeting with pre-registered students; the past class had a meeting
that students joined and left, then an AI summary and cloud recordings; a free
information session is a Zoom webinar with prospects registered in one batch.
"""

import random
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler, get_internal_wsgi_application
from django.test.utils import override_settings
from django.utils import timezone

from courses import services as course_services
from courses.models import ClassSession
from orgs.models import Membership
from zoom_integration import jobs
from zoom_integration.connection import services
from zoom_integration.constants import KIND_MEETING, KIND_WEBINAR
from zoom_integration.models import ZoomConnection, ZoomMeeting
from zoom_integration.scheduling import host_plans, meetings, registrants
from zoom_simulator import services as simulator
from zoom_simulator.models import Meeting as SimulatedMeeting

DEMO_ZOOM_EMAIL = "dana.host@demo-training.example"
DEMO_TRAINER_ZOOM_EMAIL = "theo.trainer@demo-training.example"
SECOND_HOST_CLASS_TITLE = "Agile Practice Lab (hosted on Theo's own Zoom)"
INFO_COURSE_TITLE = "Free information sessions"
INFO_SESSION_TITLE = "Is the PMP for you? Free information session"
INFO_SESSION_PROSPECTS = [
    ("Priya", "Raman"),
    ("Tom", "Becker"),
    ("Lucía", "Ortega"),
    ("Kwame", "Mensah"),
    ("Hana", "Sato"),
    ("Oliver", "Grant"),
]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def site_served():
    """Serve the app at SITE_URL while loading, unless something already answers there.

    The product reaches the simulator (and the simulator the product's webhook) over HTTP.
    """
    parts = urlsplit(settings.SITE_URL)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    with socket.socket() as probe:
        probe.settimeout(0.5)
        already_served = probe.connect_ex((host, port)) == 0
    if already_served:
        yield
        return
    server = ThreadedWSGIServer((host, port), _QuietHandler)
    server.set_app(get_internal_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def zoom_demo_load(*, organization, stdout):
    if not settings.ZOOM_SIMULATOR or ZoomConnection.objects.filter(organization=organization, user=None).exists():
        return
    owner = Membership.objects.filter(organization=organization, role="owner").select_related("user").first().user
    # The demo's own emails (confirmations with join links) would only flood the console.
    with site_served(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        _connect(organization, owner)
        classes = ClassSession.objects.filter(organization=organization, delivery_mode="virtual").order_by("starts_at")
        now = timezone.now()
        for class_session in classes:
            meeting = _meeting_for(class_session)
            if class_session.starts_at > now:
                registrants.registrants_sync(meeting_pk=meeting.pk)
            else:
                _hold_past_meeting(meeting)
        host_plans.host_plan_check(organization_id=organization.pk)
        _webinar_info_session(organization)
    stdout.write(f"Demo organization connected to the Zoom simulator as {DEMO_ZOOM_EMAIL}.")


def _connect(organization, owner):
    """Option A without the browser: the simulator issues a code, the product exchanges it over HTTP."""
    zoom_user = simulator.user_get_or_create(email=DEMO_ZOOM_EMAIL, first_name="Dana", last_name="Host")
    code = simulator.authorization_code_issue(
        user=zoom_user,
        client_id=settings.ZOOM_CLIENT_ID,
        redirect_uri=f"{settings.SITE_URL}/settings/zoom/callback/",
    )
    services.connection_connect_with_code(organization=organization, user=owner, code=code)


def hosts_demo_load(*, organization, stdout):
    """A second host: the demo trainer connects their own simulated Zoom and teaches a class at the same time
    as the owner's upcoming one, on their own meeting."""
    trainer_membership = (
        Membership.objects.filter(organization=organization, role="trainer").select_related("user").first()
    )
    if not settings.ZOOM_SIMULATOR or trainer_membership is None:
        return
    trainer = trainer_membership.user
    if ZoomConnection.objects.filter(organization=organization, user=trainer).exists():
        return
    owners_class = (
        ClassSession.objects.filter(
            organization=organization,
            delivery_mode="virtual",
            series__isnull=True,
            starts_at__gt=timezone.now(),
            course__title="PMP Exam Prep",
        )
        .order_by("starts_at")
        .first()
    )
    if owners_class is None:
        return
    with site_served(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        zoom_user = simulator.user_get_or_create(email=DEMO_TRAINER_ZOOM_EMAIL, first_name="Theo", last_name="Trainer")
        code = simulator.authorization_code_issue(
            user=zoom_user,
            client_id=settings.ZOOM_CLIENT_ID,
            redirect_uri=f"{settings.SITE_URL}/settings/zoom/callback/",
        )
        services.connection_connect_with_code(organization=organization, user=trainer, code=code, host=trainer)
        class_session = course_services.class_session_create(
            course=owners_class.course,
            title=SECOND_HOST_CLASS_TITLE,
            starts_at=owners_class.starts_at,
            duration_minutes=owners_class.duration_minutes,
            timezone_name=owners_class.timezone,
            delivery_mode="virtual",
            capacity=20,
            trainer=trainer,
        )
        meeting = _meeting_for(class_session)
    stdout.write(
        f"Demo trainer {trainer.email} hosts “{class_session.title}” on their own simulated Zoom "
        f"{DEMO_TRAINER_ZOOM_EMAIL} (meeting {meeting.zoom_meeting_id}), at the same time as “{owners_class.title}”."
    )


def _meeting_for(class_session, kind=KIND_MEETING):
    jobs.meeting_request(class_session=class_session, kind=kind)
    meeting = ZoomMeeting.objects.get(class_session=class_session)
    if not meeting.is_ready:
        meetings.meeting_create(meeting_pk=meeting.pk)
        meeting.refresh_from_db()
    return meeting


def _webinar_info_session(organization):
    """A free information session for prospects, as a Zoom webinar: attendees do not see one another."""
    course = course_services.course_create(
        organization=organization,
        title=INFO_COURSE_TITLE,
        description="What the PMP asks of you, how the prep course runs, and your questions answered.",
    )
    starts_at = (timezone.now() + timedelta(days=12)).replace(hour=23, minute=0, second=0, microsecond=0)
    class_session = course_services.class_session_create(
        course=course,
        title=INFO_SESSION_TITLE,
        starts_at=starts_at,
        duration_minutes=45,
        timezone_name=organization.timezone,
        delivery_mode="virtual",
        location="Free and open to anyone thinking about the certification.",
        capacity=500,
    )
    meeting = _meeting_for(class_session, kind=KIND_WEBINAR)
    for first_name, last_name in INFO_SESSION_PROSPECTS:
        course_services.registration_create(
            class_session=class_session,
            first_name=first_name,
            last_name=last_name,
            email=f"{first_name.lower().replace('í', 'i')}.{last_name.lower()}@prospects.example",
        )
    registrants.registrants_sync(meeting_pk=meeting.pk)
    return meeting


def _hold_past_meeting(meeting):
    """Replay the past class on the simulator: joins, a rejoin, a guest, an early leaver, a summary, recordings."""
    registrants.registrants_sync(meeting_pk=meeting.pk)
    class_session = meeting.class_session
    start, end = class_session.starts_at, class_session.ends_at
    simulated = SimulatedMeeting.objects.get(meeting_id=meeting.zoom_meeting_id)
    people = list(simulated.registrants.order_by("email"))
    rng = random.Random(class_session.pk)
    simulator.meeting_start(meeting=simulated, at=start - timedelta(minutes=5))
    stayed = []
    for index, person in enumerate(people):
        if index % 8 == 7:
            continue  # a few never joined
        joined_at = start + timedelta(minutes=rng.randint(0, 12))
        simulator.participant_join(meeting=simulated, registrant=person, at=joined_at)
        stayed.append(person)
    simulator.participant_join(meeting=simulated, name="Guest (phone)", at=start + timedelta(minutes=20))
    participants = {
        p.registrant_id: p for p in simulated.instances.first().participants.filter(leave_time__isnull=True)
    }
    for index, person in enumerate(stayed):
        participant = participants.get(person.pk)
        if participant is None:
            continue
        if index % 5 == 0:
            # Dropped out for a while and came back.
            simulator.participant_leave(participant=participant, at=start + timedelta(minutes=30))
            simulator.participant_join(meeting=simulated, registrant=person, at=start + timedelta(minutes=38))
        elif index % 7 == 3:
            simulator.participant_leave(participant=participant, at=start + timedelta(minutes=rng.randint(25, 55)))
    simulator.meeting_end(meeting=simulated, at=end + timedelta(minutes=2))
    simulator.summary_make_ready(meeting=simulated)
    simulator.recordings_make_ready(meeting=simulated)
