"""Several Zoom hosts: the organization's connection and each trainer's own, their meetings and their webhooks."""

import copy
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from django.core import mail
from django.utils import timezone

from attendance.models import Participant
from courses import services as course_services
from tests.factories import ClassSessionFactory, MembershipFactory, OrganizationFactory
from zoom_integration.connection import selectors
from zoom_integration.models import ZoomConnection, ZoomMeeting
from zoom_integration.scheduling import meetings

from .conftest import ALL_SCOPES, API, fixture_json
from .factories import ZoomConnectionFactory
from .openapi import assert_matches_zoom_openapi
from .test_connect import CALLBACK, add_token_exchange, add_users_me
from .test_meetings import MEETING_ID, _registered_on_zoom, meeting_url, ready_meeting, zoom_meeting_body
from .zoom_events import RUN_1, ZoomEvents, at, class_with_meeting, deliver  # noqa: F401  (fixture)

COMPANY_ACCOUNT = "CompanyZoomAccount01"


def trainer_of(organization, email):
    return MembershipFactory(organization=organization, role="trainer", user__email=email).user


def own_zoom(organization, trainer, **values):
    return ZoomConnectionFactory(
        organization=organization,
        user=trainer,
        zoom_account_id=COMPANY_ACCOUNT,
        zoom_email=f"zoom.{trainer.email}",
        scopes=ALL_SCOPES.split(),
        **values,
    )


def hosted_class(connection, *, zoom_meeting_id):
    _, class_session, meeting = class_with_meeting(
        organization=connection.organization,
        connection=connection,
        zoom_meeting_id=zoom_meeting_id,
        trainer=connection.user,
    )
    ZoomMeeting.objects.filter(pk=meeting.pk).update(connection=connection)
    meeting.refresh_from_db()
    return class_session, meeting


# Who hosts a class -----------------------------------------------------------


def test_a_class_is_hosted_by_its_trainers_own_zoom_else_the_organizations(organization):
    organizations = ZoomConnectionFactory(organization=organization)
    with_zoom = trainer_of(organization, "ana@example.com")
    without_zoom = trainer_of(organization, "ben@example.com")
    lapsed = trainer_of(organization, "cy@example.com")
    anas = own_zoom(organization, with_zoom)
    own_zoom(organization, lapsed, status="reconnect_needed")

    def host(trainer):
        return selectors.connection_for_class(
            class_session=ClassSessionFactory(course__organization=organization, trainer=trainer)
        )

    assert host(with_zoom) == anas
    assert host(without_zoom) == organizations
    assert host(lapsed) == organizations
    assert host(None) == organizations


def test_one_organizations_connection_and_one_per_trainer(organization):
    ana = trainer_of(organization, "ana@example.com")
    ZoomConnectionFactory(organization=organization)
    own_zoom(organization, ana)
    with pytest.raises(Exception):  # noqa: B017, PT011  (an IntegrityError inside the test's transaction)
        ZoomConnectionFactory(organization=organization)


def test_a_trainers_class_meeting_is_made_on_their_own_zoom_and_remembers_it(organization, zoom):
    ZoomConnectionFactory(organization=organization, scopes=ALL_SCOPES.split(), access_token="zat-organization")
    ana = trainer_of(organization, "ana@example.com")
    anas = own_zoom(organization, ana, access_token="zat-ana-own")
    class_session = ClassSessionFactory(
        course__organization=organization, trainer=ana, starts_at=timezone.now() + timedelta(days=3)
    )
    zoom.post(
        f"{API}/users/me/meetings",
        status=201,
        json=zoom_meeting_body(host_email=anas.zoom_email),
        match=[responses.matchers.header_matcher({"Authorization": "Bearer zat-ana-own"})],
    )

    meeting = meetings.meeting_mark_creating(class_session=class_session)
    meetings.meeting_create(meeting_pk=meeting.pk)

    meeting.refresh_from_db()
    assert meeting.status == "ready" and meeting.connection == anas
    assert_matches_zoom_openapi(zoom.calls[0].request)
    zoom.get(
        f"{API}/meetings/{meeting.zoom_meeting_id}",
        json=zoom_meeting_body(),
        match=[responses.matchers.header_matcher({"Authorization": "Bearer zat-ana-own"})],
    )
    assert meetings.meeting_start_url(meeting=meeting).startswith("https://us05web.zoom.us/s/")


def test_the_class_page_names_the_host_and_start_meeting_is_for_the_host_and_owners(client, organization):
    owner = MembershipFactory(organization=organization, role="owner").user
    ana = trainer_of(organization, "ana@example.com")
    ben = trainer_of(organization, "ben@example.com")
    class_session, _ = hosted_class(own_zoom(organization, ana), zoom_meeting_id=84500000001)
    url = f"/courses/classes/{class_session.pk}/"

    for user, may_start in ((ana, True), (owner, True), (ben, False)):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "Hosted on Zoom by zoom.ana@example.com" in page
        assert ("Start meeting" in page) is may_start
    start = client.post(f"/courses/classes/{class_session.pk}/zoom/start/")
    assert start.status_code == 403


# Webhooks of many hosts ----------------------------------------------------------


@pytest.fixture
def two_hosts(organization):
    """Two trainers of one organization, each on their own user of the same company Zoom account."""
    ana = own_zoom(organization, trainer_of(organization, "ana@example.com"))
    ben = own_zoom(organization, trainer_of(organization, "ben@example.com"))
    class_a, meeting_a = hosted_class(ana, zoom_meeting_id=84500000001)
    class_b, meeting_b = hosted_class(ben, zoom_meeting_id=84500000002)
    return {"ana": ana, "ben": ben, "class_a": class_a, "class_b": class_b, "meeting_a": meeting_a}


def _join(connection, zoom_meeting_id, *, user_id=16778240, name="Ada Lovelace"):
    return ZoomEvents(connection=connection, zoom_meeting_id=zoom_meeting_id).joined(
        uuid=RUN_1, user_id=user_id, name=name, at=at(17, 2), email="ada@example.com"
    )


def test_a_participant_of_host_as_meeting_never_reaches_host_bs_classes_in_one_organization(two_hosts, deliver):
    deliver(_join(two_hosts["ana"], 84500000001))

    assert list(Participant.objects.values_list("class_session_id", flat=True)) == [two_hosts["class_a"].pk]


def test_an_event_goes_by_the_meeting_it_names_not_by_another_user_of_the_account(two_hosts, deliver):
    # An event naming Ana's meeting reaches Ana's class even when it names Ben as the host (an alternative host
    # started it): the meeting decides. Ben's class is never touched.
    event = _join(two_hosts["ana"], 84500000001)
    event["payload"]["object"]["host_id"] = two_hosts["ben"].zoom_user_id

    stored = deliver(event)

    assert stored.state == "processed"
    assert list(Participant.objects.values_list("class_session_id", flat=True)) == [two_hosts["class_a"].pk]


def test_a_meeting_of_one_host_never_reaches_another_hosts_class_with_the_same_meeting_id(organization, deliver):
    # Even if two hosts' rows carried the same Zoom meeting id, an event only reaches its own host's class.
    ana = own_zoom(organization, trainer_of(organization, "ana@example.com"))
    ben = own_zoom(organization, trainer_of(organization, "ben@example.com"))
    class_a, _ = hosted_class(ana, zoom_meeting_id=84500000009)
    class_b, _ = hosted_class(ben, zoom_meeting_id=84500000009)

    deliver(_join(ana, 84500000009))
    assert list(Participant.objects.values_list("class_session_id", flat=True)) == [class_a.pk]
    deliver(_join(ben, 84500000009, user_id=16778241, name="Bob"))
    assert set(Participant.objects.values_list("class_session_id", "display_name")) == {
        (class_a.pk, "Ada Lovelace"),
        (class_b.pk, "Bob"),
    }


def test_a_participant_of_host_as_meeting_never_reaches_host_b_in_another_organization(organization, deliver):
    other = OrganizationFactory(name="Other Org")
    ana = own_zoom(organization, trainer_of(organization, "ana@example.com"))
    ben = own_zoom(other, trainer_of(other, "ben@example.com"))
    class_a, _ = hosted_class(ana, zoom_meeting_id=84500000001)
    class_b, _ = hosted_class(ben, zoom_meeting_id=84500000002)

    deliver(_join(ana, 84500000001), _join(ben, 84500000002, user_id=16778241, name="Bob"))

    assert set(Participant.objects.values_list("class_session_id", "display_name")) == {
        (class_a.pk, "Ada Lovelace"),
        (class_b.pk, "Bob"),
    }


def test_an_event_naming_only_the_account_is_not_given_to_any_of_its_users(two_hosts, deliver):
    event = _join(two_hosts["ana"], 84599999999)  # a meeting CohortStudio does not know
    event["payload"]["object"]["host_id"] = ""

    stored = deliver(event)

    assert stored.state == "ignored" and stored.organization_id is None
    assert not Participant.objects.exists()


def deauthorization(connection):
    body = copy.deepcopy(fixture_json("app_deauthorized.json"))
    body["payload"].update(account_id=connection.zoom_account_id, user_id=connection.zoom_user_id)
    return body


def test_a_deauthorization_disconnects_only_the_grant_it_names(two_hosts, deliver, client, organization):
    deliver(deauthorization(two_hosts["ana"]))

    ana, ben = (ZoomConnection.objects.get(pk=two_hosts[name].pk) for name in ("ana", "ben"))
    assert (ana.status, ana.has_tokens) == ("disconnected", False)
    assert (ben.status, ben.has_tokens) == ("connected", True)
    client.force_login(MembershipFactory(organization=organization, role="owner").user)
    page_a = client.get(f"/courses/classes/{two_hosts['class_a'].pk}/").content.decode()
    page_b = client.get(f"/courses/classes/{two_hosts['class_b'].pk}/").content.decode()
    assert "Reconnect needed" in page_a and "ana@example.com can reconnect it" in page_a
    assert "Reconnect needed" not in page_b
    settings_page = client.get("/settings/zoom/").content.decode()
    assert "ana@example.com must reconnect" in settings_page


# A trainer connects their own Zoom -------------------------------------------------


def test_a_trainer_connects_their_own_zoom_through_the_shared_callback(client, organization, zoom):
    ZoomConnectionFactory(organization=organization, zoom_email="owner.zoom@example.com")
    ana = trainer_of(organization, "ana@example.com")
    client.force_login(ana)
    response = client.post("/settings/zoom/mine/connect/")
    query = parse_qs(urlparse(response["Location"]).query)
    add_token_exchange(zoom, expect_verifier_for=query["code_challenge"][0])
    add_users_me(zoom, user_id="AnaZoomUser0001", email="ana.zoom@example.com")

    response = client.get(CALLBACK, {"code": "zoomAuthCode1", "state": query["state"][0]}, follow=True)

    assert response.redirect_chain[-1][0] == "/settings/zoom/mine/"
    page = response.content.decode()
    assert "Connected as ana.zoom@example.com" in page
    assert "owner.zoom@example.com" not in page
    mine = ZoomConnection.objects.get(user=ana)
    assert (mine.organization, mine.zoom_user_id, mine.access_token()) == (
        organization,
        "AnaZoomUser0001",
        "zat-new-access-AAA111",
    )
    assert ZoomConnection.objects.get(user=None).zoom_email == "owner.zoom@example.com"


def test_a_trainer_cannot_connect_the_zoom_user_the_organization_already_uses(client, organization, zoom):
    ZoomConnectionFactory(organization=organization, zoom_user_id="KDcuGIm1QgePTO8WbOqwIQ")
    client.force_login(trainer_of(organization, "ana@example.com"))
    query = parse_qs(urlparse(client.post("/settings/zoom/mine/connect/")["Location"]).query)
    add_token_exchange(zoom)
    add_users_me(zoom)

    page = client.get(CALLBACK, {"code": "c", "state": query["state"][0]}, follow=True).content.decode()

    assert "already connected here as the organization&#x27;s Zoom" in page
    assert ZoomConnection.objects.count() == 1


def test_disconnecting_a_trainers_zoom_deletes_only_its_tokens(client, organization, zoom):
    organizations = ZoomConnectionFactory(organization=organization)
    ana = trainer_of(organization, "ana@example.com")
    anas = own_zoom(organization, ana)
    zoom.post("https://zoom.us/oauth/revoke", json={"status": "success"})
    client.force_login(ana)

    confirm = client.get(f"/settings/zoom/connections/{anas.pk}/disconnect/").content.decode()
    assert "Disconnect your own Zoom" in confirm
    client.post(f"/settings/zoom/connections/{anas.pk}/disconnect/")

    anas.refresh_from_db()
    organizations.refresh_from_db()
    assert (anas.status, anas.has_tokens) == ("disconnected", False)
    assert (organizations.status, organizations.has_tokens) == ("connected", True)


def test_the_owners_settings_list_every_host_with_its_health(owner_client, organization):
    ZoomConnectionFactory(organization=organization, zoom_email="owner.zoom@example.com")
    own_zoom(organization, trainer_of(organization, "ana@example.com"))
    own_zoom(organization, trainer_of(organization, "ben@example.com"), status="reconnect_needed")

    page = owner_client.get("/settings/zoom/").content.decode()

    assert "The organization&#x27;s Zoom" in page
    assert "ana@example.com&#x27;s own Zoom" in page and "zoom.ana@example.com" in page
    assert "ben@example.com must reconnect" in page


# Moving a class to another host ----------------------------------------------------


def test_a_class_given_a_trainer_with_their_own_zoom_moves_its_meeting_there(
    owner_client, organization, zoom, django_capture_on_commit_callbacks
):
    organizations = ZoomConnectionFactory(
        organization=organization, scopes=ALL_SCOPES.split(), access_token="zat-organization"
    )
    ana = trainer_of(organization, "ana@example.com")
    own_zoom(organization, ana, access_token="zat-ana-own")
    class_session = ClassSessionFactory(course__organization=organization, starts_at=timezone.now() + timedelta(days=5))
    meeting = ready_meeting(class_session, connection=organizations)
    _registered_on_zoom(meeting, class_session)
    new_id = MEETING_ID + 11
    by_ana = [responses.matchers.header_matcher({"Authorization": "Bearer zat-ana-own"})]
    zoom.post(
        f"{API}/users/me/meetings",
        status=201,
        json=zoom_meeting_body(id=new_id, join_url=f"https://us05web.zoom.us/j/{new_id}"),
        match=by_ana,
    )
    zoom.delete(
        meeting_url(),
        status=204,
        match=[responses.matchers.header_matcher({"Authorization": "Bearer zat-organization"})],
    )
    zoom.get(
        f"{API}/meetings/{new_id}/registrants",
        json={"page_size": 300, "total_records": 0, "next_page_token": "", "registrants": []},
        match=by_ana,
    )
    zoom.post(
        f"{API}/meetings/{new_id}/batch_registrants",
        status=201,
        json={
            "registrants": [
                {"email": "ada@example.com", "registrant_id": "new-rg", "join_url": f"https://j.example/w/{new_id}"}
            ]
        },
        match=by_ana,
    )

    with django_capture_on_commit_callbacks(execute=True):
        course_services.class_session_update(class_session=class_session, trainer=ana)

    assert [f"{call.request.method} {call.request.url.split('/v2')[1].split('?')[0]}" for call in zoom.calls] == [
        "POST /users/me/meetings",
        f"DELETE /meetings/{MEETING_ID}",
        f"GET /meetings/{new_id}/registrants",
        f"POST /meetings/{new_id}/batch_registrants",
    ]
    for call in zoom.calls:
        assert_matches_zoom_openapi(call.request)
    meeting.refresh_from_db()
    assert (meeting.zoom_meeting_id, meeting.connection.user, meeting.status) == (new_id, ana, "ready")
    assert mail.outbox[-1].to == ["ada@example.com"] and f"/w/{new_id}" in mail.outbox[-1].body
