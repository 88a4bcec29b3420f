from django.utils.functional import SimpleLazyObject

from .selectors import membership_current

SESSION_KEY = "current_organization_id"


class CurrentOrganizationMiddleware:
    """Resolves the organization chosen in the top-right chooser (kept in the session).

    `request.membership` is the user's membership in that organization, or None;
    `request.organization` its organization. Evaluated lazily, so public pages
    and the webhook pay nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _resolve_membership(request))
        request.organization = SimpleLazyObject(lambda: _organization_of(request.membership))
        return self.get_response(request)


def _resolve_membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return membership_current(user=user, organization_id=request.session.get(SESSION_KEY))


def _organization_of(membership):
    return membership.organization if membership else None
