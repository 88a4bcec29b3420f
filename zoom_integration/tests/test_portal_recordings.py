"""The student portal: recordings shared with a student's class, and the Join button's opening time."""

import html
from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import RegistrationStatus
from tests.factories import ClassSessionFactory, CourseFactory, RegistrationFactory, UserFactory
from zoom_integration.content import recordings
from zoom_integration.models import ZoomRecordingFile

from .feature_helpers import class_meeting, connect, past_class

SHARE_URL = "https://us05web.zoom.us/rec/share/Zk1ShareLinkOfTheClass"


def page_text(response):
    return html.unescape(response.content.decode())


def recording_of(meeting, *, file_id="video-1", shared=True, passcode="Rec!2030", **fields):
    values = {
        "organization": meeting.organization,
        "meeting": meeting,
        "meeting_uuid": "Instance1==",
        "file_id": file_id,
        "file_type": "MP4",
        "recording_type": "shared_screen_with_speaker_view",
        "recording_start": meeting.class_session.starts_at,
        "recording_end": meeting.class_session.ends_at,
        "file_size": 48_000_000,
        "status": "completed",
        "play_url": f"https://us05web.zoom.us/rec/play/{file_id}",
        "share_url": SHARE_URL,
        "shared": shared,
    }
    values.update(fields)
    recording_file = ZoomRecordingFile(**values)
    recording_file.set_passcode(passcode)
    recording_file.save()
    return recording_file


@pytest.fixture
def shared_class(course, organization):
    connect(organization)
    meeting = class_meeting(past_class(course, title="Week 3: Risk"))
    return meeting


def portal_as(client, registration):
    client.force_login(registration.student)
    return page_text(client.get("/portal/"))


@pytest.mark.django_db
def test_a_confirmed_student_sees_the_shared_recording_with_its_passcode(client, shared_class):
    recording_of(shared_class)
    recording_of(shared_class, file_id="audio-1", shared=False, file_type="M4A", recording_type="audio_only")
    registration = RegistrationFactory(class_session=shared_class.class_session)

    text = portal_as(client, registration)

    assert "Week 3: Risk" in text
    assert f'href="{SHARE_URL}"' in text and "Watch on Zoom" in text
    assert "Video: shared screen with speaker" in text
    assert "Passcode <code>Rec!2030</code>" in text
    assert "Audio only" not in text


@pytest.mark.django_db
def test_unsharing_hides_it_at_once(client_factory, trainer_client, shared_class):
    recording_file = recording_of(shared_class)
    registration = RegistrationFactory(class_session=shared_class.class_session)
    student = client_factory()
    assert SHARE_URL in portal_as(student, registration)

    response = trainer_client.post(
        f"/courses/classes/{shared_class.class_session_id}/zoom/recordings/{recording_file.pk}/unshare/"
    )

    assert response.status_code == 302
    text = page_text(student.get("/portal/"))
    assert SHARE_URL not in text and "Rec!2030" not in text


@pytest.mark.django_db
def test_a_recording_deleted_on_zoom_is_gone_from_the_portal(client, shared_class):
    recording_of(shared_class)
    registration = RegistrationFactory(class_session=shared_class.class_session)
    recordings.recordings_mark_deleted(meeting=shared_class, meeting_uuid="Instance1==")
    assert SHARE_URL not in portal_as(client, registration)


@pytest.mark.django_db
def test_a_student_who_cancelled_never_sees_it(client, shared_class):
    recording_of(shared_class)
    registration = RegistrationFactory(class_session=shared_class.class_session, status=RegistrationStatus.CANCELLED)

    text = portal_as(client, registration)

    assert "Week 3: Risk" in text  # the class is listed, marked as cancelled by the student
    assert SHARE_URL not in text and "Rec!2030" not in text


@pytest.mark.django_db
def test_a_student_of_another_class_never_sees_it(client, shared_class, course):
    recording_of(shared_class)
    other_class = past_class(course, title="Week 4: Procurement")
    registration = RegistrationFactory(class_session=other_class)

    text = portal_as(client, registration)

    assert "Week 4: Procurement" in text
    assert SHARE_URL not in text and "Rec!2030" not in text


@pytest.mark.django_db
def test_a_student_of_another_org_never_sees_it_even_in_the_same_portal(client, shared_class, other_organization):
    recording_of(shared_class)
    student = UserFactory(email="both@example.com", password=None)
    other_class = past_class(CourseFactory(organization=other_organization), title="Other org's class")
    connect(other_organization, zoom_user_id="otherHost", zoom_account_id="otherAccount")
    other_meeting = class_meeting(other_class, zoom_meeting_id=11122233344)
    recording_of(
        other_meeting, file_id="other-video", share_url="https://us05web.zoom.us/rec/share/OtherOrgs", passcode="Other"
    )
    RegistrationFactory(class_session=other_class, student=student, email=student.email)
    RegistrationFactory(
        class_session=shared_class.class_session,
        student=student,
        email=student.email,
        status=RegistrationStatus.CANCELLED,
    )

    client.force_login(student)
    text = page_text(client.get("/portal/"))

    assert "https://us05web.zoom.us/rec/share/OtherOrgs" in text
    assert SHARE_URL not in text and "Rec!2030" not in text


@pytest.mark.django_db
def test_the_provider_gives_nothing_for_registrations_of_someone_else(rf, shared_class):
    from zoom_integration.feature_sections import recordings_portal_sections

    recording_of(shared_class)
    registration = RegistrationFactory(class_session=shared_class.class_session)
    request = rf.get("/portal/")
    request.user = UserFactory(email="intruder@example.com", password=None)

    assert recordings_portal_sections(request=request, registrations=[registration]) == {}
    request.user = registration.student
    assert list(recordings_portal_sections(request=request, registrations=[registration])) == [registration.pk]


def _class_starting_in(course, minutes):
    return ClassSessionFactory(course=course, starts_at=timezone.now() + timedelta(minutes=minutes), title="Live class")


@pytest.mark.django_db
@pytest.mark.parametrize(("minutes", "active"), [(120, False), (16, False), (14, True), (-5, True)])
def test_join_button_is_active_from_15_minutes_before_the_start(client, course, organization, minutes, active):
    connect(organization)
    class_session = _class_starting_in(course, minutes)
    meeting = class_meeting(class_session, zoom_meeting_id=85746065432)
    registration = RegistrationFactory(class_session=class_session)

    text = portal_as(client, registration)

    assert (f'<a class="btn btn-primary" href="{meeting.join_url}"' in text) is active
    assert ('<a class="btn btn-primary disabled" role="link" aria-disabled="true">Join</a>' in text) is not active
    assert ("The Join button opens 15 minutes before the start" in text) is not active
    # The meeting ID and passcode are the fallback, shown to the signed-in student either way.
    assert "Meeting ID 857 4606 5432 · Passcode Ab12Cd34" in text.replace("<strong>", "").replace("</strong>", "")


@pytest.mark.django_db
def test_the_public_registration_page_never_shows_the_meeting_id_or_passcode(client, course, organization):
    connect(organization)
    class_session = _class_starting_in(course, 10)
    class_meeting(class_session, zoom_meeting_id=85746065432)

    text = page_text(client.get(f"/register/{class_session.public_token}/"))

    assert "857 4606 5432" not in text and "Ab12Cd34" not in text
