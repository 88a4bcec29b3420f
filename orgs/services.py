from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from mailing.queue import email_queue

from .middleware import SESSION_KEY
from .models import Invitation, Membership, Organization, Role

INVITATION_LIFETIME = timedelta(days=7)


def _unique_slug(name):
    base = slugify(name)[:50] or "organization"
    slug, counter = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


@transaction.atomic
def organization_create(*, owner, name, timezone_name="UTC"):
    organization = Organization(name=name.strip(), slug=_unique_slug(name), timezone=timezone_name)
    organization.full_clean()
    organization.save()
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


def organization_update(*, organization, name, timezone_name, attendance_threshold_percent):
    organization.name = name.strip()
    organization.timezone = timezone_name
    organization.attendance_threshold_percent = attendance_threshold_percent
    organization.full_clean()
    organization.save(update_fields=["name", "timezone", "attendance_threshold_percent"])
    return organization


def organization_choose(*, request, organization_id):
    """Make `organization_id` the current organization of this session, if the user belongs to it."""
    if not Membership.objects.filter(user=request.user, organization_id=organization_id).exists():
        raise PermissionDenied("You are not a member of that organization.")
    request.session[SESSION_KEY] = int(organization_id)


def invitation_create(*, organization, email, role, invited_by):
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member of the organization."})
    with transaction.atomic():
        Invitation.objects.filter(
            organization=organization, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            invited_by=invited_by,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
    accept_url = settings.SITE_URL + reverse("orgs:invitation_accept", args=[invitation.token])
    email_queue(
        template="invitation",
        to=email,
        context={"invitation": invitation, "accept_url": accept_url, "organization": organization},
    )
    return invitation


def invitation_revoke(*, invitation):
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


@transaction.atomic
def invitation_accept(*, invitation, user):
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError("This invitation has already been used or was withdrawn.")
    if invitation.expires_at <= timezone.now():
        raise ValidationError("This invitation has expired. Ask the organization owner to send a new one.")
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            f"This invitation was sent to {invitation.email}. Sign in with that address to accept it."
        )
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


@transaction.atomic
def membership_remove(*, membership):
    if membership.role == Role.OWNER:
        owners = Membership.objects.select_for_update().filter(organization=membership.organization, role=Role.OWNER)
        if owners.count() <= 1:
            raise ValidationError("An organization needs at least one owner; this is the last one.")
    membership.delete()
