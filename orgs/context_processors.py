from django.conf import settings
from django.urls import reverse

from . import extensions
from .selectors import memberships_for_user


def current_organization(request):
    user = getattr(request, "user", None)
    context = {
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "ZOOM_SIMULATOR": settings.ZOOM_SIMULATOR,
    }
    if user is not None and user.is_authenticated and getattr(request, "membership", None) is not None:
        context["current_membership"] = request.membership
        context["current_organization"] = request.organization
        context["user_memberships"] = memberships_for_user(user=user)
        context["main_menu"] = [
            {"key": item["key"], "label": item["label"], "url": reverse(item["url_name"])}
            for item in extensions.main_menu
        ]
        if request.membership.is_owner:
            context["settings_menu"] = [
                {"key": item["key"], "label": item["label"], "url": reverse(item["url_name"])}
                for item in extensions.settings_menu
            ]
    return context
