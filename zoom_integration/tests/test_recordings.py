"""Cloud recordings (guide: "Share cloud recordings with students"), Zoom faked with `responses`."""

import copy
import html

import pytest
import responses

from tests.factories import ClassSessionFactory, CourseFactory
from zoom_integration.content import recordings
from zoom_integration.models import WebhookEvent, ZoomRecordingFile

from .conftest import API, calls_to, fixture_json
from .feature_helpers import (
    RECORDING_ACCOUNT_ID,
    RECORDING_HOST_ID,
    RECORDING_MEETING_ID,
    RECORDING_UUID,
    class_meeting,
    connect,
    past_class,
    post_webhook,
)
from .openapi import assert_matches_zoom_openapi

RECORDINGS_BY_ID = f"{API}/meetings/{RECORDING_MEETING_ID}/recordings"
RECORDINGS_BY_UUID = f"{API}/meetings/4444AAAiAAAAAiAiAiiAii%3D%3D/recordings"
NO_RECORDING = {"code": 3301, "message": "There is no recording for this meeting."}
MP4_ID = "388ffb46-1541-460d-8447-4624451a1db7"
M4A_ID = "ed6c2f27-2ae7-42f4-b3d0-835b493e4fa8"
UNSHARE_LIMIT = (
    "Unshare hides the recording in CohortStudio at once, but it cannot revoke a link someone already copied"
)


def recording_document():
    """GET /meetings/{id}/recordings as documented (API-FACTS 7.1): the completed event's object, less the event-only fields."""
    body = copy.deepcopy(fixture_json("recording.completed.json")["payload"]["object"])
    for event_only in ("on_prem", "host_email", "participant_audio_files"):
        body.pop(event_only)
    return body


def page_text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def past_meeting(course, organization):
    connect(organization, zoom_user_id=RECORDING_HOST_ID, zoom_account_id=RECORDING_ACCOUNT_ID)
    return class_meeting(past_class(course), zoom_meeting_id=RECORDING_MEETING_ID)


def manage_url(meeting):
    return f"/courses/classes/{meeting.class_session_id}/zoom/"


def quiet_other_sections(zoom):
    zoom.add(responses.GET, f"{API}/meetings/{RECORDING_MEETING_ID}/polls", json={"total_records": 0, "polls": []})
    zoom.add(
        responses.GET,
        f"{API}/meetings/{RECORDING_MEETING_ID}/meeting_summary",
        status=404,
        json={"code": 3001, "message": "Meeting does not exist."},
    )


def deliver(client, name, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, fixture_json(name)).status_code == 200


@pytest.mark.django_db
def test_recording_completed_webhook_keeps_only_references_and_the_page_lists_each_file(
    client_factory, trainer_client, past_meeting, zoom, django_capture_on_commit_callbacks
):
    deliver(client_factory(), "recording.completed.json", django_capture_on_commit_callbacks)

    assert WebhookEvent.objects.get().state == "processed"
    assert not zoom.calls
    files = {recording_file.file_id: recording_file for recording_file in ZoomRecordingFile.objects.all()}
    assert set(files) == {MP4_ID, M4A_ID}
    video = files[MP4_ID]
    assert (video.meeting, video.meeting_uuid, video.organization) == (
        past_meeting,
        RECORDING_UUID,
        past_meeting.organization,
    )
    assert (video.file_type, video.recording_type, video.file_size, video.status) == (
        "MP4",
        "shared_screen_with_speaker_view",
        282825,
        "completed",
    )
    assert video.recording_start.isoformat() == "2021-03-23T22:14:57+00:00"
    assert video.play_url == "https://example.com/recording/play/Qg75t7xZBtEbAkjdlgbfdngCCCC"
    assert video.share_url == "https://example.com"
    assert video.passcode() == "132456" and "132456" not in video.passcode_encrypted
    stored = str(list(ZoomRecordingFile.objects.values()))
    assert "download" not in stored and "abJhbGciOiJIUzUxMiJ9" not in stored
    assert not video.shared

    quiet_other_sections(zoom)
    text = page_text(trainer_client.get(manage_url(past_meeting)))
    assert "Video: shared screen with speaker" in text and "Audio only" in text
    assert "276.2\xa0KB" in text and "240.8\xa0KB" in text and "Completed" in text
    assert 'href="https://example.com/recording/play/Qg75t7xZBtEbAkjdlgbfdngCCCC"' in text
    assert text.count("Open on Zoom") == 2 and text.count("Share with class") >= 2
    assert UNSHARE_LIMIT in text
    assert not calls_to(zoom, RECORDINGS_BY_ID)


@pytest.mark.django_db
def test_opening_the_page_with_no_recording_yet_asks_zoom_for_the_latest_one(trainer_client, past_meeting, zoom):
    quiet_other_sections(zoom)
    zoom.add(responses.GET, RECORDINGS_BY_ID, json=recording_document())

    text = page_text(trainer_client.get(manage_url(past_meeting)))

    [call] = calls_to(zoom, RECORDINGS_BY_ID)
    assert (call.request.method, call.request.path_url) == ("GET", f"/v2/meetings/{RECORDING_MEETING_ID}/recordings")
    assert_matches_zoom_openapi(call.request)
    assert ZoomRecordingFile.objects.count() == 2
    assert "Video: shared screen with speaker" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, NO_RECORDING, "No cloud recording yet: Zoom processes it after the meeting ends"),
        (
            400,
            {"code": 1010, "message": "User does not belong to this account."},
            "Zoom refused to list the recordings: User does not belong to this account.",
        ),
        (
            401,
            {
                "code": 4700,
                "message": "Invalid access token, does not contain scopes:[cloud_recording:read:list_recording_files].",
            },
            "Zoom did not grant CohortStudio the permission cloud_recording:read:list_recording_files.",
        ),
        (503, {"code": 503, "message": "Service unavailable."}, "Zoom is not responding right now."),
    ],
)
def test_each_reason_for_no_recording_has_its_own_message(trainer_client, past_meeting, zoom, status, body, message):
    quiet_other_sections(zoom)
    zoom.add(responses.GET, RECORDINGS_BY_ID, status=status, json=body)

    text = page_text(trainer_client.get(manage_url(past_meeting)))

    assert message in text
    assert not ZoomRecordingFile.objects.exists()
    refreshed = trainer_client.post(f"{manage_url(past_meeting)}recordings/refresh/")
    assert message in str(list(refreshed.wsgi_request._messages)[0])


@pytest.mark.django_db
def test_the_not_ready_message_carries_the_guides_troubleshooting_text(trainer_client, past_meeting, zoom):
    quiet_other_sections(zoom)
    zoom.add(responses.GET, RECORDINGS_BY_ID, status=404, json=NO_RECORDING)
    text = page_text(trainer_client.get(manage_url(past_meeting)))
    assert (
        "Both depend on Zoom features being enabled on your Zoom account: AI Companion for summaries, Cloud Recording "
        "for recordings. They also take time to process after the meeting ends. Refresh the page after a few minutes."
    ) in text


@pytest.fixture
def stored_files(past_meeting):
    return recordings.recordings_store(meeting=past_meeting, recording=recording_document())


def file_of(file_id):
    return ZoomRecordingFile.objects.get(file_id=file_id)


@pytest.mark.django_db
def test_refresh_rereads_each_known_instance_by_uuid_and_3301_makes_its_files_disappear(
    trainer_client, past_meeting, stored_files, zoom
):
    ZoomRecordingFile.objects.filter(file_id=MP4_ID).update(shared=True)
    zoom.add(responses.GET, RECORDINGS_BY_UUID, status=404, json=NO_RECORDING)
    zoom.add(responses.GET, RECORDINGS_BY_ID, status=404, json=NO_RECORDING)

    response = trainer_client.post(f"{manage_url(past_meeting)}recordings/refresh/")

    assert [(call.request.method, call.request.path_url) for call in zoom.calls] == [
        ("GET", "/v2/meetings/4444AAAiAAAAAiAiAiiAii%3D%3D/recordings"),
        ("GET", f"/v2/meetings/{RECORDING_MEETING_ID}/recordings"),
    ]
    assert "No cloud recording yet" in str(list(response.wsgi_request._messages)[0])
    assert set(ZoomRecordingFile.objects.values_list("deleted_on_zoom", "shared")) == {(True, False)}
    quiet_other_sections(zoom)
    zoom.add(responses.GET, RECORDINGS_BY_ID, status=404, json=NO_RECORDING)
    assert "Video: shared screen with speaker" not in page_text(trainer_client.get(manage_url(past_meeting)))


@pytest.mark.django_db
def test_refresh_flags_a_single_file_zoom_no_longer_lists(trainer_client, past_meeting, stored_files, zoom):
    only_video = recording_document()
    only_video["recording_files"] = [item for item in only_video["recording_files"] if item["id"] == MP4_ID]
    zoom.add(responses.GET, RECORDINGS_BY_UUID, json=only_video)
    zoom.add(responses.GET, RECORDINGS_BY_ID, json=only_video)

    response = trainer_client.post(f"{manage_url(past_meeting)}recordings/refresh/")

    assert "Recordings are up to date with Zoom: 1 file." in str(list(response.wsgi_request._messages)[0])
    assert file_of(M4A_ID).deleted_on_zoom and not file_of(MP4_ID).deleted_on_zoom


@pytest.mark.django_db
@pytest.mark.parametrize("event", ["recording.trashed.json", "recording.deleted.json"])
def test_files_trashed_or_deleted_on_zoom_disappear_and_lose_their_sharing(
    client_factory, past_meeting, stored_files, event, django_capture_on_commit_callbacks
):
    ZoomRecordingFile.objects.update(shared=True)

    deliver(client_factory(), event, django_capture_on_commit_callbacks)

    assert WebhookEvent.objects.get().state == "processed"
    assert set(ZoomRecordingFile.objects.values_list("deleted_on_zoom", "shared")) == {(True, False)}
    assert recordings.recordings_of_meeting(meeting=past_meeting) == []


@pytest.mark.django_db
def test_recovered_files_come_back_unshared(
    client_factory, past_meeting, stored_files, django_capture_on_commit_callbacks
):
    ZoomRecordingFile.objects.update(shared=True)
    deliver(client_factory(), "recording.trashed.json", django_capture_on_commit_callbacks)
    deliver(client_factory(), "recording.recovered.json", django_capture_on_commit_callbacks)

    assert set(ZoomRecordingFile.objects.values_list("deleted_on_zoom", "shared")) == {(False, False)}


@pytest.mark.django_db
def test_share_and_unshare(trainer_client, trainer, past_meeting, stored_files, zoom):
    video = file_of(MP4_ID)
    share_url = f"{manage_url(past_meeting)}recordings/{video.pk}/share/"

    response = trainer_client.post(share_url)

    assert response.status_code == 302 and response["Location"].endswith("/zoom/#recordings")
    video.refresh_from_db()
    assert video.shared and video.shared_by == trainer and video.shared_at is not None
    assert not file_of(M4A_ID).shared

    response = trainer_client.post(f"{manage_url(past_meeting)}recordings/{video.pk}/unshare/")

    video.refresh_from_db()
    assert not video.shared and video.shared_by is None
    assert UNSHARE_LIMIT in str(list(response.wsgi_request._messages)[-1])
    assert not zoom.calls


@pytest.mark.django_db
def test_a_file_deleted_on_zoom_cannot_be_shared(trainer_client, past_meeting, stored_files):
    ZoomRecordingFile.objects.update(deleted_on_zoom=True)
    video = file_of(MP4_ID)
    assert trainer_client.post(f"{manage_url(past_meeting)}recordings/{video.pk}/share/").status_code == 404
    assert not file_of(MP4_ID).shared


@pytest.mark.django_db
def test_another_organizations_recording_gives_404(owner_client, other_organization):
    other_class = past_class(CourseFactory(organization=other_organization))
    connect(other_organization, zoom_user_id="otherHost", zoom_account_id="otherAccount")
    other_meeting = class_meeting(other_class, zoom_meeting_id=RECORDING_MEETING_ID)
    [video, _] = sorted(
        recordings.recordings_store(meeting=other_meeting, recording=recording_document()),
        key=lambda f: f.file_type != "MP4",
    )

    for action in ("share", "unshare"):
        assert (
            owner_client.post(f"/courses/classes/{other_class.pk}/zoom/recordings/{video.pk}/{action}/").status_code
            == 404
        )
    assert owner_client.post(f"/courses/classes/{other_class.pk}/zoom/recordings/refresh/").status_code == 404
    assert not ZoomRecordingFile.objects.filter(shared=True).exists()


@pytest.mark.django_db
def test_a_recording_of_one_class_cannot_be_shared_through_another_class(
    owner_client, course, past_meeting, stored_files
):
    own_other_class = ClassSessionFactory(course=course)
    class_meeting(own_other_class, zoom_meeting_id=RECORDING_MEETING_ID + 1)
    video = file_of(MP4_ID)
    assert (
        owner_client.post(f"/courses/classes/{own_other_class.pk}/zoom/recordings/{video.pk}/share/").status_code == 404
    )
    assert not file_of(MP4_ID).shared


@pytest.mark.django_db
def test_files_without_a_zoom_id_are_kept_under_a_stand_in(past_meeting):
    document = recording_document()
    document["recording_files"].append(
        {
            "meeting_id": "098765ABCD",
            "recording_start": "2021-03-23T22:14:57Z",
            "recording_end": "2021-03-23T23:15:41Z",
            "file_type": "TIMELINE",
            "file_extension": "JSON",
            "download_url": "https://example.com/recording/download/timeline",
        }
    )
    recordings.recordings_store(meeting=past_meeting, recording=document)
    recordings.recordings_store(meeting=past_meeting, recording=document)

    timeline = ZoomRecordingFile.objects.get(file_type="TIMELINE")
    assert timeline.file_id == "TIMELINE@2021-03-23T22:14:57Z"
    assert timeline.file_size is None and timeline.play_url == ""
    assert recordings.recording_kind(recording_type=timeline.recording_type, file_type=timeline.file_type) == "Timeline"
    assert ZoomRecordingFile.objects.count() == 3
