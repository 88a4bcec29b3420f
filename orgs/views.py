from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .access import get_for_org_or_404, owner_required
from .forms import InvitationForm, OrganizationForm, OrganizationSettingsForm
from .middleware import SESSION_KEY
from .models import Invitation, Membership
from .selectors import invitations_open, members_of_organization
from .services import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_remove,
    organization_choose,
    organization_create,
    organization_update,
)


@login_required
def organization_create_view(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = organization_create(
            owner=request.user, name=form.cleaned_data["name"], timezone_name=form.cleaned_data["timezone"]
        )
        request.session[SESSION_KEY] = organization.pk
        messages.success(request, f"{organization.name} is ready. Create your first course.")
        return redirect("courses:course_list")
    return render(request, "orgs/organization_create.html", {"form": form})


@login_required
@require_POST
def organization_choose_view(request):
    organization_choose(request=request, organization_id=request.POST.get("organization_id") or 0)
    next_url = request.POST.get("next") or "/"
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
    return redirect(next_url)


@owner_required
def organization_settings_view(request):
    organization = request.organization
    form = OrganizationSettingsForm(
        request.POST or None,
        initial={
            "name": organization.name,
            "timezone": organization.timezone,
            "attendance_threshold_percent": organization.attendance_threshold_percent,
        },
    )
    if request.method == "POST" and form.is_valid():
        organization_update(
            organization=organization,
            name=form.cleaned_data["name"],
            timezone_name=form.cleaned_data["timezone"],
            attendance_threshold_percent=form.cleaned_data["attendance_threshold_percent"],
        )
        messages.success(request, "Organization settings saved.")
        return redirect("orgs:settings")
    return render(request, "orgs/settings.html", {"form": form})


@owner_required
def members_view(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(
                organization=request.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("orgs:members")
    context = {
        "form": form,
        "members": members_of_organization(organization=request.organization),
        "invitations": invitations_open(organization=request.organization),
    }
    return render(request, "orgs/members.html", context)


@owner_required
def member_remove_view(request, membership_id):
    membership = get_for_org_or_404(
        Membership.objects.select_related("user"), organization=request.organization, pk=membership_id
    )
    if request.method == "POST":
        try:
            membership_remove(membership=membership)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, f"{membership.user.email} was removed from {request.organization.name}.")
        return redirect("orgs:members")
    return render(request, "orgs/member_remove.html", {"membership": membership})


@owner_required
@require_POST
def invitation_revoke_view(request, invitation_id):
    invitation = get_for_org_or_404(Invitation, organization=request.organization, pk=invitation_id)
    invitation_revoke(invitation=invitation)
    messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("orgs:members")


def invitation_accept_view(request, token):
    invitation = get_object_or_404(Invitation.objects.select_related("organization"), token=token)
    if not request.user.is_authenticated:
        messages.info(
            request, f"Sign in or create an account as {invitation.email} to join {invitation.organization.name}."
        )
        return render(request, "orgs/invitation_accept.html", {"invitation": invitation})
    if request.method == "POST":
        try:
            membership = invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("/")
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return redirect("courses:course_list")
    return render(request, "orgs/invitation_accept.html", {"invitation": invitation})
