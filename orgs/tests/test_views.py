from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from orgs.middleware import SESSION_KEY
from orgs.models import Invitation, Membership, Organization
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

OWNER_ONLY = ["/settings/organization/", "/settings/members/"]


@pytest.mark.django_db
def test_signup_then_create_first_organization(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "new.trainer@example.com",
                "password1": "a-long-pass-phrase-9",
                "password2": "a-long-pass-phrase-9",
            },
        )
    assert response.status_code == 302
    assert "Confirm" in mail.outbox[0].subject or "confirm" in mail.outbox[0].body.lower()
    user = get_user_model().objects.get(email="new.trainer@example.com")
    client.force_login(user)
    assert client.get("/").url == "/organizations/new/"
    response = client.post("/organizations/new/", {"name": "Lovelace Training", "timezone": "Europe/London"})
    assert response.status_code == 302
    organization = Organization.objects.get(name="Lovelace Training")
    assert organization.slug == "lovelace-training"
    assert Membership.objects.get(user=user, organization=organization).role == "owner"


@pytest.mark.django_db
def test_empty_organization_name_is_refused(owner_client):
    response = owner_client.post("/organizations/new/", {"name": "  ", "timezone": "UTC"})
    assert response.status_code == 200
    assert b"Enter a name for the organization" in response.content or b"This field is required" in response.content
    assert Organization.objects.count() == 1


@pytest.mark.django_db
def test_organization_chooser_switches_current_org(owner_client, owner, organization):
    second = OrganizationFactory(name="Zeta Academy")
    MembershipFactory(organization=second, user=owner, role="trainer")
    owner_client.post("/organizations/choose/", {"organization_id": second.pk, "next": "/courses/"})
    assert owner_client.session[SESSION_KEY] == second.pk
    page = owner_client.get("/courses/")
    assert page.context["current_organization"] == second


@pytest.mark.django_db
def test_choosing_an_org_you_do_not_belong_to_is_forbidden(owner_client, other_organization):
    response = owner_client.post("/organizations/choose/", {"organization_id": other_organization.pk})
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", OWNER_ONLY)
def test_trainers_cannot_open_owner_pages(trainer_client, url):
    assert trainer_client.get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", OWNER_ONLY + ["/courses/"])
def test_anonymous_users_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_students_never_see_organization_pages(client, registration):
    client.force_login(registration.student)
    response = client.get("/courses/")
    assert response.status_code == 302
    assert response.url == "/portal/"


@pytest.mark.django_db
def test_owner_updates_threshold(owner_client, organization):
    response = owner_client.post(
        "/settings/organization/", {"name": "Acme", "timezone": "UTC", "attendance_threshold_percent": 75}
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert (organization.name, organization.attendance_threshold_percent) == ("Acme", 75)


@pytest.mark.django_db
def test_invite_and_accept(owner_client, organization, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post("/settings/members/", {"email": "Trainer@Example.com", "role": "trainer"})
    invitation = Invitation.objects.get(organization=organization)
    assert invitation.email == "trainer@example.com"
    assert invitation.token in mail.outbox[-1].body
    invitee = UserFactory(email="trainer@example.com")
    client.force_login(invitee)
    response = client.post(f"/invitations/{invitation.token}/")
    assert response.status_code == 302
    assert Membership.objects.get(user=invitee, organization=organization).role == "trainer"
    again = client.post(f"/invitations/{invitation.token}/", follow=True)
    assert b"already been used" in again.content


@pytest.mark.django_db
def test_expired_invitation_is_refused(organization, owner, client):
    invitation = Invitation.objects.create(
        organization=organization,
        email="late@example.com",
        invited_by=owner,
        expires_at=timezone.now() - timedelta(hours=1),
    )
    client.force_login(UserFactory(email="late@example.com"))
    response = client.post(f"/invitations/{invitation.token}/", follow=True)
    assert b"expired" in response.content
    assert not Membership.objects.filter(organization=organization, user__email="late@example.com").exists()


@pytest.mark.django_db
def test_invitation_for_someone_else_is_refused(organization, owner, client):
    invitation = Invitation.objects.create(
        organization=organization,
        email="right@example.com",
        invited_by=owner,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.force_login(UserFactory(email="wrong@example.com"))
    response = client.post(f"/invitations/{invitation.token}/", follow=True)
    assert b"was sent to right@example.com" in response.content


@pytest.mark.django_db
def test_owner_removes_trainer_but_not_the_last_owner(owner_client, owner, trainer, organization):
    trainer_membership = Membership.objects.get(user=trainer)
    owner_membership = Membership.objects.get(user=owner)
    assert owner_client.get(f"/settings/members/{trainer_membership.pk}/remove/").status_code == 200
    owner_client.post(f"/settings/members/{trainer_membership.pk}/remove/")
    assert not Membership.objects.filter(pk=trainer_membership.pk).exists()
    response = owner_client.post(f"/settings/members/{owner_membership.pk}/remove/", follow=True)
    assert b"last one" in response.content
    assert Membership.objects.filter(pk=owner_membership.pk).exists()
