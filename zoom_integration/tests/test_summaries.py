"""AI Companion summaries (guide: "View and delete the AI meeting summary"), Zoom faked with `responses`."""

import copy
import html
import re

import pytest
import responses

from tests.factories import ClassSessionFactory, CourseFactory, MembershipFactory
from zoom_integration.content import summaries
from zoom_integration.models import WebhookEvent, ZoomSummary

from .conftest import API, calls_to, fixture_json
from .feature_helpers import MEETING_ID, MEETING_UUID, class_meeting, connect, past_class, post_webhook
from .openapi import assert_matches_zoom_openapi

SINGLE_ENCODED = "aDYlohsHRtCd4ii1uC2%2BhA%3D%3D"
SUMMARY_BY_UUID = f"{API}/meetings/{SINGLE_ENCODED}/meeting_summary"
SUMMARY_BY_ID = f"{API}/meetings/{MEETING_ID}/meeting_summary"
TROUBLESHOOTING = (
    "Both depend on Zoom features being enabled on your Zoom account: AI Companion for summaries, Cloud Recording "
    "for recordings. They also take time to process after the meeting ends. Refresh the page after a few minutes."
)


def summary_document(**overrides):
    """GET /meetings/{uuid}/meeting_summary as documented: the event's object carries the same fields."""
    body = copy.deepcopy(fixture_json("meeting.summary_completed.json")["payload"]["object"])
    body.update(overrides)
    return body


def page_text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def past_meeting(course, organization):
    connect(organization)
    return class_meeting(past_class(course))


def manage_url(meeting):
    return f"/courses/classes/{meeting.class_session_id}/zoom/"


def quiet_other_sections(zoom):
    zoom.add(responses.GET, f"{API}/meetings/{MEETING_ID}/polls", json={"total_records": 0, "polls": []})
    no_recording = {"code": 3301, "message": "There is no recording for this meeting."}
    zoom.add(responses.GET, f"{API}/meetings/{MEETING_ID}/recordings", status=404, json=no_recording)


@pytest.mark.django_db
def test_summary_completed_webhook_fetches_the_summary_by_its_uuid_and_the_page_shows_it(
    client_factory, owner_client, past_meeting, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.GET, SUMMARY_BY_UUID, json=summary_document())

    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client_factory(), fixture_json("meeting.summary_completed.json")).status_code == 200

    assert WebhookEvent.objects.get().state == "processed"
    [call] = calls_to(zoom, SUMMARY_BY_UUID)
    assert call.request.method == "GET"
    assert call.request.path_url == f"/v2/meetings/{SINGLE_ENCODED}/meeting_summary"
    assert_matches_zoom_openapi(call.request)
    summary = ZoomSummary.objects.get()
    assert (summary.meeting, summary.meeting_uuid, summary.organization) == (
        past_meeting,
        MEETING_UUID,
        past_meeting.organization,
    )
    assert summary.summary_created_at.isoformat() == "2019-07-15T23:24:52+00:00"

    quiet_other_sections(zoom)
    text = page_text(owner_client.get(manage_url(past_meeting)))
    assert "Meeting Summary for my meeting" in text
    assert 'id="summary"' not in text.split("zoom-summary")[1]  # ids are stripped by the sanitizer
    # Zoom's sections under the user guide's words: "the summary, key points, and next steps".
    headings = re.findall(r"<h4>([^<]+)</h4>", text)
    assert headings == ["Summary", "Key points", "Challenges", "Next steps"]
    for zoom_heading in ("Key takeaways", "Discussed topics", "Action items"):
        assert zoom_heading not in text
    assert "<strong>Details</strong>" in text
    assert "Made by Zoom AI Companion on" in text and "2019" in text
    assert "Delete on Zoom" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("meeting_uuid", "encoded"),
    [
        ("/ajXp112QmuoKj4854875==", "%252FajXp112QmuoKj4854875%253D%253D"),
        ("Aa//Bb+Cc==", "Aa%252F%252FBb%252BCc%253D%253D"),
        ("Aa/Bb+Cc==", "Aa%2FBb%2BCc%3D%3D"),
    ],
)
def test_summary_get_and_delete_encode_the_uuid_as_zoom_requires(past_meeting, zoom, meeting_uuid, encoded):
    url = f"{API}/meetings/{encoded}/meeting_summary"
    zoom.add(responses.GET, url, json=summary_document(meeting_uuid=meeting_uuid))
    zoom.add(responses.DELETE, url, status=204)

    summary = summaries.summary_fetch(meeting=past_meeting, meeting_id_or_uuid=meeting_uuid)
    summaries.summary_delete(summary=summary)

    assert [(call.request.method, call.request.path_url) for call in zoom.calls] == [
        ("GET", f"/v2/meetings/{encoded}/meeting_summary"),
        ("DELETE", f"/v2/meetings/{encoded}/meeting_summary"),
    ]
    assert_copy_wiped(ZoomSummary.objects.get())


@pytest.mark.django_db
def test_opening_the_page_with_no_summary_yet_asks_zoom_for_the_latest_one(trainer_client, past_meeting, zoom):
    quiet_other_sections(zoom)
    zoom.add(responses.GET, SUMMARY_BY_ID, json=summary_document())

    text = page_text(trainer_client.get(manage_url(past_meeting)))

    [call] = calls_to(zoom, SUMMARY_BY_ID)
    assert call.request.method == "GET"
    assert "Meeting Summary for my meeting" in text
    assert ZoomSummary.objects.get().meeting_uuid == MEETING_UUID
    # A trainer reads it; deleting is for owners.
    assert "Delete on Zoom" not in text


@pytest.mark.django_db
def test_a_class_not_started_yet_does_not_ask_zoom(trainer_client, class_session, organization, zoom):
    connect(organization)
    meeting = class_meeting(class_session)
    zoom.add(responses.GET, f"{API}/meetings/{MEETING_ID}/polls", json={"total_records": 0, "polls": []})

    text = page_text(trainer_client.get(manage_url(meeting)))

    assert [call.request.path_url for call in zoom.calls] == [f"/v2/meetings/{MEETING_ID}/polls"]
    assert "The summary appears here after the class" in text


ERRORS = [
    (
        404,
        {"code": 3001, "message": "Meeting does not exist: 97763643886."},
        "No AI summary yet: Zoom makes it after the meeting ends",
    ),
    (
        403,
        {"code": 2305, "message": "The meeting summary has been moved to Trash and cannot be accessed."},
        "Zoom does not let CohortStudio read this AI summary: your Zoom account restricts AI Companion summaries",
    ),
    (
        403,
        {"code": 2314, "message": "Not allowed to manage the AI Companion summary."},
        "Zoom does not allow AI Companion summaries for this account: turn on “Meeting Summary with AI Companion”",
    ),
    (
        400,
        {"code": 200, "message": "Only available for Paid account: q6gBJVO5TzexKYTb_I2rpg"},
        "AI Companion summaries need a paid Zoom plan (Pro or higher)",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "body", "message"), ERRORS)
def test_each_reason_for_no_summary_has_its_own_message_on_the_page(
    trainer_client, past_meeting, zoom, status, body, message
):
    quiet_other_sections(zoom)
    zoom.add(responses.GET, SUMMARY_BY_ID, status=status, json=body)

    text = page_text(trainer_client.get(manage_url(past_meeting)))

    assert message in text
    assert TROUBLESHOOTING in text
    assert not ZoomSummary.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "body", "message"), ERRORS)
def test_refresh_button_gives_the_same_messages(trainer_client, past_meeting, zoom, status, body, message):
    zoom.add(responses.GET, SUMMARY_BY_ID, status=status, json=body)

    response = trainer_client.post(f"{manage_url(past_meeting)}summary/refresh/")

    assert response.status_code == 302 and response["Location"].endswith("/zoom/#summary")
    stored = [str(message) for message in response.wsgi_request._messages]
    assert len(stored) == 1 and message in stored[0]


@pytest.mark.django_db
def test_without_the_summary_scopes_the_section_says_which_permission_is_missing(
    trainer_client, course, organization, zoom
):
    connect(
        organization,
        scopes="user:read:user meeting:read:meeting meeting:read:list_polls meeting:write:poll meeting:delete:poll",
    )
    meeting = class_meeting(past_class(course))
    zoom.add(responses.GET, f"{API}/meetings/{MEETING_ID}/polls", json={"total_records": 0, "polls": []})

    text = page_text(trainer_client.get(manage_url(meeting)))

    assert "Zoom did not grant CohortStudio the permission meeting:delete:summary, meeting:read:summary." in text
    assert not calls_to(zoom, SUMMARY_BY_ID)


@pytest.mark.django_db
def test_refresh_drops_a_summary_zoom_no_longer_has_and_keeps_the_latest(trainer_client, past_meeting, zoom):
    ZoomSummary.objects.create(
        organization=past_meeting.organization,
        meeting=past_meeting,
        meeting_uuid="OldInstance==",
        fetched_at="2026-01-01T00:00Z",
    )
    zoom.add(
        responses.GET,
        f"{API}/meetings/OldInstance%3D%3D/meeting_summary",
        status=404,
        json={"code": 3001, "message": "Meeting does not exist."},
    )
    zoom.add(responses.GET, SUMMARY_BY_ID, json=summary_document())

    trainer_client.post(f"{manage_url(past_meeting)}summary/refresh/")

    assert list(ZoomSummary.objects.values_list("meeting_uuid", flat=True)) == [MEETING_UUID]


def assert_copy_wiped(summary):
    assert summary.deleted_at is not None
    assert (summary.title, summary.content, summary.overview, summary.details, summary.next_steps, summary.doc_url) == (
        "",
        "",
        "",
        [],
        [],
        "",
    )


@pytest.fixture
def stored_summary(past_meeting):
    return summaries.summary_store(meeting=past_meeting, body=summary_document())


@pytest.mark.django_db
def test_owner_confirms_then_the_summary_is_deleted_on_zoom_and_here(owner_client, stored_summary, zoom):
    zoom.add(responses.DELETE, SUMMARY_BY_UUID, status=204)
    delete_url = f"{manage_url(stored_summary.meeting)}summary/{stored_summary.pk}/delete/"

    confirm = owner_client.get(delete_url)
    assert confirm.status_code == 200
    assert "Delete this AI summary on Zoom?" in page_text(confirm)
    assert not zoom.calls

    response = owner_client.post(delete_url)

    assert response.status_code == 302
    [call] = zoom.calls
    assert (call.request.method, call.request.path_url) == ("DELETE", f"/v2/meetings/{SINGLE_ENCODED}/meeting_summary")
    assert_matches_zoom_openapi(call.request)
    assert_copy_wiped(ZoomSummary.objects.get())
    assert "deleted from your Zoom account and from CohortStudio" in str(list(response.wsgi_request._messages)[0])

    # Zoom keeps the deleted summary in its Trash: the page neither fetches it back nor calls that a problem.
    quiet_other_sections(zoom)
    text = page_text(owner_client.get(manage_url(stored_summary.meeting)))
    assert "The AI summary was deleted from your Zoom account on" in text
    assert "Meeting Summary for my meeting" not in text
    assert not calls_to(zoom, SUMMARY_BY_ID)
    assert owner_client.get(delete_url).status_code == 404
    zoom.add(
        responses.GET,
        SUMMARY_BY_ID,
        status=403,
        json={"code": 2305, "message": "The meeting summary has been moved to Trash."},
    )
    refreshed = owner_client.post(f"{manage_url(stored_summary.meeting)}summary/refresh/")
    assert "The AI summary is up to date with Zoom." in str(list(refreshed.wsgi_request._messages)[0])
    assert_copy_wiped(ZoomSummary.objects.get())


@pytest.mark.django_db
def test_a_trainer_cannot_delete_the_summary(trainer_client, stored_summary, zoom):
    response = trainer_client.post(f"{manage_url(stored_summary.meeting)}summary/{stored_summary.pk}/delete/")
    assert response.status_code == 403
    assert not zoom.calls
    assert ZoomSummary.objects.exists()


@pytest.mark.django_db
def test_zoom_failing_to_delete_keeps_our_copy_and_says_so(owner_client, stored_summary, zoom):
    zoom.add(
        responses.DELETE,
        SUMMARY_BY_UUID,
        status=400,
        json={"code": 2313, "message": "Failed to delete meeting summary."},
    )

    response = owner_client.post(f"{manage_url(stored_summary.meeting)}summary/{stored_summary.pk}/delete/")

    assert "Zoom could not delete the summary just now. Our copy is kept" in str(
        list(response.wsgi_request._messages)[0]
    )
    assert ZoomSummary.objects.exists()


@pytest.mark.django_db
def test_a_summary_zoom_already_lost_is_removed_here_too(owner_client, stored_summary, zoom):
    zoom.add(responses.DELETE, SUMMARY_BY_UUID, status=404, json={"code": 3001, "message": "Meeting does not exist."})
    owner_client.post(f"{manage_url(stored_summary.meeting)}summary/{stored_summary.pk}/delete/")
    assert_copy_wiped(ZoomSummary.objects.get())


@pytest.mark.django_db
def test_another_organizations_summary_gives_404(owner_client, other_organization, zoom):
    other_class = past_class(CourseFactory(organization=other_organization))
    connect(other_organization, zoom_user_id="otherHost", zoom_account_id="otherAccount")
    summary = summaries.summary_store(meeting=class_meeting(other_class), body=summary_document())

    assert owner_client.get(f"/courses/classes/{other_class.pk}/zoom/summary/{summary.pk}/delete/").status_code == 404
    assert owner_client.post(f"/courses/classes/{other_class.pk}/zoom/summary/{summary.pk}/delete/").status_code == 404
    assert owner_client.post(f"/courses/classes/{other_class.pk}/zoom/summary/refresh/").status_code == 404
    assert ZoomSummary.objects.filter(pk=summary.pk).exists()
    assert not zoom.calls


@pytest.mark.django_db
def test_a_summary_of_one_class_cannot_be_deleted_through_another_class(owner_client, stored_summary, course, zoom):
    own_other_class = ClassSessionFactory(course=course)
    class_meeting(own_other_class, zoom_meeting_id=MEETING_ID + 1)
    response = owner_client.post(f"/courses/classes/{own_other_class.pk}/zoom/summary/{stored_summary.pk}/delete/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_summary_event_zoom_refuses_to_serve_is_ignored_with_the_reason(
    client_factory, past_meeting, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.GET, SUMMARY_BY_UUID, status=403, json={"code": 2314, "message": "Not allowed."})

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client_factory(), fixture_json("meeting.summary_completed.json"))

    event = WebhookEvent.objects.get()
    assert event.state == "ignored"
    assert "Zoom does not allow AI Companion summaries for this account" in event.error
    assert not ZoomSummary.objects.exists()


@pytest.mark.django_db
def test_summary_event_of_a_meeting_that_is_no_class_is_ignored(
    client_factory, organization, zoom, django_capture_on_commit_callbacks
):
    connect(organization)
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client_factory(), fixture_json("meeting.summary_completed.json"))
    assert WebhookEvent.objects.get().state == "ignored"
    assert not zoom.calls


def _rendered(content, **fields):
    return summaries.summary_html(summary=ZoomSummary(content=content, **fields))


def test_markdown_is_rendered_and_sanitized():
    rendered = _rendered(
        "## Notes\n"
        "<script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(1)">\n\n'
        "[click](javascript:alert(1)) and [docs](https://docs.example.com)\n\n"
        '<a href="https://evil.example.com" onclick="steal()">styled</a>\n'
    )
    assert "<h4>Notes</h4>" in rendered
    assert "<script" not in rendered and "onerror" not in rendered and "<img" not in rendered
    assert "javascript:" not in rendered and "onclick" not in rendered
    assert '<a href="https://docs.example.com" rel="noopener noreferrer nofollow">docs</a>' in rendered


def test_zoom_two_space_nested_lists_stay_nested():
    rendered = _rendered("- **Sarah**\n  - Prepare the plan\n  - Schedule a follow-up\n")
    assert rendered.replace("\n", "") == (
        "<ul><li><strong>Sarah</strong><ul><li>Prepare the plan</li><li>Schedule a follow-up</li></ul></li></ul>"
    )


@pytest.mark.django_db
def test_without_summary_content_the_older_overview_key_points_and_next_steps_show(trainer_client, past_meeting, zoom):
    quiet_other_sections(zoom)
    zoom.add(
        responses.GET,
        SUMMARY_BY_ID,
        json=summary_document(
            summary_content="",
            summary_overview="We reviewed risk registers.",
            summary_details=[{"label": "Risk", "summary": "Qualitative analysis first."}],
            next_steps=["Read chapter 11."],
        ),
    )

    text = page_text(trainer_client.get(manage_url(past_meeting)))

    assert '<h4 class="h6">Summary</h4><p>We reviewed risk registers.</p>' in text
    assert "Key points" in text and "<strong>Risk</strong>: Qualitative analysis first." in text
    assert "Next steps" in text and "Read chapter 11." in text


def test_an_edited_summary_wins_over_the_original():
    values = summaries._summary_values(
        summary_document(
            summary_overview="Original",
            edited_summary={"summary_overview": "Edited by the host", "next_steps": ["Edited step"]},
        )
    )
    assert values["overview"] == "Edited by the host"
    assert values["next_steps"] == ["Edited step"]


@pytest.mark.django_db
def test_a_second_member_of_the_same_org_sees_the_delete_only_as_owner(client, stored_summary, zoom):
    second_owner = MembershipFactory(organization=stored_summary.organization, role="owner").user
    client.force_login(second_owner)
    quiet_other_sections(zoom)
    assert "Delete on Zoom" in page_text(client.get(manage_url(stored_summary.meeting)))


@pytest.mark.django_db
def test_a_new_summary_event_for_an_instance_deleted_here_brings_it_back(
    client_factory, stored_summary, zoom, django_capture_on_commit_callbacks
):
    zoom.add(responses.DELETE, SUMMARY_BY_UUID, status=204)
    summaries.summary_delete(summary=stored_summary)
    zoom.add(responses.GET, SUMMARY_BY_UUID, json=summary_document())

    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client_factory(), fixture_json("meeting.summary_completed.json"))

    summary = ZoomSummary.objects.get()
    assert summary.deleted_at is None and summary.title == "Meeting Summary for my meeting"
