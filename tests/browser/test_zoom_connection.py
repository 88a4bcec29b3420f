"""Connecting Zoom both ways, disconnecting and uninstalling, against the built-in Zoom simulator."""

import pytest

from zoom_integration.models import ZoomConnection

from .helpers import allow_on_zoom_consent, connect_zoom, owner_with_organization, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_option_a_connect_then_disconnect(page):
    organization, owner = owner_with_organization()
    sign_in(page, owner.email)
    page.goto("/settings/zoom/")
    assert page.get_by_text("Not connected").first.is_visible()
    page.shot("not_connected")

    connect_zoom(page)
    assert page.get_by_text("Connected as host@acme.example.com", exact=True).is_visible()
    assert page.locator(".badge", has_text="Connected").first.is_visible()
    page.shot("connected")
    connection = ZoomConnection.objects.get(organization=organization)
    assert connection.status == "connected" and connection.zoom_email == "host@acme.example.com"

    page.get_by_role("link", name="Disconnect Zoom").click()
    page.shot("disconnect_confirm")
    page.get_by_role("button", name="Disconnect Zoom").click()
    page.wait_for_url("**/settings/zoom/")
    assert page.get_by_text("Not connected").first.is_visible()
    assert not page.get_by_text("Connected as").count()
    connection.refresh_from_db()
    assert connection.access_token_encrypted == "" and connection.refresh_token_encrypted == ""


def test_option_b_from_the_marketplace_then_uninstall_on_zoom(page):
    organization, owner = owner_with_organization()
    page.goto("/zoomsim/marketplace/")
    page.shot("marketplace")
    page.get_by_role("link", name="Add").or_(page.get_by_role("button", name="Add")).first.click()
    allow_on_zoom_consent(page, email="market@acme.example.com")
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", owner.email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/settings/zoom/")
    assert page.get_by_text("Connected as market@acme.example.com", exact=True).is_visible()
    page.shot("connected_from_marketplace")

    page.goto("/zoomsim/marketplace/installed/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove").first.click()
    page.wait_for_load_state()
    page.goto("/settings/zoom/")
    assert page.get_by_text("Not connected").first.is_visible()
    page.shot("after_uninstall")
    connection = ZoomConnection.objects.get(organization=organization)
    assert connection.status == "disconnected" and connection.access_token_encrypted == ""
