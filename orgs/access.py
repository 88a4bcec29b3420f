"""Tenant access: every org-scoped object is loaded through here.

An object of another organization answers 404 exactly like a missing one, so
ids cannot be probed across tenants.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect

from .models import Role


def get_for_org_or_404(queryset_or_model, *, organization, **lookup):
    manager = getattr(queryset_or_model, "_default_manager", None)
    queryset = manager.all() if manager is not None else queryset_or_model
    return get_object_or_404(queryset, organization=organization, **lookup)


def _member_view(view, *, owner_only):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.membership is None:
            if request.user.has_usable_password():
                return redirect("orgs:organization_create")
            return redirect("portal:home")
        if owner_only and request.membership.role != Role.OWNER:
            raise PermissionDenied("Only organization owners can open this page.")
        return view(request, *args, **kwargs)

    return wrapper


def member_required(view):
    """Owners and trainers of the current organization."""
    return _member_view(view, owner_only=False)


def owner_required(view):
    """Owners of the current organization only."""
    return _member_view(view, owner_only=True)
