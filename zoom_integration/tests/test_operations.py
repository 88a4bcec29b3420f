"""The operators' zoom_* commands."""

from io import StringIO

import pytest
import responses
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from attendance.models import PresenceSignal
from attendance.services import presence_signal_record
from tests.factories import ClassSessionFactory, MembershipFactory, RegistrationFactory
from zoom_integration.models import WebhookEvent, ZoomAccessRemoval, ZoomHostPlan, ZoomMeeting, ZoomRegistrant

from .conftest import ALL_SCOPES, TOKEN_URL, token_body
from .factories import ZoomConnectionFactory
from .test_meetings import ready_meeting
from .test_registrants import BATCH_URL, REGISTRANTS_URL, batch_answer, empty_list

COMMANDS = [
    ["zoom_status"],
    ["zoom_refresh_tokens", "--dry-run"],
    ["zoom_refresh_tokens"],
    ["zoom_sync_registrants", "--upcoming", "--dry-run"],
    ["zoom_sync_registrants", "--upcoming"],
]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_commands_run_on_an_empty_database(command):
    assert run(*command).strip()


@pytest.mark.django_db
def test_zoom_status_reports_each_organization(organization, other_organization):
    ZoomConnectionFactory(organization=organization, zoom_email="host@example.com")
    output = run("zoom_status")
    assert "Acme Training" in output and "connection:    connected" in output and "host@example.com" in output
    assert "Other Org" in output and "not connected" in output


@pytest.mark.django_db
def test_zoom_refresh_tokens_refreshes_now(organization, zoom):
    connection = ZoomConnectionFactory(organization=organization)
    zoom.add(responses.POST, TOKEN_URL, json=token_body("new-access-token-1", "new-refresh-token-1"))
    output = run("zoom_refresh_tokens", "--org", organization.slug)
    assert "refreshed" in output
    connection.refresh_from_db()
    assert connection.access_token() == "new-access-token-1"
    with pytest.raises(CommandError, match="No organization with slug"):
        run("zoom_refresh_tokens", "--org", "nope")


@pytest.mark.django_db
def test_zoom_sync_registrants_for_one_class(class_session, zoom):
    ZoomConnectionFactory(organization=class_session.organization, scopes=ALL_SCOPES.split())
    meeting = ready_meeting(class_session)
    RegistrationFactory.create_batch(3, class_session=class_session)
    zoom.add(responses.GET, REGISTRANTS_URL, json=empty_list())
    zoom.add_callback(responses.POST, BATCH_URL, callback=batch_answer)
    assert "would sync" in run("zoom_sync_registrants", "--class", str(class_session.pk), "--dry-run")
    assert ZoomRegistrant.objects.count() == 0
    output = run("zoom_sync_registrants", "--class", str(class_session.pk))
    assert "done (3 synced, 0 failed)" in output
    assert meeting.registrants.count() == 3


@pytest.mark.django_db
def test_purge_removes_every_zoom_derived_record_after_confirmation(class_session, monkeypatch):
    organization = class_session.organization
    meeting = ready_meeting(class_session)
    registration = RegistrationFactory(class_session=class_session)
    ZoomRegistrant.objects.create(
        organization=organization, meeting=meeting, registration=registration, registrant_id="r1"
    )
    WebhookEvent.objects.create(
        event_type="meeting.ended", raw_body="{}", dedup_key="a" * 64, organization=organization, state="processed"
    )
    from django.utils import timezone

    presence_signal_record(
        class_session=class_session,
        source="zoom",
        external_id="e1",
        session_key="s1",
        kind="join",
        occurred_at=timezone.now(),
        participant_key="p1",
        email=registration.email,
    )
    dry = run("zoom_purge_org_data", "--org", organization.slug, "--dry-run")
    assert "1 meetings" in dry and "1 registrant links" in dry and "1 presence signals" in dry
    assert ZoomMeeting.objects.exists()

    monkeypatch.setattr("builtins.input", lambda prompt: "wrong")
    with pytest.raises(CommandError, match="Not confirmed"):
        run("zoom_purge_org_data", "--org", organization.slug)
    assert ZoomMeeting.objects.exists()

    output = run("zoom_purge_org_data", "--org", organization.slug, "--yes")
    assert "Removed" in output
    assert not ZoomMeeting.objects.exists() and not ZoomRegistrant.objects.exists()
    assert not WebhookEvent.objects.exists() and not PresenceSignal.objects.exists()


@pytest.mark.django_db
def test_zoom_status_and_refresh_report_each_connection(organization, zoom):
    ana = MembershipFactory(organization=organization, role="trainer", user__email="ana@example.com").user
    ZoomConnectionFactory(organization=organization, zoom_email="host@example.com")
    anas = ZoomConnectionFactory(organization=organization, user=ana, zoom_email="ana.zoom@example.com")
    ZoomMeeting.objects.create(
        organization=organization,
        class_session=ClassSessionFactory(course__organization=organization),
        connection=anas,
        status="failed",
    )

    output = run("zoom_status", "--org", organization.slug)

    assert "host: organization's Zoom host@example.com: connected" in output
    assert "host: ana@example.com's own Zoom ana.zoom@example.com: connected" in output
    assert "0 meetings being created, 1 meetings failed" in output
    zoom.add(responses.POST, TOKEN_URL, json=token_body("new-access-token-1", "new-refresh-token-1"))
    zoom.add(responses.POST, TOKEN_URL, json=token_body("new-access-token-2", "new-refresh-token-2"))
    refreshed = run("zoom_refresh_tokens", "--org", organization.slug)
    assert "Acme Training, organization's Zoom (host@example.com): refreshed" in refreshed
    assert "Acme Training, ana@example.com's own Zoom (ana.zoom@example.com): refreshed" in refreshed


@pytest.mark.django_db
def test_purge_removes_what_zoom_said_of_the_hosts_plans_unless_another_organization_connects_them(
    organization, other_organization
):
    ZoomConnectionFactory(organization=organization, zoom_user_id="only-mine")
    # A host the organization once connected, who has since connected another organization.
    ZoomAccessRemoval.objects.create(
        organization=organization,
        reason="disconnected",
        zoom_user_id="moved-on",
        zoom_account_id="acct",
        removed_at=timezone.now(),
    )
    ZoomConnectionFactory(organization=other_organization, zoom_user_id="moved-on")
    for zoom_user_id in ("only-mine", "moved-on", "someone-else"):
        ZoomHostPlan.objects.create(zoom_user_id=zoom_user_id, webinar=True)
    assert "1 host plans" in run("zoom_purge_org_data", "--org", organization.slug, "--dry-run")
    run("zoom_purge_org_data", "--org", organization.slug, "--yes")
    assert sorted(ZoomHostPlan.objects.values_list("zoom_user_id", flat=True)) == ["moved-on", "someone-else"]
