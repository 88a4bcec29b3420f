"""Multi-tenancy is a security boundary: every URL with an id answers 404 to members of another organization.

The test walks the URL resolver, so a new view with an id is covered (or this test
fails until it is told which object the id names).
"""

import re
from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from bookings.models import Booking
from bookings.tests.factories import BookingOfferFactory
from certificates import services as certificate_services
from courses.models import Enrolment
from evidence.extensions import CourseProgress
from orgs.models import Invitation
from tests.factories import (
    ClassSessionFactory,
    CourseFactory,
    MembershipFactory,
    RegistrationFactory,
)
from zoom_integration.models import ZoomMeeting, ZoomRecordingFile, ZoomSummary
from zoom_integration.tests.factories import ZoomConnectionFactory

# Views whose ids are not org-scoped objects (tokens are their own credential).
PUBLIC_OR_SELF_SCOPED = {"portal:registration_cancel"}


def _walk(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from ((name, str(entry.pattern) + route) for name, route in _walk(entry, prefix))
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", str(entry.pattern)


def _id_routes():
    routes = {}
    for name, route in _walk(get_resolver()):
        params = re.findall(r"<int:(\w+)>", route)
        if params and not name.startswith(("admin:", "zoom_simulator:")):
            routes[name] = (route, params)
    return routes


@pytest.fixture
def foreign_objects(other_organization):
    course = CourseFactory(organization=other_organization)
    class_session = ClassSessionFactory(course=course)
    registration = RegistrationFactory(class_session=class_session)
    enrolment = Enrolment.objects.create(
        organization=other_organization, course=course, student=registration.student, email=registration.email
    )
    membership = MembershipFactory(organization=other_organization, role="trainer")
    invitation = Invitation.objects.create(
        organization=other_organization, email="invitee@example.com", expires_at=timezone.now() + timedelta(days=1)
    )
    zoom_connection = ZoomConnectionFactory(organization=other_organization, user=membership.user)
    zoom_meeting = ZoomMeeting.objects.create(
        organization=other_organization,
        class_session=class_session,
        status="ready",
        zoom_meeting_id=85746065432,
        connection=zoom_connection,
    )
    zoom_summary = ZoomSummary.objects.create(
        organization=other_organization, meeting=zoom_meeting, meeting_uuid="Instance==", fetched_at=timezone.now()
    )
    zoom_recording = ZoomRecordingFile.objects.create(
        organization=other_organization, meeting=zoom_meeting, meeting_uuid="Instance==", file_id="file-1", shared=True
    )
    certificate = certificate_services.certificate_issue(
        enrolment=enrolment,
        progress=CourseProgress(
            enrolment_id=enrolment.pk,
            status="completed",
            reason="",
            classes_total=1,
            classes_attended=1,
            minutes=90,
            credits=1,
            credit_label="PDUs",
        ),
    )
    offer = BookingOfferFactory(course=course, trainer=membership.user)
    booking = Booking.objects.create(
        organization=other_organization,
        offer=offer,
        starts_at=class_session.starts_at,
        first_name="Ada",
        email="ada@example.com",
    )
    return {
        "offer_id": offer.pk,
        "booking_id": booking.pk,
        "certificate_id": certificate.pk,
        "invitation_id": invitation.pk,
        "course_id": course.pk,
        "class_id": class_session.pk,
        "class_session_id": class_session.pk,
        "registration_id": registration.pk,
        "enrolment_id": enrolment.pk,
        "membership_id": membership.pk,
        "summary_id": zoom_summary.pk,
        "recording_id": zoom_recording.pk,
        "connection_id": zoom_connection.pk,
    }


def _fill(route, values):
    path = "/" + route
    for param in re.findall(r"<int:(\w+)>", route):
        path = path.replace(f"<int:{param}>", str(values[param]))
    return re.sub(r"<str:\w+>", "x", path)


@pytest.mark.django_db
def test_every_id_url_is_covered_by_this_test(foreign_objects):
    unknown = {
        name: params
        for name, (route, params) in _id_routes().items()
        if any(param not in foreign_objects for param in params)
    }
    assert not unknown, f"Tell test_tenancy which object these ids name: {unknown}"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_orgs_ids_give_404(owner_client, foreign_objects, method):
    checked = 0
    for name, (route, _) in _id_routes().items():
        if name in PUBLIC_OR_SELF_SCOPED:
            continue
        response = getattr(owner_client, method)(_fill(route, foreign_objects))
        # A POST-only view may answer a GET with 405 before looking anything up.
        allowed = {404, 405} if method == "get" else {404}
        assert response.status_code in allowed, f"{method.upper()} {name} gave {response.status_code}"
        checked += 1
    assert checked >= 10


@pytest.mark.django_db
def test_portal_cancel_of_someone_elses_registration_gives_404(client, registration):
    intruder = RegistrationFactory()
    client.force_login(intruder.student)
    response = client.post(f"/portal/registrations/{registration.pk}/cancel/")
    assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.is_confirmed


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_trainer_cannot_see_or_disconnect_another_trainers_zoom(trainer_client, organization, method):
    colleague = MembershipFactory(organization=organization, role="trainer").user
    theirs = ZoomConnectionFactory(organization=organization, user=colleague)
    organizations = ZoomConnectionFactory(organization=organization)

    for connection in (theirs, organizations):
        response = getattr(trainer_client, method)(f"/settings/zoom/connections/{connection.pk}/disconnect/")
        assert response.status_code == 404
        connection.refresh_from_db()
        assert connection.status == "connected" and connection.has_tokens
    page = trainer_client.get("/settings/zoom/mine/").content.decode()
    assert theirs.zoom_email not in page and organizations.zoom_email not in page
