from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse

from mailing.queue import emails_queue
from mailing.services import email_message_of


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        # allauth renders (sign-in codes, password resets); the mail task sends, as for every other email.
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        emails_queue([email_message_of(self.render_mail(template_prefix, email, context))])

    def get_login_redirect_url(self, request):
        # Staff of an organization land on their courses; everyone else on the portal.
        if request.user.memberships.exists():
            return reverse("courses:course_list")
        if request.user.has_usable_password():
            return reverse("orgs:organization_create")
        return reverse("portal:home")

    def get_signup_redirect_url(self, request):
        return reverse("orgs:organization_create")
