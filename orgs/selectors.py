from django.contrib.auth import get_user_model
from django.utils import timezone

from .models import Invitation, Membership, Organization


def membership_current(*, user, organization_id=None):
    """The membership for the chosen organization, else the user's first one."""
    memberships = Membership.objects.filter(user=user).select_related("organization")
    if organization_id:
        chosen = memberships.filter(organization_id=organization_id).first()
        if chosen:
            return chosen
    return memberships.order_by("organization__name").first()


def memberships_for_user(*, user):
    return list(Membership.objects.filter(user=user).select_related("organization").order_by("organization__name"))


def members_of_organization(*, organization):
    return Membership.objects.filter(organization=organization).select_related("user").order_by("role", "user__email")


def invitations_open(*, organization):
    return Invitation.objects.filter(
        organization=organization, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def organizations_owned_by(*, user):
    return list(Organization.objects.filter(memberships__user=user, memberships__role="owner").order_by("name"))


def owners_emails(*, organization):
    return list(
        Membership.objects.filter(organization=organization, role="owner").values_list("user__email", flat=True)
    )


def teachers_of(*, organization):
    """The people who can teach the organization's classes: its owners and trainers."""
    User = get_user_model()
    return User.objects.filter(memberships__organization=organization).order_by("first_name", "email")


def teacher_label(user):
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email
