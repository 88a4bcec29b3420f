"""Steps shared by the browser tests."""

import re
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

PASSWORD = "correct-horse-battery"


def owner_with_organization(name="Acme Training", timezone="Europe/Berlin", email="owner@acme.example.com"):
    from allauth.account.models import EmailAddress

    organization = OrganizationFactory(name=name, timezone=timezone)
    user = UserFactory(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    MembershipFactory(organization=organization, user=user, role="owner")
    return organization, user


def sign_in(page, email, password=PASSWORD):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()


def sign_in_student(page, email):
    """The portal's passwordless sign-in: request a code, read it from the email, enter it."""
    page.goto("/portal/")
    page.fill("input[name=email]", email)
    page.get_by_role("button", name="Request Code").click()
    code = re.search(r"browser window\.\s+(\S+)\s", mail.outbox[-1].body).group(1)
    page.fill("input[name=code]", code)
    page.locator("button[type=submit]").first.click()
    page.wait_for_url("**/portal/")


def allow_on_zoom_consent(page, email="host@acme.example.com", first_name="Hanna", last_name="Host"):
    """The simulator's consent screen: sign in as a (new) Zoom user and click Allow."""
    page.wait_for_url("**/zoomsim/oauth/authorize**")
    page.fill("#email", email)
    page.fill("#first_name", first_name)
    page.fill("#last_name", last_name)
    page.get_by_role("button", name="Allow").click()


def connect_zoom(page):
    """Option A: Settings → Zoom → Connect Zoom account → Allow."""
    page.goto("/settings/zoom/")
    page.get_by_role("button", name="Connect Zoom account").click()
    allow_on_zoom_consent(page)
    page.wait_for_url("**/settings/zoom/")


def create_virtual_class_with_meeting(page, *, course_id, title, starts_at_local, duration="90", capacity="30"):
    """Courses → <course> → New class session, Virtual, Create Zoom meeting ticked; waits for the meeting."""
    page.goto(f"/courses/{course_id}/classes/new/")
    page.fill("#id_title", title)
    page.fill("#id_starts_at_local", starts_at_local)
    page.fill("#id_duration_minutes", duration)
    page.select_option("#id_delivery_mode", "virtual")
    page.fill("#id_capacity", capacity)
    page.check("#id_create_zoom_meeting")
    page.shot("new_class_with_zoom")
    page.get_by_role("button", name="Save class").click()
    page.wait_for_url(re.compile(r".*/courses/classes/\d+/$"))
    page.wait_for_selector("#zoom-meeting-id")


def zoom_connection_on_simulator(organization):
    """The organization's Zoom connection, holding tokens the simulator issued for its Zoom user."""
    from zoom_integration.tests.factories import ZoomConnectionFactory
    from zoom_simulator import services as zoom_simulator

    host = zoom_simulator.user_get_or_create(email="maria.host@zoom.example.com", first_name="Maria", last_name="Host")
    tokens = zoom_simulator.grant_issue(user=host)
    return ZoomConnectionFactory(
        organization=organization,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        scopes=tokens["scope"].split(),
        expires_at=timezone.now() + timedelta(seconds=tokens["expires_in"]),
        zoom_user_id=host.zoom_user_id,
        zoom_account_id=host.account_id,
        zoom_email=host.email,
    )


def sign_in_with_session(context, user, site):
    """Signed in without the login form: a session made server-side, handed to the browser context."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": site}])
