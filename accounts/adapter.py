from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # Staff of an organization land on their courses; everyone else on the portal.
        if request.user.memberships.exists():
            return reverse("courses:course_list")
        if request.user.has_usable_password():
            return reverse("orgs:organization_create")
        return reverse("portal:home")

    def get_signup_redirect_url(self, request):
        return reverse("orgs:organization_create")
